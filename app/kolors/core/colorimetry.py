"""Colorimetry in plain numpy (no torch): the sRGB/Rec.709 ↔ XYZ matrices, the illuminant
locus (correlated colour temperature and tint ↔ CIE xy) and the Bradford adaptation.

:mod:`kolors.core.color` (colour spaces on torch tensors) and the white-balance operation
build on these; the camera-RAW decoder (:mod:`kolors.io.raw`) and the torch-free RAW export
of the command line use them directly, so importing this module never imports torch.

The matrices are derived in float64 from the sRGB primaries and the D65 chromaticity
(0.3127, 0.3290). White-balance conventions (Lightroom/DNG-like, see
:mod:`kolors.core.ops.white_balance`): ``tint`` moves the illuminant off the locus by
Duv = tint / 3000 (CIE 1960 uv, Adobe's scale); the locus is the CIE daylight locus from
5000 K up, the Planckian locus (Krystek 1985) below 4000 K, and a smoothstep blend of the
two in uv between, so it is smooth everywhere.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["RGB_TO_XYZ", "XYZ_TO_RGB", "D65_XYZ", "LUMA", "REFERENCE", "TINT_SCALE", "CCT_RANGE", "BRADFORD",
           "xy_to_xyz", "cct_tint_to_xy", "xy_to_cct_tint", "bradford_cat", "srgb_to_linear", "linear_to_srgb",
           "illuminant_rgb", "rgb_to_cct_tint", "adaptation_matrices", "OUTPUT_SPACES", "check_space",
           "space_to_xyz", "srgb_to_space", "primaries_to_xyz", "transfer_params", "space_encode"]

_D65_XY = (0.3127, 0.3290)


def _xp(x):
    """The array module of ``x``: torch for a tensor (without importing torch here), else numpy."""
    if type(x).__module__.startswith("torch"):
        import torch
        return torch
    return np


def srgb_to_linear(x):
    """The sRGB transfer function, decoding: encoded values (nominally [0, 1]) → linear light,
    odd-symmetric below 0, the power law continuing above 1. A torch tensor or a numpy array
    in, the same kind out (numpy: float32 for float32 and integer input, float64 for
    float64). The one sRGB decode of Kolors; importing it never imports torch."""
    xp = _xp(x)
    if xp is np:
        x = np.asarray(x)
        x = x.astype(np.result_type(x.dtype, np.float32), copy=False)
    a = xp.abs(x)
    lin = xp.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return xp.copysign(lin, x)


def linear_to_srgb(x):
    """The sRGB transfer function, encoding (the inverse of :func:`srgb_to_linear`), for
    torch tensors and numpy arrays alike."""
    xp = _xp(x)
    if xp is np:
        x = np.asarray(x)
        x = x.astype(np.result_type(x.dtype, np.float32), copy=False)
        pos = np.maximum(np.abs(x), 1e-30)
    else:
        pos = x.abs().clamp_min(1e-30)          # a finite gradient of the power at 0
    a = xp.abs(x)
    enc = xp.where(a <= 0.0031308, a * 12.92, 1.055 * pos ** (1 / 2.4) - 0.055)
    return xp.copysign(enc, x)


def xy_to_xyz(x: float, y: float) -> np.ndarray:
    """XYZ (Y = 1) of the chromaticity (x, y)."""
    return np.array([x / y, 1.0, (1.0 - x - y) / y], dtype=np.float64)


def primaries_to_xyz(primaries, white) -> np.ndarray:
    """3×3 linear RGB → XYZ of an RGB space with ``primaries`` ((x, y) of r, g, b) and
    ``white`` (x, y), its white at Y = 1 (columns: the primaries' XYZ), float64."""
    cols = np.stack([xy_to_xyz(*p) for p in primaries], axis=1)  # (3,3) columns = primaries
    s = np.linalg.solve(cols, xy_to_xyz(*white))
    return cols * s[None, :]


RGB_TO_XYZ: np.ndarray = primaries_to_xyz(((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), _D65_XY)
XYZ_TO_RGB: np.ndarray = np.linalg.inv(RGB_TO_XYZ)
D65_XYZ: np.ndarray = xy_to_xyz(*_D65_XY)
#: Rec.709 luminance weights of linear RGB (the Y row of RGB_TO_XYZ).
LUMA: np.ndarray = RGB_TO_XYZ[1].copy()

#: (temperature, tint) of the reference white the image is adapted to (≈ D65).
REFERENCE = (6504.0, 0.0)
#: tint units per unit of Duv (CIE 1960 uv), as in the DNG SDK.
TINT_SCALE = 3000.0
#: the CCT domain of the helpers (K); values are clipped into it.
CCT_RANGE = (1000.0, 25000.0)

#: the Bradford cone response (XYZ → LMS).
BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                     [-0.7502, 1.7135, 0.0367],
                     [0.0389, -0.0685, 1.0296]], dtype=np.float64)
