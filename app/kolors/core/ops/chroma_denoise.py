"""Chroma denoise: edge-stopped diffusion of the Oklab chroma channels."""
from __future__ import annotations

import math

import torch

from ..color import _LMS_TO_RGB, _OK_M2, _OK_M2_INV, _RGB_TO_LMS
from ..params import Float
from ..registry import Op, register_op
from ._spatial import box_mean

#: diffusion length at strength 1 (full-resolution px, ≈ sqrt(2·t)): 2.5 px for photos up
#: to 3750 px on the long side, growing with the photo to 3.5 px (5250 px and more). Chroma
#: noise is a pixel-scale thing, and the explicit scheme costs one pass per 0.25 px² of
#: diffusion time, so the length grows only gently with the photo.
LEN_PER_PX, LEN_MIN, LEN_MAX = 1.0 / 1500.0, 2.5, 3.5
#: explicit-scheme time step (stable for dt · (4·max g + λ) ≤ 1 with g ≤ 1)
DT_MAX = 0.25
#: Perona–Malik edge scale on Oklab L: conductance g = 1 / (1 + (ΔL / K)²)
K_EDGE = 0.03
#: fidelity: λ · t(strength = 1) — how strongly the chroma is held to the original
FIDELITY = 0.3
#: iterations are capped (so is the halo) at this many
MAX_ITERS = 200


def _mat(m, x: torch.Tensor) -> torch.Tensor:
    """(B,k,H,W) → (B,n,H,W) by an n×k matrix as one flat matmul (faster than movedim)."""
    B, k, H, W = x.shape
    t = torch.as_tensor(m, dtype=x.dtype, device=x.device)
    return torch.matmul(t, x.reshape(B, k, H * W)).reshape(B, t.shape[0], H, W)


def _cbrt(x: torch.Tensor) -> torch.Tensor:
    # exp(log|x| / 3) is several times faster than pow(|x|, 1/3) on the CPU; log 0 = -inf
    # gives exp(-inf) = 0, so zero stays zero
    return torch.copysign(torch.exp(torch.log(x.abs()) * (1.0 / 3.0)), x)


def _unit_time(full_size, scale: float) -> float:
    """Diffusion time at strength 1 at this render scale (t = length² / 2, length ∝ scale)."""
    long = float(max(full_size)) if min(full_size) > 0 else 0.0
    length = min(max(long * LEN_PER_PX, LEN_MIN), LEN_MAX) * scale
    return 0.5 * length * length


def _schedule(full_size, scale: float, strength: float) -> tuple[int, float, float]:
    """(iterations, time step, λ) for this render."""
    t1 = _unit_time(full_size, scale)
    t = strength * t1
    if t <= 0.0:
        return 0, 0.0, 0.0
    lam = FIDELITY / max(t1, 1e-6)
    dt_max = min(DT_MAX, 1.0 / (4.0 + lam))
    n = min(max(1, math.ceil(t / dt_max)), MAX_ITERS)
    return n, t / n, lam


@register_op(group="detail")
class ChromaDenoise(Op):
    """Chroma noise reduction by edge-stopped diffusion.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space. In Oklab, the chroma channels C = (a, b) evolve by
    ∂C/∂t = ∇·(D ∇C) − λ (C − C₀) with an explicit 4-neighbour scheme; D is a
    Perona–Malik conductance g(ΔL) = 1/(1 + (ΔL/K)²) between neighbours, computed once from
    the (3×3-smoothed) Oklab L of the input, so colour does not diffuse across luminance
    edges; λ holds the result to the original chroma C₀. Lightness L is not changed.
    Diffusion time ∝ strength, its length (≈ 2.5–3.5 px at full resolution) scales with the
    render so a preview matches the export; the stable step and the iteration count follow
    from it. Zero-flux (replicate) borders.

    Params: ``chroma_denoise`` (0–1, default 0 = off) is the strength."""

    version = 1
    pointwise = False
    label = "Chroma denoise"
    chroma_denoise = Float(0.0, 1.0, 0.0, label="Chroma noise reduction", step=0.01)

    def is_identity(self, p) -> bool:
        return p["chroma_denoise"] <= 0.0

    def halo(self, p, ctx) -> int:
        if self.is_identity(p):
            return 0
        n, _, _ = _schedule(ctx.full_size, ctx.scale, float(p["chroma_denoise"]))
        # each iteration reaches one pixel further; the conductances use L one pixel
        # beyond, smoothed over one more
        return n + 2 if n > 0 else 0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        fs = ctx.full_size
        if min(fs) <= 0:
            fs = (round(img.shape[-2] / ctx.scale), round(img.shape[-1] / ctx.scale))
        n, dt, lam = _schedule(fs, ctx.scale, float(p["chroma_denoise"]))
        if n == 0:
            return img
        x = img.float()
        # Oklab (Ottosson): lms' = cbrt(M1·rgb), lab = M2·lms'
        lmsp = _cbrt(_mat(_RGB_TO_LMS, x))
        lab = _mat(_OK_M2, lmsp)
        L = lab[:, :1]
        c0 = lab[:, 1:].contiguous()
        Ls = box_mean(L, 1)
        # conductances between vertical / horizontal neighbours, time step folded in;
        # the update is c ← w0·c + Σ g·c_neighbour + dt·λ·c0 with w0 = 1 − dt·λ − Σ g
        # (zero flux at the tensor's edge: the missing neighbour's g is 0)
        gv = dt / (1.0 + ((Ls[:, :, 1:] - Ls[:, :, :-1]) / K_EDGE) ** 2)
        gh = dt / (1.0 + ((Ls[..., 1:] - Ls[..., :-1]) / K_EDGE) ** 2)
        dl = dt * lam
        w0 = torch.full_like(Ls, 1.0 - dl)
        w0[:, :, 1:] -= gv
        w0[:, :, :-1] -= gv
        w0[..., 1:] -= gh
        w0[..., :-1] -= gh
        dc0 = c0 * dl
        c = c0.clone()
        acc = torch.empty_like(c)
        for _ in range(n):
            torch.addcmul(dc0, w0, c, out=acc)
            acc[:, :, 1:].addcmul_(gv, c[:, :, :-1])
            acc[:, :, :-1].addcmul_(gv, c[:, :, 1:])
            acc[..., 1:].addcmul_(gh, c[..., :-1])
            acc[..., :-1].addcmul_(gh, c[..., 1:])
            c, acc = acc, c
        # back to RGB as a difference, so untouched pixels stay bit-exact:
        # lms'_new = lms' + M2⁻¹[:, a b]·(c − c0), rgb += M1⁻¹·(lms'_new³ − lms'³)
        lmsp_new = lmsp + _mat(_OK_M2_INV[:, 1:], c - c0)
        out = x + _mat(_LMS_TO_RGB, lmsp_new ** 3 - lmsp ** 3)
        return out.to(img.dtype)
