"""Local adjustments: masks, each with its own adjustments.

A mask is plain JSON data (what sidecars, presets and ``kolors enhance --masks`` hold)::

    {"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5], "adjustments": {"exposure": 1.0}}

Coordinates are fractions of the framed (cropped, straightened) photo: x to the right,
y down, (0, 0) the top-left corner, (1, 1) the bottom-right one. Shapes are measured in
the photo's pixels (a circle stays round on a 3:2 photo), so a mask is a function of
position that does not depend on the resolution it is rendered at: a preview, a tile of
an export and the full photo agree.

Kinds (the fields besides the common ones below):

* ``linear``: ``start``, ``end`` [x, y]. Full strength at ``start``, zero at ``end``, a C²
  smoothstep along the line between them (50 % half-way), constant across it.
* ``radial``: ``center`` [x, y], ``radius`` [rx, ry] (fractions of the width and the
  height), ``feather`` in [0, 1] (default 0.5), ``angle`` in degrees (default 0, the
  ellipse turned clockwise on screen). With ρ the elliptical radius (1 on the ellipse),
  the weight is 1 for ρ ≤ 1 - feather and falls with a C² smoothstep to 0 at ρ = 1.
  ``"invert": true`` puts the effect outside.
* ``rect``: ``rect`` [x0, y0, x1, y1], ``feather`` (fraction of the long side, default
  0): 1 inside, falling to 0 at ``feather`` outside (the industrial task's region).
* ``brush``: ``strokes``, a list of ``{"points": [[x, y], ...], "size": d, "feather": f,
  "flow": q, "erase": false}``; ``size`` is the brush diameter as a fraction of the
  photo's long side, ``feather`` in [0, 1] (default 0.5) the soft share of the radius,
  ``flow`` in (0, 1] (default 1). A stroke covers the pixels near its polyline (one dab
  per pixel however many points overlap); strokes are applied in order, painting
  ``m + (1 - m)·flow·w`` or erasing ``m·(1 - flow·w)``. Stored as strokes, not pixels.
* ``luminance``: ``range`` [lo, hi] of lightness L*/100 (CIE), ``soft`` (default 0.1): 1
  within the range, 0 at ``soft`` beyond it.
* ``color``: a qualifier in OkLCh, as Resolve's: ``hue`` [centre°, width°] (full within
  ±width/2), ``hue_soft``° (default 20), ``saturation`` [lo, hi] (OkLCh chroma / 0.3,
  default [0.05, 1]: greys, whose hue is noise, left out), ``lightness`` [lo, hi] (Oklab L, default [0, 1]), ``soft`` (default
  0.1) for both; the weight is the product of the three.
* ``file``: ``path`` of a grey-scale PNG/TIFF (8 or 16 bit; white = 1) stretched over the
  framed photo and sampled bilinearly.

Common fields: ``name`` (text), ``visible`` (default true), ``opacity`` in [0, 1]
(default 1), ``invert`` (the kind's own weight turned to 1 - w), ``combine``: further
components ``[{"mode": "add"|"subtract"|"intersect", "kind": ..., ...}]`` applied in
order (add: max(a, b); subtract: a·(1 - b); intersect: a·b; each may be inverted), and
``adjustments``: a settings dict of the registry (any visible parameter of a pointwise
operation, plus local contrast and sharpening), validated like ``--set``.

The masks operation (:mod:`kolors.core.ops.masks`) renders each visible mask as one
masked pass after the global grade: ``out = x + m·(adjusted(x) - x)`` in linear light.
Pixel-value masks (luminance, colour) look at the photo as the global grade leaves it (the
masks' input, not the result of earlier masks), so their order does not change them.
"""
from __future__ import annotations

import math
import os
from typing import Any, Mapping

import numpy as np
import torch

from .lru import LRU
from .params import Param, RenderContext

__all__ = ["KINDS", "MODES", "COORD_RANGE", "RADIUS_MAX", "RADIUS_MIN", "BRUSH_SIZE", "SPATIAL_ADJUSTMENTS", "Masks", "validate_masks", "mask_weight", "rect_weight",
           "reframe_masks", "normalised", "active_masks",
           "smoothstep_profile", "adjustment_params"]

