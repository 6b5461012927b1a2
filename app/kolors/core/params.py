"""Parameter declarations. An operation declares each parameter once; CLI flags,
preset/sidecar validation, GUI sliders and the generic tests are generated from these.

Every kind knows its default, how to validate and normalise a value (raising
``ValueError`` that names the parameter and what is allowed), whether a value equals
the default (then the operation is skipped: the identity), how to turn a CLI string
into a value, and how to draw a random valid value for tests.
"""
from __future__ import annotations

import base64
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Param:
    """Base of all parameter kinds. ``name`` is filled in by the registry and is
    globally unique (it is the key in presets, sidecars and ``--set name=value``)."""

    kind = "any"
    default: Any = None

    def __init__(self, default: Any = None, label: str = "", help: str = "", hidden: bool = False):
        self.default = default
        self.label = label
        self.help = help
        #: hidden parameters are set by tasks/the model, not shown as sliders or flags
        self.hidden = hidden
        self.name = ""

    # -- overridable -----------------------------------------------------------
    def validate(self, value: Any) -> Any:
        return value

    def is_default(self, value: Any) -> bool:
        return value == self.default

    def parse(self, text: str) -> Any:
        """Parse a command-line string (``--set name=TEXT``)."""
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def sample(self, rng: np.random.Generator) -> Any:
        return self.default

    def to_json(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return self.kind

    def lerp(self, value: Any, t: float) -> Any:
        """Blend ``value`` toward the default: t=0 → default (identity), t=1 → value.
        Kinds without a continuous blend switch at t > 0."""
        return value if t > 0 else self.default

    def _err(self, msg: str) -> ValueError:
        return ValueError(f"parameter '{self.name}': {msg}")


class Float(Param):
    """A number in ``[lo, hi]`` (a slider)."""

    kind = "float"

    def __init__(self, lo: float, hi: float, default: float = 0.0, label: str = "", step: float | None = None,
                 help: str = "", hidden: bool = False, unit: str = ""):
        super().__init__(float(default), label, help, hidden)
        if not lo <= default <= hi:
            raise AssertionError(f"default {default} outside [{lo}, {hi}]")
        self.lo, self.hi = float(lo), float(hi)
        self.step = step if step is not None else (hi - lo) / 200.0
        self.unit = unit

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise self._err(f"expected a number in [{self.lo:g}, {self.hi:g}], got {value!r}")
        v = float(value)
        if not math.isfinite(v) or not self.lo <= v <= self.hi:
            raise self._err(f"value {v:g} out of range [{self.lo:g}, {self.hi:g}]")
        return v

    def parse(self, text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            raise self._err(f"expected a number in [{self.lo:g}, {self.hi:g}], got {text!r}") from None

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.lo, self.hi))

    def describe(self) -> str:
        return f"number in [{self.lo:g}, {self.hi:g}], default {self.default:g}"

    def lerp(self, value: Any, t: float) -> float:
        return float(min(self.hi, max(self.lo, self.default + t * (value - self.default))))


class Bool(Param):
    """An on/off switch."""

    kind = "bool"

    def __init__(self, default: bool = False, label: str = "", help: str = "", hidden: bool = False):
        super().__init__(bool(default), label, help, hidden)

    def validate(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)) and value in (0, 1):
            return bool(value)
        raise self._err(f"expected true or false, got {value!r}")

    def parse(self, text: str) -> Any:
        t = text.strip().lower()
        if t in ("1", "true", "on", "yes"):
            return True
        if t in ("0", "false", "off", "no"):
            return False
        raise self._err(f"expected true/false/on/off, got {text!r}")

    def sample(self, rng: np.random.Generator) -> bool:
        return bool(rng.integers(0, 2))

    def describe(self) -> str:
        return f"true/false, default {str(self.default).lower()}"


class Choice(Param):
    """One of a fixed set of strings."""

    kind = "choice"

    def __init__(self, options: list[str], default: str, label: str = "", help: str = "", hidden: bool = False):
        super().__init__(default, label, help, hidden)
        self.options = list(options)
        assert default in self.options

    def validate(self, value: Any) -> str:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = str(int(value))               # e.g. rotate=90 in JSON
        if isinstance(value, str):
            for o in self.options:
                if o.lower() == value.lower():
                    return o
        raise self._err(f"expected one of {', '.join(self.options)}, got {value!r}")

    def parse(self, text: str) -> Any:
        return text

    def sample(self, rng: np.random.Generator) -> str:
        return self.options[int(rng.integers(0, len(self.options)))]

    def describe(self) -> str:
        return f"one of {', '.join(self.options)}, default {self.default}"


