"""Colour spaces and colour difference on torch tensors.

Every function takes a tensor whose channel axis is ``dim`` (default ``-3``, so
``(B,3,H,W)`` and ``(3,H,W)`` both work) and returns one of the same shape and dtype.
Linear RGB means linear-light sRGB/Rec.709 primaries with a D65 white, scaled so that
diffuse white is 1.0 (values above 1 are allowed: highlights). XYZ is scaled so that
Y of white is 1.0. Lab is CIE 1976 L*a*b* (D65, 2°), L in [0, 100]. Oklab is Björn
Ottosson's Oklab (L in [0, 1]); OkLCh carries hue in degrees in [0, 360).

The matrices are derived in float64 from the sRGB primaries and the D65 chromaticity
(0.3127, 0.3290), the same numbers colour-science uses, so conversions agree with it to
float rounding.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .colorimetry import D65_XYZ, LUMA, RGB_TO_XYZ, XYZ_TO_RGB, linear_to_srgb, srgb_to_linear

__all__ = [
    "srgb_to_linear", "linear_to_srgb", "rgb_to_xyz", "xyz_to_rgb", "xyz_to_lab",
    "lab_to_xyz", "rgb_to_lab", "lab_to_rgb", "rgb_to_oklab", "oklab_to_rgb",
    "oklab_to_oklch", "oklch_to_oklab", "delta_e2000", "luminance",
    "RGB_TO_XYZ", "XYZ_TO_RGB", "D65_XYZ", "LUMA",
]

_OK_M1 = np.array([[0.8189330101, 0.3618667424, -0.1288597137],
                   [0.0329845436, 0.9293118715, 0.0361456387],
                   [0.0482003018, 0.2643662691, 0.6338517070]], dtype=np.float64)
_OK_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                   [1.9779984951, -2.4285922050, 0.4505937099],
                   [0.0259040371, 0.7827717662, -0.8086757660]], dtype=np.float64)
_RGB_TO_LMS = _OK_M1 @ RGB_TO_XYZ
_LMS_TO_RGB = np.linalg.inv(_RGB_TO_LMS)
_OK_M2_INV = np.linalg.inv(_OK_M2)


def _mat(m: np.ndarray, x: torch.Tensor, dim: int) -> torch.Tensor:
    """Apply a 3×3 matrix along the channel axis ``dim``."""
    t = torch.as_tensor(m, dtype=x.dtype, device=x.device)
    xm = x.movedim(dim, -1)
    return (xm @ t.T).movedim(-1, dim)


def rgb_to_xyz(rgb: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Linear sRGB → CIE XYZ (D65, Y of white = 1)."""
    return _mat(RGB_TO_XYZ, rgb, dim)