KINDS = ("linear", "radial", "rect", "brush", "luminance", "color", "file")
MODES = ("add", "subtract", "intersect")
#: spatial operations a mask may carry besides the pointwise ones
SPATIAL_ADJUSTMENTS = ("local_contrast", "sharpen")
#: OkLCh chroma that counts as saturation 1 (about the most saturated sRGB colours)
CHROMA_FULL = 0.3
#: most masks, strokes per brush and points per stroke one edit may hold
MAX_MASKS = 64
MAX_STROKES = 2000
MAX_POINTS = 20000

_COMMON = ("kind", "name", "visible", "opacity", "invert", "combine", "adjustments")
_COMPONENT_COMMON = ("kind", "mode", "invert")
_FIELDS: dict[str, dict[str, Any]] = {
    # field: default (None = required)
    "linear": {"start": None, "end": None},
    "radial": {"center": None, "radius": None, "feather": 0.5, "angle": 0.0},
    "rect": {"rect": None, "feather": 0.0},
    "brush": {"strokes": None},
    "luminance": {"range": None, "soft": 0.1},
    "color": {"hue": None, "hue_soft": 20.0, "saturation": [0.05, 1.0], "lightness": [0.0, 1.0], "soft": 0.1},
    "file": {"path": None},
}


# ---------------------------------------------------------------------- validation
class _Bad(ValueError):
    pass


