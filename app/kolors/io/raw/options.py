"""How a RAW file is developed: :class:`RawOptions` (white balance, temperature/tint,
highlight mode, demosaic; saved with the edit as a versioned dict) and the names each
option takes (:data:`WHITE_BALANCES`, :data:`HIGHLIGHTS`, :data:`DEMOSAICS`: what the
installed LibRaw supports, :data:`MODES` of a decode).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

from ...core.colorimetry import REFERENCE
from ...errors import UnsupportedFormat
from .libraw import _rawpy

__all__ = ["RawOptions", "WHITE_BALANCES", "HIGHLIGHTS", "DEMOSAICS", "MODES"]

WHITE_BALANCES = ("as_shot", "auto", "daylight", "custom")
HIGHLIGHTS = ("clip", "blend", "reconstruct")
MODES = ("full", "half", "embedded")
_TEMP_RANGE = (2000.0, 15000.0)  # the white-balance slider's range
_TINT_RANGE = (-100.0, 100.0)


def _demosaics() -> tuple[str, ...]:
    """Demosaic algorithms the installed LibRaw supports (AHD first)."""
    try:
        rawpy = _rawpy()
    except UnsupportedFormat:
        return ("ahd",)
    names = [a.name.lower() for a in rawpy.DemosaicAlgorithm if a.isSupported]
    return tuple(["ahd"] + [n for n in names if n != "ahd"])


DEMOSAICS = _demosaics()


@dataclass(frozen=True)
class RawOptions:
    """How a RAW file is developed (saved with the edit: :meth:`to_dict`/:meth:`from_dict`).

    ``white_balance``: one of :data:`WHITE_BALANCES`. ``temperature`` (K, 2000–15000) and
    ``tint`` (−100–100, + = magenta) are used by ``'custom'`` only. ``highlights``: ``'clip'``
    (every channel clipped at the camera white), ``'blend'`` (default; clipped channels
    blended, headroom above 1 kept) or ``'reconstruct'`` (LibRaw's reconstruction, slower).
    ``demosaic``: one of :data:`DEMOSAICS` (``'ahd'`` default; the rest are what the
    installed LibRaw supports). Invalid values raise ``ValueError`` naming the field."""

    white_balance: str = "as_shot"
    temperature: float = REFERENCE[0]
    tint: float = 0.0
    highlights: str = "blend"
    demosaic: str = "ahd"

    VERSION = 1

    def __post_init__(self) -> None:
        if self.white_balance not in WHITE_BALANCES:
            raise ValueError(f"raw option 'white_balance': {self.white_balance!r} is not one of "
                             f"{', '.join(WHITE_BALANCES)}")
        for name, (lo, hi) in (("temperature", _TEMP_RANGE), ("tint", _TINT_RANGE)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                raise ValueError(f"raw option '{name}': {v!r} is not a number within [{lo:g}, {hi:g}]")
            object.__setattr__(self, name, float(v))
        if self.highlights not in HIGHLIGHTS:
            raise ValueError(f"raw option 'highlights': {self.highlights!r} is not one of {', '.join(HIGHLIGHTS)}")
        if self.demosaic not in DEMOSAICS:
            raise ValueError(f"raw option 'demosaic': {self.demosaic!r} is not available with this LibRaw; "
                             f"valid: {', '.join(DEMOSAICS)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (with a ``version``) for sidecars and presets."""
        return {"version": self.VERSION, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "RawOptions":
        """Inverse of :meth:`to_dict` (missing keys take their defaults); ``ValueError`` on
        unknown keys, a newer version or invalid values."""
        if d is None:
            return cls()
        if not isinstance(d, Mapping):
            raise ValueError(f"raw options must be a mapping, got {type(d).__name__}")
        d = dict(d)
        ver = d.pop("version", cls.VERSION)
        if not isinstance(ver, int) or ver > cls.VERSION:
            raise ValueError(f"raw options version {ver!r} is newer than this Kolors reads ({cls.VERSION})")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown raw option {unknown[0]!r}; valid: {', '.join(sorted(names))}")
        return cls(**d)

    def _key(self) -> tuple:
        t = self.temperature if self.white_balance == "custom" else None
        n = self.tint if self.white_balance == "custom" else None
        return (self.white_balance, t, n, self.highlights, self.demosaic)