class Rect(Param):
    """A rectangle ``[x0, y0, x1, y1]`` as fractions of the photo (x right, y down), each
    within [0, 1], at least ``min_size`` wide and high. Default: the whole photo."""

    kind = "rect"

    def __init__(self, label: str = "", help: str = "", hidden: bool = False, min_size: float = 0.01):
        super().__init__([0.0, 0.0, 1.0, 1.0], label, help, hidden)
        self.min_size = min_size

    def validate(self, value: Any) -> list[float]:
        try:
            r = [float(c) for c in value]
        except (TypeError, ValueError):
            raise self._err(f"expected [x0, y0, x1, y1] as fractions of the photo, got {value!r}") from None
        if len(r) != 4 or not all(math.isfinite(c) and 0.0 <= c <= 1.0 for c in r):
            raise self._err(f"expected four numbers within [0, 1], got {value!r}")
        if r[2] - r[0] < self.min_size or r[3] - r[1] < self.min_size:
            raise self._err(f"x1 - x0 and y1 - y0 must be at least {self.min_size:g}, got {value!r}")
        return r

    def is_default(self, value: Any) -> bool:
        return [float(c) for c in value] == [0.0, 0.0, 1.0, 1.0]

    def sample(self, rng: np.random.Generator) -> list[float]:
        x0, y0 = rng.uniform(0, 0.3, 2)
        x1, y1 = rng.uniform(0.7, 1.0, 2)
        return [float(x0), float(y0), float(x1), float(y1)]

    def describe(self) -> str:
        return "[x0, y0, x1, y1] fractions of the photo, default [0, 0, 1, 1]"

    def lerp(self, value: Any, t: float) -> list[float]:
        return [d + t * (v - d) for v, d in zip(value, self.default)]


class Curve(Param):
    """A tone curve given as control points ``[[x, y], ...]`` in [0, 1] (display-referred,
    sRGB-encoded), strictly increasing in x, including 0 and 1. Default: the diagonal."""

    kind = "curve"

    def __init__(self, label: str = "", help: str = "", hidden: bool = False):
        super().__init__([[0.0, 0.0], [1.0, 1.0]], label, help, hidden)

    def validate(self, value: Any) -> list[list[float]]:
        try:
            pts = [[float(p[0]), float(p[1])] for p in value]
        except (TypeError, ValueError, IndexError):
            raise self._err(f"expected a list of [x, y] points, got {value!r}") from None
        if len(pts) < 2 or len(pts) > 32:
            raise self._err("expected between 2 and 32 points")
        xs = [p[0] for p in pts]
        if any(not (0.0 <= c <= 1.0 and math.isfinite(c)) for p in pts for c in p):
            raise self._err("point coordinates must be within [0, 1]")
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise self._err("x coordinates must be strictly increasing")
        return pts

    def is_default(self, value: Any) -> bool:
        return all(abs(x - y) < 1e-12 for x, y in value)

    def sample(self, rng: np.random.Generator) -> list[list[float]]:
        # a plausible edit: 1-4 inner points at least 0.1 apart, monotone y
        n = int(rng.integers(1, 5))
        xs = np.unique(np.round(np.sort(rng.uniform(0.05, 0.95, n)), 3))
        xs = xs[np.concatenate([[True], np.diff(xs) >= 0.1])]
        ys = np.maximum.accumulate(np.clip(xs + rng.normal(0, 0.06, xs.size), 0.01, 0.99))
        return [[0.0, 0.0]] + [[float(a), float(b)] for a, b in zip(xs, ys)] + [[1.0, 1.0]]

    def describe(self) -> str:
        return "points [[x, y], ...] in [0, 1], default [[0, 0], [1, 1]]"

    def lerp(self, value: Any, t: float) -> list[list[float]]:
        return [[x, x + t * (y - x)] for x, y in value]