def xyz_to_rgb(xyz: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """CIE XYZ (D65) → linear sRGB."""
    return _mat(XYZ_TO_RGB, xyz, dim)


_EPS = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0


def xyz_to_lab(xyz: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """CIE XYZ (D65) → CIE L*a*b* (D65 reference white)."""
    w = torch.as_tensor(D65_XYZ, dtype=xyz.dtype, device=xyz.device)
    shape = [1] * xyz.dim()
    shape[dim] = 3
    t = xyz / w.view(shape)
    f = torch.where(t > _EPS, torch.sign(t) * t.abs().clamp_min(1e-30) ** (1 / 3), (_KAPPA * t + 16) / 116)
    fx, fy, fz = f.unbind(dim)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim)


def lab_to_xyz(lab: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """CIE L*a*b* (D65) → CIE XYZ."""
    L, a, b = lab.unbind(dim)
    fy = (L + 16) / 116
    fx = fy + a / 500
    fz = fy - b / 200

    def finv(f: torch.Tensor) -> torch.Tensor:
        f3 = f ** 3
        return torch.where(f3 > _EPS, f3, (116 * f - 16) / _KAPPA)

    yr = torch.where(L > _KAPPA * _EPS, ((L + 16) / 116) ** 3, L / _KAPPA)
    w = D65_XYZ
    return torch.stack([finv(fx) * w[0], yr * w[1], finv(fz) * w[2]], dim)


def rgb_to_lab(rgb: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Linear sRGB → CIE L*a*b* (D65)."""
    return xyz_to_lab(rgb_to_xyz(rgb, dim), dim)


def lab_to_rgb(lab: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """CIE L*a*b* (D65) → linear sRGB."""
    return xyz_to_rgb(lab_to_xyz(lab, dim), dim)


def _cbrt(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * x.abs() ** (1 / 3)


def rgb_to_oklab(rgb: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Linear sRGB → Oklab (via XYZ with Ottosson's M1, as colour-science does)."""
    return _mat(_OK_M2, _cbrt(_mat(_RGB_TO_LMS, rgb, dim)), dim)


def oklab_to_rgb(lab: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Oklab → linear sRGB."""
    return _mat(_LMS_TO_RGB, _mat(_OK_M2_INV, lab, dim) ** 3, dim)


def oklab_to_oklch(lab: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Oklab → OkLCh with hue in degrees in [0, 360)."""
    L, a, b = lab.unbind(dim)
    C = torch.hypot(a, b)
    h = torch.rad2deg(torch.atan2(b, a)) % 360.0
    h = torch.where(h >= 360.0, torch.zeros_like(h), h)  # -tiny % 360 rounds to 360
    return torch.stack([L, C, h], dim)


def oklch_to_oklab(lch: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """OkLCh (hue in degrees) → Oklab."""
    L, C, h = lch.unbind(dim)
    hr = torch.deg2rad(h)
    return torch.stack([L, C * torch.cos(hr), C * torch.sin(hr)], dim)


def hue_difference(h: torch.Tensor, centre: float | torch.Tensor) -> torch.Tensor:
    """Signed hue difference ``h - centre`` in degrees, wrapped to [-180, 180)."""
    return torch.remainder(h - centre + 180.0, 360.0) - 180.0


def luminance(rgb: torch.Tensor, dim: int = -3, keepdim: bool = True) -> torch.Tensor:
    """Relative luminance Y of linear sRGB, same dtype; channel axis kept with size 1."""
    w = torch.as_tensor(LUMA, dtype=rgb.dtype, device=rgb.device)
    shape = [1] * rgb.dim()
    shape[dim] = 3
    return (rgb * w.view(shape)).sum(dim, keepdim=keepdim)


def delta_e2000(lab1: torch.Tensor, lab2: torch.Tensor, dim: int = -3,
                kL: float = 1.0, kC: float = 1.0, kH: float = 1.0) -> torch.Tensor:
    """CIEDE2000 colour difference between two CIE Lab tensors (Sharma, Wu & Dalal 2005).

    Returns the difference with the channel axis removed (float16/bfloat16 inputs are
    computed in float32: 25**7 overflows half precision)."""
    if lab1.dtype in (torch.float16, torch.bfloat16) or lab2.dtype in (torch.float16, torch.bfloat16):
        dt = torch.promote_types(lab1.dtype, lab2.dtype)
        return delta_e2000(lab1.float(), lab2.float(), dim, kL, kC, kH).to(dt)
    L1, a1, b1 = lab1.unbind(dim)
    L2, a2, b2 = lab2.unbind(dim)
    C1 = torch.hypot(a1, b1)
    C2 = torch.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    Cm7 = Cm ** 7
    G = 0.5 * (1 - torch.sqrt(Cm7 / (Cm7 + 25.0 ** 7)))
    a1p = (1 + G) * a1
    a2p = (1 + G) * a2
    C1p = torch.hypot(a1p, b1)
    C2p = torch.hypot(a2p, b2)
    h1p = torch.rad2deg(torch.atan2(b1, a1p)) % 360.0
    h2p = torch.rad2deg(torch.atan2(b2, a2p)) % 360.0
    # atan2(0, 0) is 0 by convention, which is what Sharma's notes ask for.
    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    prod0 = (C1p * C2p) == 0
    dh = torch.where(dh > 180, dh - 360, torch.where(dh < -180, dh + 360, dh))
    dh = torch.where(prod0, torch.zeros_like(dh), dh)
    dHp = 2 * torch.sqrt(C1p * C2p) * torch.sin(torch.deg2rad(dh / 2))
    Lpm = (L1 + L2) / 2
    Cpm = (C1p + C2p) / 2
    hsum = h1p + h2p
    hpm = torch.where((h1p - h2p).abs() > 180,
                      torch.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hpm = torch.where(prod0, hsum, hpm)
    T = (1 - 0.17 * torch.cos(torch.deg2rad(hpm - 30)) + 0.24 * torch.cos(torch.deg2rad(2 * hpm))
         + 0.32 * torch.cos(torch.deg2rad(3 * hpm + 6)) - 0.20 * torch.cos(torch.deg2rad(4 * hpm - 63)))
    dtheta = 30 * torch.exp(-(((hpm - 275) / 25) ** 2))
    Cpm7 = Cpm ** 7
    RC = 2 * torch.sqrt(Cpm7 / (Cpm7 + 25.0 ** 7))
    Lm50 = (Lpm - 50) ** 2
    SL = 1 + 0.015 * Lm50 / torch.sqrt(20 + Lm50)
    SC = 1 + 0.045 * Cpm
    SH = 1 + 0.015 * Cpm * T
    RT = -torch.sin(torch.deg2rad(2 * dtheta)) * RC
    tL = dLp / (kL * SL)
    tC = dCp / (kC * SC)
    tH = dHp / (kH * SH)
    # clamp: identical pairs would give sqrt(0) and a NaN gradient in training losses
    return torch.sqrt((tL ** 2 + tC ** 2 + tH ** 2 + RT * tC * tH).clamp_min(1e-30))


def delta_e2000_rgb(rgb1: torch.Tensor, rgb2: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """ΔE2000 between two linear-sRGB tensors (computed in float64 for stability)."""
    return delta_e2000(rgb_to_lab(rgb1.double(), dim), rgb_to_lab(rgb2.double(), dim), dim)


__all__.append("delta_e2000_rgb")
_ = math  # math kept for callers doing scalar conversions