def _num(v: Any, where: str, lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(float(v)):
        raise _Bad(f"{where}: expected a number, got {v!r}")
    f = float(v)
    if f < lo or f > hi or (lo_open and f <= lo):
        lo_s = f"({lo:g}" if lo_open else f"[{lo:g}"
        raise _Bad(f"{where}: {f:g} is outside {lo_s}, {hi:g}]")
    return f


def _pair(v: Any, where: str, lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False) -> list[float]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise _Bad(f"{where}: expected two numbers [a, b], got {v!r}")
    return [_num(v[0], f"{where}[0]", lo, hi, lo_open=lo_open), _num(v[1], f"{where}[1]", lo, hi, lo_open=lo_open)]


def _range(v: Any, where: str) -> list[float]:
    r = _pair(v, where, 0.0, 1.0)
    if r[1] < r[0]:
        raise _Bad(f"{where}: expected [lo, hi] with lo <= hi, got {v!r}")
    return r


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise _Bad(f"{where}: expected true or false, got {v!r}")
    return v


#: point coordinates may lie outside the photo (a gradient dragged past the edge, or a mask
#: drawn on a wider crop than the one now chosen)
_COORD = (-100.0, 100.0)
#: the largest radius (fractions of the photo) and the smallest (a hundredth of a pixel at 10k px)
RADIUS_MAX = 100.0
RADIUS_MIN = 1e-6
COORD_RANGE = _COORD
#: the brush sizes the window offers (fractions of the long side; the format takes (0, 2])
BRUSH_SIZE = (0.005, 0.5)


def _component(d: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(d, Mapping):
        raise _Bad(f"{where}: expected an object with a 'kind', got {d!r}")
    kind = d.get("kind")
    if kind not in KINDS:
        raise _Bad(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    fields = _FIELDS[kind]
    unknown = [k for k in d if k not in fields and k not in allowed]
    if unknown:
        raise _Bad(f"{where}: unknown field {unknown[0]!r} for a {kind} mask; valid: "
                   f"{', '.join(list(fields) + [a for a in allowed if a != 'kind'])}")
    for k, dflt in fields.items():
        if dflt is None and k not in d:
            raise _Bad(f"{where}: a {kind} mask needs {k!r}")
    out: dict[str, Any] = {"kind": kind}
    g = {k: d.get(k, dflt) for k, dflt in fields.items()}
    w = lambda k: f"{where}.{k}"  # noqa: E731
    if kind == "linear":
        out["start"], out["end"] = _pair(g["start"], w("start"), *_COORD), _pair(g["end"], w("end"), *_COORD)
        if out["start"] == out["end"]:
            raise _Bad(f"{where}: a linear mask needs start and end apart, got {out['start']} twice")
    elif kind == "radial":
        out["center"] = _pair(g["center"], w("center"), *_COORD)
        out["radius"] = _pair(g["radius"], w("radius"), RADIUS_MIN, RADIUS_MAX)
        out["feather"] = _num(g["feather"], w("feather"), 0.0, 1.0)
        out["angle"] = _num(g["angle"], w("angle"), -360.0, 360.0)
    elif kind == "rect":
        r = g["rect"]
        if not isinstance(r, (list, tuple)) or len(r) != 4:
            raise _Bad(f"{w('rect')}: expected [x0, y0, x1, y1], got {r!r}")
        r = [_num(c, f"{w('rect')}[{i}]", *_COORD) for i, c in enumerate(r)]
        if r[2] <= r[0] or r[3] <= r[1]:
            raise _Bad(f"{w('rect')}: expected x0 < x1 and y0 < y1, got {g['rect']!r}")
        out["rect"] = r
        out["feather"] = _num(g["feather"], w("feather"), 0.0, 1.0)
    elif kind == "brush":
        out["strokes"] = _strokes(g["strokes"], w("strokes"))
    elif kind == "luminance":
        out["range"] = _range(g["range"], w("range"))
        out["soft"] = _num(g["soft"], w("soft"), 0.0, 1.0)
    elif kind == "color":
        out["hue"] = _pair(g["hue"], w("hue"), -360.0, 360.0)
        if not 0 <= out["hue"][1] <= 360:
            raise _Bad(f"{w('hue')}[1]: the width must be within [0, 360], got {out['hue'][1]:g}")
        out["hue"][0] %= 360.0
        out["hue_soft"] = _num(g["hue_soft"], w("hue_soft"), 0.0, 180.0)
        out["saturation"] = _range(g["saturation"], w("saturation"))
        out["lightness"] = _range(g["lightness"], w("lightness"))
        out["soft"] = _num(g["soft"], w("soft"), 0.0, 1.0)
    elif kind == "file":
        p = g["path"]
        if not isinstance(p, str) or not p:
            raise _Bad(f"{w('path')}: expected the path of a grey-scale PNG or TIFF, got {p!r}")
        if not p.lower().endswith((".png", ".tif", ".tiff")):
            raise _Bad(f"{w('path')}: expected a .png, .tif or .tiff file, got {p!r}")
        out["path"] = p
    if "invert" in d:
        out["invert"] = _bool(d["invert"], w("invert"))
    return out


def _strokes(v: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(v, (list, tuple)):
        raise _Bad(f"{where}: expected a list of strokes, got {v!r}")
    if len(v) > MAX_STROKES:
        raise _Bad(f"{where}: at most {MAX_STROKES} strokes, got {len(v)}")
    out = []
    for i, s in enumerate(v):
        ws = f"{where}[{i}]"
        if not isinstance(s, Mapping):
            raise _Bad(f"{ws}: expected {{'points': [[x, y], ...], 'size': d, ...}}, got {s!r}")
        unknown = [k for k in s if k not in ("points", "size", "feather", "flow", "erase")]
        if unknown:
            raise _Bad(f"{ws}: unknown field {unknown[0]!r}; valid: points, size, feather, flow, erase")
        pts = s.get("points")
        if not isinstance(pts, (list, tuple)) or not pts:
            raise _Bad(f"{ws}.points: expected a non-empty list of [x, y], got {pts!r}")
        if len(pts) > MAX_POINTS:
            raise _Bad(f"{ws}.points: at most {MAX_POINTS} points, got {len(pts)}")
        out.append({"points": [_pair(p, f"{ws}.points[{j}]", *_COORD) for j, p in enumerate(pts)],
                    "size": _num(s.get("size", 0.05), f"{ws}.size", 0.0, 2.0, lo_open=True),
                    "feather": _num(s.get("feather", 0.5), f"{ws}.feather", 0.0, 1.0),
                    "flow": _num(s.get("flow", 1.0), f"{ws}.flow", 0.0, 1.0, lo_open=True),
                    "erase": _bool(s.get("erase", False), f"{ws}.erase")})
    return out


def adjustment_params() -> list[str]:
    """The parameter names a mask's ``adjustments`` may set: the visible parameters of
    every pointwise operation and of :data:`SPATIAL_ADJUSTMENTS`, in pipeline order."""
    from . import registry
    return [k for op in registry.ops() if (op.pointwise or op.name in SPATIAL_ADJUSTMENTS) and not op.frames
            for k, prm in op.params.items() if not prm.hidden]


def _adjustments(v: Any, where: str) -> dict[str, Any]:
    from . import registry
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise _Bad(f"{where}: expected an object of {{parameter: value}}, got {v!r}")
    allowed = set(adjustment_params())
    for k in v:
        if k not in allowed:
            try:
                registry.get_param(k)
            except ValueError:
                raise _Bad(f"{where}: unknown parameter {k!r}; a mask may set: {', '.join(adjustment_params())}") \
                    from None
            raise _Bad(f"{where}: parameter {k!r} cannot be set in a mask; a mask may set: "
                       f"{', '.join(adjustment_params())}")
    try:
        return registry.validate_settings(v, allow_hidden=False)
    except ValueError as e:
        raise _Bad(f"{where}: {e}") from None


def validate_masks(value: Any, where: str = "masks") -> list[dict[str, Any]]:
    """Validate and normalise a list of masks (see the module docstring); ``ValueError``
    names the field, e.g. ``masks[0].radius[1]: -0.2 is outside (0, 10]``."""
    if value is None:
        return ValidMasks()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _Bad(f"{where}: expected a list of masks, got {value!r}")
    if len(value) > MAX_MASKS:
        raise _Bad(f"{where}: at most {MAX_MASKS} masks, got {len(value)}")
    out = []
    for i, d in enumerate(value):
        wi = f"{where}[{i}]"
        m = _component(d, wi, _COMMON)
        m.setdefault("invert", False)
        if "name" in d:
            if not isinstance(d["name"], str):
                raise _Bad(f"{wi}.name: expected text, got {d['name']!r}")
            m["name"] = d["name"]
        else:
            m["name"] = f"Mask {i + 1}"
        m["visible"] = _bool(d.get("visible", True), f"{wi}.visible")
        m["opacity"] = _num(d.get("opacity", 1.0), f"{wi}.opacity", 0.0, 1.0)
        comb = d.get("combine", [])
        if not isinstance(comb, (list, tuple)):
            raise _Bad(f"{wi}.combine: expected a list of components, got {comb!r}")
        cs = []
        for j, c in enumerate(comb):
            wc = f"{wi}.combine[{j}]"
            cc = _component(c, wc, _COMPONENT_COMMON)
            mode = c.get("mode", "add") if isinstance(c, Mapping) else None
            if mode not in MODES:
                raise _Bad(f"{wc}.mode: expected one of {', '.join(MODES)}, got {mode!r}")
            cc["mode"] = mode
            cc.setdefault("invert", False)
            cs.append(cc)
        m["combine"] = cs
        m["adjustments"] = _adjustments(d.get("adjustments"), f"{wi}.adjustments")
        out.append(m)
    return ValidMasks(out)


class ValidMasks(list):
    """A list of masks :func:`validate_masks` made (so it is not validated again on every
    tile); a plain list from Python or JSON is validated where it is used."""


def normalised(masks: Any) -> list[dict[str, Any]]:
    """``masks`` as :func:`validate_masks` leaves them: validated here unless they already are
    (a settings dict from Python need not have gone through the registry)."""
    if not masks:
        return []
    return masks if isinstance(masks, ValidMasks) else validate_masks(masks)


def active_masks(masks: Any) -> list[dict[str, Any]]:
    """The masks that change the photo: visible, opacity > 0, some adjustment set."""
    from . import registry
    return [m for m in normalised(masks) if m["visible"] and m["opacity"] > 0
            and registry.active_ops(m["adjustments"])]


class Masks(Param):
    """A list of masks with their adjustments (:mod:`kolors.core.masks`). Default: none."""

    kind = "masks"

    def __init__(self, label: str = "", help: str = "", hidden: bool = False):
        super().__init__([], label, help, hidden)

    def validate(self, value: Any) -> list[dict[str, Any]]:
        try:
            return validate_masks(value, self.name or "masks")
        except _Bad as e:
            raise ValueError(f"parameter '{self.name}': {e}") from None

    def is_default(self, value: Any) -> bool:
        """No masks at all (a mask without adjustments yet, or hidden, is kept in the edit;
        the operation skips it: :func:`active_masks`)."""
        return not value

    def parse(self, text: str) -> Any:
        """``--set masks=FILE.json`` or inline JSON."""
        import json
        t = text.strip()
        if t[:1] in "[{":
            try:
                return json.loads(t)
            except json.JSONDecodeError as e:
                raise self._err(f"invalid JSON ({e})") from None
        return load_masks_file(t)

    def sample(self, rng: np.random.Generator) -> list[dict[str, Any]]:
        y = float(rng.uniform(0.2, 0.6))
        return [{"kind": "linear", "start": [0.5, y - 0.2], "end": [0.5, y + 0.2],
                 "adjustments": {"exposure": float(rng.uniform(-1, 1))}},
                {"kind": "radial", "center": [float(rng.uniform(0.3, 0.7)), 0.5], "radius": [0.3, 0.3],
                 "feather": 0.5, "adjustments": {"chroma_boost": float(rng.uniform(0.5, 1.5))}}]

    def to_json(self, value: Any) -> Any:
        return [dict(m) for m in (value or [])]

    def describe(self) -> str:
        return "a list of masks with adjustments (JSON, see the README), default none"

    def lerp(self, value: Any, t: float) -> Any:
        """Blending toward none scales each mask's opacity."""
        if not value or t >= 1:
            return value
        return [{**m, "opacity": m["opacity"] * max(0.0, t)} for m in value]


def load_masks_file(path: str | os.PathLike, resolve_paths: bool = False) -> Any:
    """The JSON data of a masks file (``ValueError`` naming the file when it cannot be read).
    ``resolve_paths``: relative ``path`` fields of ``file`` masks (and components) are taken
    from the masks file's own folder and made absolute, and each must be a readable file."""
    import json
    from pathlib import Path
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ValueError(f"{path}: the masks file cannot be read ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a JSON file ({e})") from None
    if resolve_paths and isinstance(data, (list, dict)):
        base = Path(path).resolve().parent
        items = data if isinstance(data, list) else [data]
        for i, m in enumerate(items):
            if not isinstance(m, dict):
                continue
            parts = [(f"masks[{i}]", m)] + [(f"masks[{i}].combine[{j}]", c)
                                            for j, c in enumerate(m.get("combine") or []) if isinstance(c, dict)]
            for where, c in parts:
                p = c.get("path")
                if c.get("kind") == "file" and isinstance(p, str) and p:
                    full = Path(p) if Path(p).is_absolute() else base / p
                    if not full.is_file():
                        raise ValueError(f"{path}: {where}.path: no such mask file {str(full)!r}")
                    c["path"] = str(full)
    return data


# ---------------------------------------------------------------------- evaluation
def smoothstep_profile(t: torch.Tensor) -> torch.Tensor:
    """Perlin's C² smoothstep of ``t`` clamped to [0, 1] (0 → 0, 0.5 → 0.5, 1 → 1): the
    operations' own (:func:`kolors.core.ops._chroma.smootherstep`) on [0, 1]."""
    from .ops._chroma import smootherstep
    return smootherstep(0.0, 1.0, t)


def _fade(x: torch.Tensor, inner: float, outer: float) -> torch.Tensor:
    """1 for x ≤ inner, 0 for x ≥ outer, a smoothstep between (a hard edge when equal)."""
    if outer - inner <= 1e-12:
        return (x <= inner).to(x.dtype)
    return 1.0 - smoothstep_profile((x - inner) / (outer - inner))


def _band(x: torch.Tensor, lo: float, hi: float, soft: float) -> torch.Tensor:
    """1 within [lo, hi], 0 at ``soft`` outside it, smoothstep edges."""
    below = _fade(lo - x, 0.0, soft) if lo > 0 else torch.ones_like(x)
    above = _fade(x - hi, 0.0, soft) if hi < 1 else torch.ones_like(x)
    return below * above


def _grid(img: torch.Tensor, ctx: RenderContext) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    from .ops.vignette import full_res_grid
    return full_res_grid(img, ctx)


def _eval_kind(c: Mapping[str, Any], img: torch.Tensor, ctx: RenderContext) -> torch.Tensor:
    """The weight (h, w) or (B,1,h,w) of one component, before inversion."""
    kind = c["kind"]
    if kind in ("luminance", "color"):
        return _eval_pixel(c, img)
    Y, X, H, W = _grid(img, ctx)  # full-resolution pixel centres, (h,1) and (1,w)
    if kind == "linear":
        sx, sy = c["start"][0] * W, c["start"][1] * H
        ex, ey = c["end"][0] * W, c["end"][1] * H
        dx, dy = ex - sx, ey - sy
        n2 = dx * dx + dy * dy
        if n2 < 1e-12:  # start and end in one point (validation refuses it): no effect
            return torch.zeros(Y.shape[0], X.shape[1], device=img.device)
        t = ((X - sx) * dx + (Y - sy) * dy) / n2
        return 1.0 - smoothstep_profile(t)
    if kind == "radial":
        cx, cy = c["center"][0] * W, c["center"][1] * H
        rx, ry = c["radius"][0] * W, c["radius"][1] * H
        a = math.radians(c["angle"])
        ca, sa = math.cos(a), math.sin(a)
        u, v = X - cx, Y - cy
        ur, vr = u * ca + v * sa, -u * sa + v * ca
        rho = torch.sqrt((ur / rx) ** 2 + (vr / ry) ** 2)
        return _fade(rho, 1.0 - c["feather"], 1.0)
    if kind == "rect":
        x0, y0, x1, y1 = c["rect"]
        return rect_weight((x0 * W, y0 * H, x1 * W, y1 * H), c["feather"] * max(H, W), Y, X)
    if kind == "brush":
        return _eval_brush(c["strokes"], Y, X, H, W)
    if kind == "file":
        return _eval_file(c["path"], Y, X, H, W)
    raise ValueError(f"unknown mask kind {kind!r}")


def rect_weight(rect: tuple[float, float, float, float], feather: float, Y: torch.Tensor,
                X: torch.Tensor) -> torch.Tensor:
    """(h, w) weight of a rectangle ``(x0, y0, x1, y1)`` in full-resolution pixels at pixel
    centres ``Y`` (h,1), ``X`` (1,w): 1 where the centre is inside, falling with a C²
    smoothstep to 0 at ``feather`` pixels outside (a hard edge at 0). The ``rect`` mask kind
    and the industrial region boost (:mod:`kolors.core.ops.region_boost`) both use it."""
    x0, y0, x1, y1 = rect
    dx = torch.clamp_min(torch.maximum(x0 - X, X - x1), 0.0)
    dy = torch.clamp_min(torch.maximum(y0 - Y, Y - y1), 0.0)
    if feather > 0:
        return _fade(torch.sqrt(dx * dx + dy * dy), 0.0, feather)
    return ((dx <= 0) & (dy <= 0)).float()


def _eval_pixel(c: Mapping[str, Any], img: torch.Tensor) -> torch.Tensor:
    from . import color
    x = img.float()
    if c["kind"] == "luminance":
        y = color.luminance(x).clamp_min(0.0)
        lstar = color.xyz_to_lab(torch.cat([y, y, y], 1))[:, :1] / 100   # L* of Y (X, Z do not enter)
        return _band(lstar, c["range"][0], c["range"][1], c["soft"])
    lch = color.oklab_to_oklch(color.rgb_to_oklab(x.clamp_min(0.0)))
    L, C, hdeg = lch[:, :1], lch[:, 1:2], lch[:, 2:3]
    centre, width = c["hue"]
    d = color.hue_difference(hdeg, centre)
    wh = _fade(d.abs(), width / 2, width / 2 + c["hue_soft"])
    ws = _band(C / CHROMA_FULL, c["saturation"][0], c["saturation"][1], c["soft"])
    wl = _band(L, c["lightness"][0], c["lightness"][1], c["soft"])
    return wh * ws * wl


#: segments of one stroke handled at once (bounds the scratch memory to h·w·chunk floats)
_SEG_CHUNK = 16


def _eval_brush(strokes: list[Mapping[str, Any]], Y: torch.Tensor, X: torch.Tensor, H: float, W: float) -> torch.Tensor:
    h, w = Y.shape[0], X.shape[1]
    dev = Y.device
    m = torch.zeros(h, w, device=dev)
    ylo, yhi, xlo, xhi = float(Y[0, 0]), float(Y[-1, 0]), float(X[0, 0]), float(X[0, -1])
    long = max(H, W)
    for s in strokes:
        r = 0.5 * s["size"] * long
        p = torch.tensor(s["points"], dtype=torch.float32, device=dev) * torch.tensor([W, H], device=dev)
        a = p if len(p) == 1 else p[:-1]
        b = p if len(p) == 1 else p[1:]
        # segments whose bounding box, grown by r, meets this tile
        keep = ((torch.minimum(a[:, 0], b[:, 0]) - r <= xhi) & (torch.maximum(a[:, 0], b[:, 0]) + r >= xlo)
                & (torch.minimum(a[:, 1], b[:, 1]) - r <= yhi) & (torch.maximum(a[:, 1], b[:, 1]) + r >= ylo))
        if not bool(keep.any()):
            continue
        a, b = a[keep], b[keep]
        d2 = torch.full((h, w), math.inf, device=dev)
        for i in range(0, len(a), _SEG_CHUNK):
            aa, bb = a[i:i + _SEG_CHUNK], b[i:i + _SEG_CHUNK]
            ab = bb - aa
            n2 = (ab * ab).sum(1).clamp_min(1e-12)
            px = X.view(1, 1, w) - aa[:, 0].view(-1, 1, 1)
            py = Y.view(1, h, 1) - aa[:, 1].view(-1, 1, 1)
            t = ((px * ab[:, 0].view(-1, 1, 1) + py * ab[:, 1].view(-1, 1, 1)) / n2.view(-1, 1, 1)).clamp(0, 1)
            qx = px - t * ab[:, 0].view(-1, 1, 1)
            qy = py - t * ab[:, 1].view(-1, 1, 1)
            d2 = torch.minimum(d2, (qx * qx + qy * qy).amin(0))
        wgt = _fade(torch.sqrt(d2), r * (1.0 - s["feather"]), r) * s["flow"]
        m = m * (1.0 - wgt) if s["erase"] else m + (1.0 - m) * wgt
    return m


_FILES: LRU[tuple, torch.Tensor] = LRU(8 << 26, weigh=lambda t: t.numel() * 4)


def read_mask_file(path: str) -> torch.Tensor:
    """A grey-scale mask file as a (1,1,h,w) float32 tensor in [0, 1] (8-bit /255, 16-bit
    /65535; colour images by their Rec.709 luma), cached by path and modification time.
    ``ValueError`` names the file when it cannot be read."""
    from PIL import Image
    try:
        st = os.stat(path)
    except OSError as e:
        raise ValueError(f"{path}: the mask file cannot be read ({e.strerror or e})") from None
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size)

    def load() -> torch.Tensor:
        try:
            with Image.open(path) as im:
                im.load()
                if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                    a = np.asarray(im, dtype=np.float64) / 65535.0
                elif im.mode == "F":
                    a = np.asarray(im, dtype=np.float64)
                else:
                    a = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            raise ValueError(f"{path}: not a grey-scale image that can be read ({e})") from None
        return torch.from_numpy(np.clip(a, 0, 1).astype(np.float32))[None, None]

    return _FILES.get_or_create(key, load)


def _eval_file(path: str, Y: torch.Tensor, X: torch.Tensor, H: float, W: float) -> torch.Tensor:
    t = read_mask_file(path).to(Y.device)
    gx = (X / W) * 2 - 1
    gy = (Y / H) * 2 - 1
    grid = torch.stack(torch.broadcast_tensors(gx, gy), -1)[None]  # (1,h,w,2)
    return torch.nn.functional.grid_sample(t, grid, mode="bilinear", padding_mode="border",
                                           align_corners=False)[0, 0]


def _as4(wt: torch.Tensor) -> torch.Tensor:
    return wt if wt.dim() == 4 else wt.view(1, 1, *wt.shape[-2:])


def mask_weight(m: Mapping[str, Any], img: torch.Tensor, ctx: RenderContext) -> torch.Tensor:
    """The weight of a validated mask on ``img`` ((B,3,h,w) linear sRGB, placed in the
    framed photo by ``ctx``): (B or 1, 1, h, w) float32 in [0, 1], opacity included."""
    def comp(c: Mapping[str, Any]) -> torch.Tensor:
        wt = _as4(_eval_kind(c, img, ctx).float())
        return 1.0 - wt if c.get("invert") else wt

    out = comp(m)
    for c in m.get("combine", ()):
        b = comp(c)
        if c["mode"] == "add":
            out = torch.maximum(out, b)
        elif c["mode"] == "subtract":
            out = out * (1.0 - b)
        else:
            out = out * b
    return (out * float(m.get("opacity", 1.0))).clamp(0.0, 1.0)


def overlay_rgba(weight: np.ndarray, rgb: tuple[int, int, int] = (255, 40, 40), alpha: float = 0.55) -> np.ndarray:
    """A mask's weight (``h×w`` in [0, 1]) as an ``h×w×4`` uint8 RGBA overlay: ``rgb`` with
    opacity ``alpha·weight`` (what the viewer paints over the photo with the overlay on)."""
    w = np.clip(np.asarray(weight, np.float32), 0.0, 1.0)
    out = np.empty(w.shape + (4,), np.uint8)
    out[..., :3] = np.asarray(rgb, np.uint8)
    out[..., 3] = np.round(w * (255.0 * alpha)).astype(np.uint8)
    return out


# ---------------------------------------------------------------------- following the framing
def _affine(f) -> tuple[np.ndarray, np.ndarray]:
    """``(A, b)`` with source = A·(u, v) + b for output pixel coordinates of framing ``f``
    at full resolution (the lens warp left out: masks live after it)."""
    u = np.array([0.0, 1.0, 0.0])
    v = np.array([0.0, 0.0, 1.0])
    sx, sy = f.map_points(u, v, lens=False)
    A = np.array([[sx[1] - sx[0], sx[2] - sx[0]], [sy[1] - sy[0], sy[2] - sy[0]]])
    return A, np.array([sx[0], sy[0]])


def reframe_masks(masks: list[dict[str, Any]], old, new) -> list[dict[str, Any]]:
    """Validated ``masks`` drawn on the photo framed by ``old`` moved onto the photo framed by
    ``new`` (both :class:`~kolors.core.geometry.Framing`), so they stay on the same part of the
    picture when the crop, rotation, flip or straightening changes: points are mapped through
    the source photo; radii, brush sizes and feathers keep their size in pixels; a radial's
    angle turns with the photo (and mirrors with a flip). A rectangle becomes the bounding
    box of its mapped corners; a mask file stays stretched over the frame; luminance and
    colour ranges do not depend on position."""
    import copy as _copy
    A0, b0 = _affine(old)
    A1, b1 = _affine(new)
    A1i = np.linalg.inv(A1)
    M = A1i @ A0                       # old output pixels → new output pixels (linear part)
    (ow, oh), (nw, nh) = old.size, new.size
    long_ratio = max(ow, oh) / max(nw, nh)
    det = float(np.linalg.det(M))
    turn = math.degrees(math.atan2(M[1, 0], M[0, 0]))

    def pt(p: list[float]) -> list[float]:
        u, v = p[0] * ow - 0.5, p[1] * oh - 0.5          # fractions → pixel centres
        s = A0 @ np.array([u, v]) + b0
        q = A1i @ (s - b1)
        return [float(min(_COORD[1], max(_COORD[0], (q[0] + 0.5) / nw))),
                float(min(_COORD[1], max(_COORD[0], (q[1] + 0.5) / nh)))]

    def comp(c: dict[str, Any]) -> dict[str, Any]:
        c = _copy.deepcopy(c)
        k = c["kind"]
        if k == "linear":
            c["start"], c["end"] = pt(c["start"]), pt(c["end"])
        elif k == "radial":
            c["center"] = pt(c["center"])
            rx, ry = c["radius"][0] * ow, c["radius"][1] * oh
            c["radius"] = [float(min(RADIUS_MAX, max(RADIUS_MIN, rx / nw))),
                           float(min(RADIUS_MAX, max(RADIUS_MIN, ry / nh)))]
            a = c.get("angle", 0.0)
            a = (-a if det < 0 else a) + turn
            c["angle"] = float((a + 180.0) % 360.0 - 180.0)
        elif k == "rect":
            x0, y0, x1, y1 = c["rect"]
            ps = np.array([pt([x0, y0]), pt([x1, y0]), pt([x0, y1]), pt([x1, y1])])
            c["rect"] = [float(ps[:, 0].min()), float(ps[:, 1].min()), float(ps[:, 0].max()), float(ps[:, 1].max())]
            c["feather"] = float(min(1.0, c["feather"] * long_ratio))
        elif k == "brush":
            for s in c["strokes"]:
                s["points"] = [pt(p) for p in s["points"]]
                s["size"] = float(min(2.0, s["size"] * long_ratio))
        return c

    out = ValidMasks()
    for m in normalised(masks):
        mm = comp(m)
        mm["combine"] = [comp(c) for c in m.get("combine", [])]
        out.append(mm)
    return out