class FilePath(Param):
    """A path to a file (e.g. a .cube LUT). ``None`` means off."""

    kind = "file"

    def __init__(self, suffixes: tuple[str, ...] = (), label: str = "", help: str = "", hidden: bool = False):
        super().__init__(None, label, help, hidden)
        self.suffixes = suffixes

    def validate(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._err(f"expected a file path, got {value!r}")
        if self.suffixes and not value.lower().endswith(self.suffixes):
            raise self._err(f"expected a file ending in {', '.join(self.suffixes)}, got {value!r}")
        return value

    def is_default(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return f"path to a {'/'.join(self.suffixes) or 'file'}, default none"


class Regions(Param):
    """Regions of interest with a factor: ``{'roi': [(x1, y1, x2, y2), ...], 'factor': f}``;
    coordinates in pixels of the full-resolution image. ``None`` means off."""

    kind = "regions"

    def __init__(self, fmax: float = 4.0, label: str = "", help: str = "", hidden: bool = False):
        super().__init__(None, label, help, hidden)
        self.fmax = fmax

    def validate(self, value: Any) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict) or "roi" not in value:
            raise self._err("expected {'roi': [(x1, y1, x2, y2), ...], 'factor': f}")
        rois = value["roi"]
        if isinstance(rois, (list, tuple)) and len(rois) == 4 and all(isinstance(c, (int, float)) for c in rois):
            rois = [rois]
        out = []
        try:
            for r in rois:
                x1, y1, x2, y2 = (float(c) for c in r)
                if not (x2 > x1 and y2 > y1) or min(x1, y1) < 0:
                    raise self._err(f"region {tuple(r)} must satisfy 0 <= x1 < x2 and 0 <= y1 < y2")
                out.append([x1, y1, x2, y2])
        except (TypeError, ValueError) as e:
            if isinstance(e, ValueError) and str(e).startswith("parameter"):
                raise
            raise self._err("each region is four numbers (x1, y1, x2, y2)") from None
        f = value.get("factor", 2.0)
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.0 <= float(f) <= self.fmax:
            raise self._err(f"factor must be a number in [0, {self.fmax:g}], got {f!r}")
        feather = value.get("feather", 0.0)
        if isinstance(feather, bool) or not isinstance(feather, (int, float)) or not 0 <= float(feather) <= 1000:
            raise self._err(f"feather must be a number of pixels in [0, 1000], got {feather!r}")
        return {"roi": out, "factor": float(f), "feather": float(feather)}

    def is_default(self, value: Any) -> bool:
        return value is None or not value["roi"] or value["factor"] == 1.0

    def sample(self, rng: np.random.Generator) -> dict:
        x1, y1 = rng.uniform(0, 20, 2)
        return {"roi": [[float(x1), float(y1), float(x1 + rng.uniform(1, 40)), float(y1 + rng.uniform(1, 40))]],
                "factor": float(rng.uniform(0, self.fmax)), "feather": float(rng.uniform(0, 5))}

    def describe(self) -> str:
        return "{'roi': [[x1, y1, x2, y2], ...], 'factor': f}, default none"

    def lerp(self, value: Any, t: float) -> Any:
        if value is None:
            return None
        return {**value, "factor": 1.0 + t * (value["factor"] - 1.0)}


class Vector(Param):
    """A fixed-length vector of numbers, each in ``[lo, hi]`` (set by tasks/the model)."""

    kind = "vector"

    def __init__(self, default: list[float], lo: float, hi: float, label: str = "", help: str = "",
                 hidden: bool = True):
        super().__init__([float(v) for v in default], label, help, hidden)
        self.lo, self.hi = lo, hi

    def validate(self, value: Any) -> list[float]:
        try:
            v = [float(x) for x in value]
        except (TypeError, ValueError):
            raise self._err(f"expected {len(self.default)} numbers, got {value!r}") from None
        if len(v) != len(self.default):
            raise self._err(f"expected {len(self.default)} numbers, got {len(v)}")
        if any(not (self.lo <= x <= self.hi) or not math.isfinite(x) for x in v):
            raise self._err(f"values must be within [{self.lo:g}, {self.hi:g}]")
        return v

    def is_default(self, value: Any) -> bool:
        return all(abs(a - b) < 1e-12 for a, b in zip(value, self.default))

    def sample(self, rng: np.random.Generator) -> list[float]:
        d = np.asarray(self.default)
        span = min(self.hi - self.lo, 1.0) * 0.3
        return [float(x) for x in np.clip(d + rng.uniform(-span, span, d.size), self.lo, self.hi)]

    def describe(self) -> str:
        return f"{len(self.default)} numbers in [{self.lo:g}, {self.hi:g}]"

    def lerp(self, value: Any, t: float) -> list[float]:
        return [min(self.hi, max(self.lo, d + t * (v - d))) for v, d in zip(value, self.default)]


#: how :class:`Grid` values are written to JSON: float32 bytes, byte planes shuffled (the
#: sign/exponent bytes of neighbouring values are alike and compress well), zlib, base64
GRID_ENCODING = "float32-shuffle-zlib-base64"


def pack_array(a: np.ndarray) -> dict[str, Any]:
    """An array as plain JSON data, exactly (float32): ``{"dtype": "float32", "shape": [...],
    "encoding": GRID_ENCODING, "data": "<base64>"}``. About a fifth of the size of nested
    lists of decimals; never pickle."""
    a = np.ascontiguousarray(a, dtype="<f4")
    planes = a.view(np.uint8).reshape(-1, 4).T.tobytes()
    return {"dtype": "float32", "shape": list(a.shape), "encoding": GRID_ENCODING,
            "data": base64.b64encode(zlib.compress(planes, 9)).decode("ascii")}


def unpack_array(d: Any) -> np.ndarray:
    """Inverse of :func:`pack_array`; ``ValueError`` says what is wrong with ``d``."""
    if d.get("encoding") != GRID_ENCODING or d.get("dtype") != "float32":
        raise ValueError(f"unknown array encoding {d.get('encoding')!r} / dtype {d.get('dtype')!r}")
    shape = d.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise ValueError(f"bad array shape {shape!r}")
    n = int(np.prod(shape))
    if n > 1 << 22:
        raise ValueError("array too large")
    try:
        planes = zlib.decompress(base64.b64decode(d.get("data", ""), validate=True), bufsize=4 * n)
    except (ValueError, TypeError, zlib.error) as e:
        raise ValueError(f"array data cannot be decoded ({e})") from None
    if len(planes) != 4 * n:
        raise ValueError(f"array data holds {len(planes)} bytes, the shape needs {4 * n}")
    raw = np.frombuffer(planes, np.uint8).reshape(4, n).T.copy()
    return raw.view("<f4").reshape(shape).astype(np.float32)


class Grid(Param):
    """An array computed by a task or the model (e.g. a coarse gain grid). ``None`` = off.
    Written to JSON packed (:func:`pack_array`, exact float32); read from that or from the
    nested lists that sidecars held before (schema version 1)."""

    kind = "grid"

    def __init__(self, ndim: int, lo: float = -1e6, hi: float = 1e6, label: str = "", help: str = ""):
        super().__init__(None, label, help, hidden=True)
        self.ndim, self.lo, self.hi = ndim, lo, hi

    def validate(self, value: Any) -> np.ndarray | None:
        if value is None:
            return None
        if isinstance(value, dict):
            try:
                a = unpack_array(value)
            except ValueError as e:
                raise self._err(str(e)) from None
        else:
            try:
                a = np.asarray(value, dtype=np.float32)
            except (TypeError, ValueError):
                raise self._err("expected a numeric array") from None
        if a.ndim != self.ndim or a.size == 0 or a.size > 1 << 22:
            raise self._err(f"expected a non-empty {self.ndim}-d array")
        if not np.isfinite(a).all() or a.min() < self.lo or a.max() > self.hi:
            raise self._err(f"values must be finite and within [{self.lo:g}, {self.hi:g}]")
        return a

    def is_default(self, value: Any) -> bool:
        return value is None

    def to_json(self, value: Any) -> Any:
        return None if value is None else pack_array(np.asarray(value))

    def describe(self) -> str:
        return f"{self.ndim}-d array (set by tasks)"

    def lerp(self, value: Any, t: float) -> Any:
        """Grids hold log-domain offsets whose identity is 0: scale them."""
        if value is None or t <= 0:
            return None
        return np.asarray(value, np.float32) * np.float32(t)


@dataclass
class RenderContext:
    """Where a tensor sits in the photo being rendered.

    ``full_size`` is (H, W) of the full-resolution photo, ``offset`` the (y, x) of this
    tensor's top-left pixel in the *rendered* grid (which is the full-resolution grid
    scaled by ``scale``), ``scale`` the render scale (1.0 = full resolution, 0.25 = a
    quarter-size preview). Spatial operations scale their radii with ``scale`` so a preview
    matches the export. ``cache`` is per-render scratch space."""

    full_size: tuple[int, int] = (0, 0)
    offset: tuple[int, int] = (0, 0)
    scale: float = 1.0
    cache: dict = field(default_factory=dict)

    @property
    def render_size(self) -> tuple[int, int]:
        return (max(1, round(self.full_size[0] * self.scale)), max(1, round(self.full_size[1] * self.scale)))