BRADFORD_INV = np.linalg.inv(BRADFORD)


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


@lru_cache(maxsize=1)
def _mired_grid() -> tuple[np.ndarray, np.ndarray]:
    """The coarse search grid of :func:`xy_to_cct_tint`: mireds, and their locus in uv."""
    mired = np.linspace(1e6 / CCT_RANGE[1], 1e6 / CCT_RANGE[0], 481)
    mired.flags.writeable = False
    loc = _locus_uv(1e6 / mired)
    loc.flags.writeable = False
    return mired, loc


def xy_to_cct_tint(x, y):
    """Inverse of :func:`cct_tint_to_xy`: (temperature K, tint) of a chromaticity. The
    temperature is clipped to :data:`CCT_RANGE`."""
    uv = _xy_to_uv(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape = uv.shape[:-1]
    uv = uv.reshape(-1, 2)
    # coarse search on a grid uniform in mired, then Newton onto the isotemperature line
    mired_grid, loc = _mired_grid()
    dist = ((uv[:, None, :] - loc[None]) ** 2).sum(-1)
    m = mired_grid[dist.argmin(1)]
    lo, hi = mired_grid[0], mired_grid[-1]

    def g(mm):  # component of (p - B(T)) along the locus: zero on the isotemperature line
        T = 1e6 / mm
        n = _planck_normal(T)
        return ((uv - _locus_uv(T)) * np.stack([-n[..., 1], n[..., 0]], -1)).sum(-1)

    for _ in range(8):
        dm = 1e-3
        g0, gp, gm = g(np.stack([m, m + dm, m - dm]))  # one call: the step and its derivative
        dg = (gp - gm) / (2 * dm)
        step = np.where(np.abs(dg) > 1e-30, g0 / np.where(dg == 0, 1.0, dg), 0.0)
        m_next = np.clip(m - step, lo, hi)
        if np.array_equal(m_next, m):  # a fixed point: the remaining steps would change nothing
            break
        m = m_next
    T = 1e6 / m
    tint = ((uv - _locus_uv(T)) * _planck_normal(T)).sum(-1) * TINT_SCALE
    return _out(T.reshape(shape)), _out(tint.reshape(shape))


def bradford_cat(xyz_src_white: np.ndarray, xyz_dst_white: np.ndarray) -> np.ndarray:
    """3×3 von Kries adaptation in Bradford cone space, acting on XYZ column vectors."""
    g = (BRADFORD @ xyz_dst_white) / (BRADFORD @ xyz_src_white)
    return BRADFORD_INV @ np.diag(g) @ BRADFORD


def illuminant_rgb(T, tint) -> np.ndarray:
    """Linear sRGB of the white of illuminant (``T`` K, ``tint``) at luminance Y = 1:
    shape ``np.shape(T) + (3,)`` (broadcast with ``tint``), float64. (6504 K, 0) is ≈ (1, 1, 1)."""
    x, y = cct_tint_to_xy(T, tint)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    xyz = np.stack([x / y, np.ones_like(x), (1.0 - x - y) / y], -1)
    return xyz @ XYZ_TO_RGB.T


def rgb_to_cct_tint(rgb) -> tuple:
    """Inverse of :func:`illuminant_rgb`: (temperature K, tint) of an illuminant given as
    linear sRGB ``(..., 3)`` (any positive scale)."""
    xyz = np.asarray(rgb, dtype=np.float64) @ RGB_TO_XYZ.T
    s = xyz.sum(-1).clip(1e-12, None)
    return xy_to_cct_tint(xyz[..., 0] / s, xyz[..., 1] / s)


def adaptation_matrices(T, tint, reference: tuple[float, float] = REFERENCE) -> np.ndarray:
    """Linear-RGB 3×3 matrices (``np.shape(T) + (3, 3)``, float64, acting on column
    vectors) adapting the illuminant (``T``, ``tint``) to ``reference`` by Bradford:
    the vectorised form of :func:`kolors.core.ops.white_balance.wb_matrix`. Swapping the
    roles (``T`` as the reference) gives the cast a light of ``T`` puts on a neutral scene."""
    src = illuminant_rgb(T, tint) @ RGB_TO_XYZ.T
    dst = illuminant_rgb(*reference) @ RGB_TO_XYZ.T
    g = (dst @ BRADFORD.T) / (src @ BRADFORD.T)  # (..., 3) cone gains
    return (XYZ_TO_RGB @ BRADFORD_INV) @ (g[..., :, None] * (BRADFORD @ RGB_TO_XYZ))


# ---------------------------------------------------------------------- output RGB spaces
#: the RGB spaces an export can be written in: name → (label, primaries xy (r, g, b),
#: white xy, transfer). Transfers: ``srgb`` (IEC 61966-2-1), ``gamma:G`` (a pure power,
#: Adobe RGB (1998): 563/256), ``rec709`` (BT.709/BT.2020 camera curve, 0.45 power with a
#: linear toe), ``romm`` (ProPhoto/ROMM RGB: 1.8 power, linear below 1/512).
OUTPUT_SPACES: dict[str, tuple[str, tuple, tuple[float, float], str]] = {
    "srgb": ("sRGB IEC61966-2.1", ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), _D65_XY, "srgb"),
    "display-p3": ("Display P3", ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), _D65_XY, "srgb"),
    "adobe-rgb": ("Adobe RGB (1998) compatible", ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)), _D65_XY,
                  "gamma:2.19921875"),
    "rec2020": ("Rec. ITU-R BT.2020", ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), _D65_XY, "rec709"),
    "prophoto": ("ProPhoto RGB (ROMM)", ((0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001)),
                 (0.3457, 0.3585), "romm"),
}


