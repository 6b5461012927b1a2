"""A developed RAW file: :class:`RawPhoto`, the pixels (16-bit linear codes from LibRaw and
their float32 linear RGB on demand, sRGB/Rec.709 primaries, D65 white, camera white = 1.0)
with what was applied to them (white balance, highlight headroom, crop, orientation) and
the camera's metadata.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .metadata import RawMetadata
from .options import _TEMP_RANGE, _TINT_RANGE, RawOptions

__all__ = ["RawPhoto"]


@dataclass(eq=False)
class RawPhoto:
    """A developed RAW file.

    ``data``: ``H×W×3`` float32, linear RGB (sRGB/Rec.709 primaries, D65 white), upright,
    camera white = 1.0, values in [0, ``headroom``]. It is made on first access from
    ``linear16`` (LibRaw's 16-bit linear output, the same pixels: ``data = linear16 *
    scale``, ``scale = headroom / 65535``), which exports use directly. Both are shared
    with the decode cache: do not modify them in place.
    ``mode``: 'full' (demosaiced), 'half' (2×2 blocks, half the size) or 'embedded' (the
    camera's own JPEG preview, linearised; camera-rendered, not colorimetric).
    ``size``: (width, height) of ``data``; ``full_size``: (width, height) of the full decode.
    ``orientation``: the EXIF orientation that was applied (1 = none).
    ``wb_mode``: the white balance used (``'as_shot'``, ``'auto'`` ...; says so when the
    file had no as-shot values and LibRaw fell back to auto). ``wb_multipliers``: the R, G,
    B multipliers applied (G = 1); ``white``: their white as (temperature K, tint) through
    the camera matrix, None without a matrix. ``as_shot_multipliers`` / ``as_shot_white``:
    the camera's as-shot white balance, None when the file has none.
    ``daylight_multipliers``: LibRaw's daylight (D65) multipliers. ``exif``: EXIF block for
    exports (make, model, ISO, exposure, aperture, lens, time). ``crop``: (x, y, w, h)
    applied to LibRaw's output before orientation, or None. ``xyz_to_camera``: the 3×3
    camera matrix used for white-balance conversions, or None."""

    linear16: np.ndarray
    scale: float
    path: Path
    mode: str
    options: RawOptions
    metadata: RawMetadata
    size: tuple[int, int]
    full_size: tuple[int, int]
    orientation: int
    wb_mode: str
    wb_multipliers: tuple[float, float, float]
    white: tuple[float, float] | None
    as_shot_multipliers: tuple[float, float, float] | None
    as_shot_white: tuple[float, float] | None
    daylight_multipliers: tuple[float, float, float] | None
    headroom: float
    black_level: float
    white_level: float
    exif: bytes | None
    crop: tuple[int, int, int, int] | None = None
    xyz_to_camera: np.ndarray | None = field(default=None, repr=False)
    bits: int = 32
    format: str = "RAW"
    _data: np.ndarray | None = field(default=None, init=False, repr=False)
    _lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def data(self) -> np.ndarray:
        with self._lock:
            if self._data is None:
                d = np.empty(self.linear16.shape, np.float32)
                np.multiply(self.linear16, np.float32(self.scale), out=d, casting="unsafe")
                self._data = d
            return self._data

    @property
    def nbytes(self) -> int:
        """Memory held: the 16-bit pixels plus the float copy once made."""
        return int(self.linear16.nbytes + (self._data.nbytes if self._data is not None else 0))

    @property
    def height(self) -> int:
        return int(self.linear16.shape[0])

    @property
    def width(self) -> int:
        return int(self.linear16.shape[1])

    def wb_settings(self) -> dict[str, float]:
        """Starting values of the white-balance operation for this photo: its sliders at
        the white the data was balanced to (the camera's as-shot white for 'as_shot') and
        the hidden reference white at the same value, so the operation starts as the
        identity and moving the temperature slider to T re-balances for a light of T kelvin.
        Empty when the white is unknown (no camera matrix)."""
        if self.white is None:
            return {}
        t = float(np.clip(self.white[0], *_TEMP_RANGE))
        n = float(np.clip(self.white[1], *_TINT_RANGE))
        return {"temperature": t, "tint": n, "reference_temperature": t, "reference_tint": n}

    def srgb(self, dtype: Any = np.uint16) -> np.ndarray:
        """The neutral rendering of ``data``: ``H×W×3`` sRGB-encoded codes of ``dtype``
        (uint8 or uint16), clipped at the camera white (1.0), through one table from the
        16-bit linear codes (what the neutral RAW export writes)."""
        from ...core.colorimetry import linear_to_srgb
        dtype = np.dtype(dtype)
        if dtype not in (np.uint8, np.uint16):
            raise ValueError(f"the neutral rendering is 8 or 16 bits, not {dtype}")
        m = 255.0 if dtype == np.uint8 else 65535.0
        lin = np.clip(np.arange(65536, dtype=np.float64) * self.scale, 0.0, 1.0)
        table = np.rint(linear_to_srgb(lin) * m).astype(dtype)
        return table[self.linear16]
