"""White balance: temperature/tint of the assumed scene illuminant, Bradford-adapted to
the reference white (6504 K, tint 0).

Conventions (Lightroom/DNG-like): ``temperature`` is the correlated colour temperature
the scene light is *assumed* to have; the image is adapted from that illuminant to the
reference, so raising it makes the image warmer. ``tint`` moves the assumed illuminant off
the locus by Duv = tint / 3000 (CIE 1960 uv, Adobe's scale); a positive tint assumes a
greenish light, so the correction makes the image more magenta.

The illuminant locus is the CIE daylight locus from 5000 K up, the Planckian locus
(Krystek 1985) below 4000 K, and a smoothstep blend of the two in uv between, so it is
smooth everywhere. The reference is computed by the same function, so the defaults are
exactly the identity.

The reference white is itself a pair of hidden parameters (``reference_temperature``,
``reference_tint``; default 6504 K, 0). A camera RAW sets both, and the sliders, to the
camera's as-shot white (``kolors.io.raw.RawPhoto.wb_settings``): the operation starts as
the identity on the as-shot development, the slider starts from the camera's value, and
moving it to T re-balances the photo for a light of T kelvin.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..color import RGB_TO_XYZ, XYZ_TO_RGB
from ..params import Float
from ..registry import Op, register_op

__all__ = ["WhiteBalance", "cct_tint_to_xy", "xy_to_cct_tint", "wb_matrix", "bradford_cat",
           "REFERENCE", "TINT_SCALE", "CCT_RANGE"]

#: (temperature, tint) of the reference white the image is adapted to (≈ D65).
REFERENCE = (6504.0, 0.0)
#: tint units per unit of Duv (CIE 1960 uv), as in the DNG SDK.
TINT_SCALE = 3000.0
#: the CCT domain of the helpers (K); values are clipped into it.
CCT_RANGE = (1000.0, 25000.0)

_BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                      [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]], dtype=np.float64)
_BRADFORD_INV = np.linalg.inv(_BRADFORD)


def _planck_uv(T: np.ndarray) -> np.ndarray:
    """Planckian locus in CIE 1960 uv (Krystek 1985, 1000–15000 K)."""
    u = (0.860117757 + 1.54118254e-4 * T + 1.28641212e-7 * T * T) / (1 + 8.42420235e-4 * T + 7.08145163e-7 * T * T)
    v = (0.317398726 + 4.22806245e-5 * T + 4.20481691e-8 * T * T) / (1 - 2.89741816e-5 * T + 1.61456053e-7 * T * T)
    return np.stack([u, v], -1)


def _daylight_uv(T: np.ndarray) -> np.ndarray:
    """CIE daylight locus (4000–25000 K) in CIE 1960 uv."""
    T = np.maximum(T, 4000.0)
    x_lo = -4.6070e9 / T ** 3 + 2.9678e6 / T ** 2 + 0.09911e3 / T + 0.244063
    x_hi = -2.0064e9 / T ** 3 + 1.9018e6 / T ** 2 + 0.24748e3 / T + 0.237040
    x = np.where(T <= 7000.0, x_lo, x_hi)
    y = -3.0 * x * x + 2.87 * x - 0.275
    return _xy_to_uv(x, y)


def _xy_to_uv(x, y) -> np.ndarray:
    d = -2.0 * x + 12.0 * y + 3.0
    return np.stack([4.0 * x / d, 6.0 * y / d], -1)


def _uv_to_xy(uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u, v = uv[..., 0], uv[..., 1]
    d = 2.0 * u - 8.0 * v + 4.0
    return 3.0 * u / d, 2.0 * v / d


def _locus_uv(T: np.ndarray) -> np.ndarray:
    """The tint-0 locus: Planckian below 4000 K, daylight above 5000 K, blended between."""
    s = np.clip((T - 4000.0) / 1000.0, 0.0, 1.0)
    w = (s * s * (3.0 - 2.0 * s))[..., None]
    return (1.0 - w) * _planck_uv(T) + w * _daylight_uv(T)


def _planck_normal(T: np.ndarray) -> np.ndarray:
    """Unit normal of the Planckian locus at T pointing to +Duv (green). Tint offsets are
    taken along it (the isotemperature lines); it turns slowly, so the lines of nearby
    temperatures do not cross within the tint range and the inverse is unique."""
    h = 1e-4 * T
    d = _planck_uv(T + h) - _planck_uv(T - h)
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    return np.stack([d[..., 1], -d[..., 0]], -1)  # u decreases with T, so this points to +v


def _out(a: np.ndarray):
    return float(a) if np.ndim(a) == 0 else a


def cct_tint_to_xy(T, tint):
    """CIE 1931 xy chromaticity of the illuminant (``T`` kelvin, ``tint``). Scalars give
    floats, arrays broadcast. ``T`` is clipped to :data:`CCT_RANGE`."""
    T = np.clip(np.asarray(T, dtype=np.float64), *CCT_RANGE)
    tint = np.asarray(tint, dtype=np.float64)
    uv = _locus_uv(T) + (tint / TINT_SCALE)[..., None] * _planck_normal(T)
    x, y = _uv_to_xy(uv)
    return _out(x), _out(y)


def xy_to_cct_tint(x, y):
    """Inverse of :func:`cct_tint_to_xy`: (temperature K, tint) of a chromaticity. The
    temperature is clipped to :data:`CCT_RANGE`."""
    uv = _xy_to_uv(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape = uv.shape[:-1]
    uv = uv.reshape(-1, 2)
    # coarse search on a grid uniform in mired, then Newton onto the isotemperature line
    mired_grid = np.linspace(1e6 / CCT_RANGE[1], 1e6 / CCT_RANGE[0], 481)
    loc = _locus_uv(1e6 / mired_grid)
    dist = ((uv[:, None, :] - loc[None]) ** 2).sum(-1)
    m = mired_grid[dist.argmin(1)]
    lo, hi = mired_grid[0], mired_grid[-1]

    def g(mm):  # component of (p - B(T)) along the locus: zero on the isotemperature line
        T = 1e6 / mm
        n = _planck_normal(T)
        return ((uv - _locus_uv(T)) * np.stack([-n[..., 1], n[..., 0]], -1)).sum(-1)

    for _ in range(8):
        dm = 1e-3
        g0 = g(m)
        dg = (g(m + dm) - g(m - dm)) / (2 * dm)
        step = np.where(np.abs(dg) > 1e-30, g0 / np.where(dg == 0, 1.0, dg), 0.0)
        m = np.clip(m - step, lo, hi)
    T = 1e6 / m
    tint = ((uv - _locus_uv(T)) * _planck_normal(T)).sum(-1) * TINT_SCALE
    return _out(T.reshape(shape)), _out(tint.reshape(shape))


def _xy_to_XYZ(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1.0 - x - y) / y], dtype=np.float64)


def bradford_cat(xyz_src_white: np.ndarray, xyz_dst_white: np.ndarray) -> np.ndarray:
    """3×3 von Kries adaptation in Bradford cone space, acting on XYZ column vectors."""
    g = (_BRADFORD @ xyz_dst_white) / (_BRADFORD @ xyz_src_white)
    return _BRADFORD_INV @ np.diag(g) @ _BRADFORD


@lru_cache(maxsize=256)
def _wb_matrix_cached(T: float, tint: float, ref_T: float = REFERENCE[0], ref_tint: float = REFERENCE[1]) -> np.ndarray:
    src = _xy_to_XYZ(*cct_tint_to_xy(T, tint))
    dst = _xy_to_XYZ(*cct_tint_to_xy(ref_T, ref_tint))
    return XYZ_TO_RGB @ bradford_cat(src, dst) @ RGB_TO_XYZ


def wb_matrix(T: float, tint: float, reference: tuple[float, float] = REFERENCE) -> np.ndarray:
    """Linear-RGB 3×3 (float64, acts on column vectors) adapting the illuminant
    (``T``, ``tint``) to ``reference`` (default 6504 K, tint 0)."""
    return _wb_matrix_cached(float(T), float(tint), float(reference[0]), float(reference[1])).copy()


@register_op(order=12, group="color")
class WhiteBalance(Op):
    """White balance by chromatic adaptation. img: (B,3,H,W) linear sRGB (D65), any range;
    output the same, unclipped. ``temperature`` (K) is the assumed colour temperature of
    the scene light (higher → warmer result); ``tint`` its offset from the locus
    (+ → more magenta result, − → greener). A Bradford 3×3 in linear RGB."""

    version = 1
    pointwise = True
    label = "White balance"
    temperature = Float(2000.0, 15000.0, 6504.0, label="Temperature", step=50.0, unit="K",
                        help="assumed colour temperature of the light; higher makes the image warmer")
    tint = Float(-100.0, 100.0, 0.0, label="Tint", step=1.0,
                 help="green (−) to magenta (+)")
    reference_temperature = Float(2000.0, 15000.0, REFERENCE[0], label="Reference temperature", unit="K",
                                  hidden=True, help="the white the image is adapted to (a RAW's as-shot white)")
    reference_tint = Float(-100.0, 100.0, REFERENCE[1], label="Reference tint", hidden=True,
                           help="tint of the reference white")

    def is_identity(self, p) -> bool:
        return (float(p["temperature"]) == float(p.get("reference_temperature", REFERENCE[0]))
                and float(p["tint"]) == float(p.get("reference_tint", REFERENCE[1])))

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        m = torch.tensor(_wb_matrix_cached(float(p["temperature"]), float(p["tint"]),
                                           float(p.get("reference_temperature", REFERENCE[0])),
                                           float(p.get("reference_tint", REFERENCE[1]))),
                         dtype=torch.float32, device=img.device)
        out = torch.einsum("ij,bjhw->bihw", m, img.float())
        return out.to(img.dtype)