def check_space(name: str) -> str:
    """``name`` if it is one of :data:`OUTPUT_SPACES`, else ``ValueError`` listing them."""
    if name not in OUTPUT_SPACES:
        raise ValueError(f"unknown colour space {name!r}; valid: {', '.join(OUTPUT_SPACES)}")
    return name


def space_to_xyz(name: str) -> np.ndarray:
    """3×3 linear RGB of space ``name`` → XYZ (its own white at Y = 1), float64."""
    _, prim, white, _ = OUTPUT_SPACES[check_space(name)]
    return primaries_to_xyz(prim, white)


def srgb_to_space(name: str) -> np.ndarray:
    """3×3 linear sRGB → linear RGB of space ``name`` (relative colorimetric: D65 white goes to
    the space's white by the Bradford adaptation), float64. Values outside [0, 1] are kept."""
    white = OUTPUT_SPACES[check_space(name)][2]
    cat = bradford_cat(D65_XYZ, xy_to_xyz(*white))
    return np.linalg.inv(space_to_xyz(name)) @ cat @ RGB_TO_XYZ


def transfer_params(name: str) -> tuple[int, tuple[float, ...]]:
    """The space's decoding curve as an ICC parametric curve: (function type, parameters):
    type 0 ``Y = X^g`` or type 3 ``Y = (aX + b)^g`` for X ≥ d, else ``cX``."""
    tr = OUTPUT_SPACES[check_space(name)][3]
    if tr == "srgb":
        return 3, (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    if tr == "rec709":
        return 3, (1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081)
    if tr == "romm":
        return 3, (1.8, 1.0, 0.0, 1 / 16, 16 / 512)
    return 0, (float(tr.split(":", 1)[1]),)


def space_encode(name: str, lin: np.ndarray) -> np.ndarray:
    """Linear RGB of space ``name`` → its encoded values (the inverse of its ICC curve),
    odd-symmetric below 0 and continuing above 1, float32 for float32 input."""
    lin = np.asarray(lin)
    lin = lin.astype(np.result_type(lin.dtype, np.float32), copy=False)
    if OUTPUT_SPACES[check_space(name)][3] == "srgb":
        return linear_to_srgb(lin)
    kind, p = transfer_params(name)
    a = np.abs(lin)
    if kind == 0:
        enc = a ** (1.0 / p[0])
    else:
        g, ka, kb, kc, d = p
        lin_d = kc * d                      # the linear part ends where the power part starts
        enc = np.where(a < lin_d, a / kc, (np.maximum(a, 1e-30) ** (1.0 / g) - kb) / ka)
    return np.copysign(enc, lin).astype(lin.dtype, copy=False)
