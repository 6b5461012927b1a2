"""Shared OkLCh helpers for the colour operations (not an operation itself: the registry
skips modules whose name starts with ``_``).

The central piece is a soft gamut limit for chroma changes. :func:`ray_exit` finds how
far a ray in Oklab stays inside linear RGB [0, ub] (ub = 1 for display white; larger for
HDR highlights); :func:`max_chroma` is the ray from the grey at L outwards along a hue.
:func:`soft_chroma` keeps a requested chroma increase inside that boundary, smoothly;
decreases are exact (so 0 gives grey). :func:`neutral_fade` fades hue-selective
adjustments out near grey. Everything here is continuous and smooth in the colour,
because pointwise operations are baked into a 65³ LUT: near black a LUT cell is as large
as the colours in it and near white the gamut narrows within one cell, so chroma
increases fade out there (``TOE``, ``SHOULDER``).

Chroma and hue are measured from Oklab's neutral axis (``WHITE_AB``), so that chroma 0 is
exactly R = G = B.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..color import _LMS_TO_RGB, _OK_M2_INV, rgb_to_oklab

#: Oklab (a, b) of RGB white. Oklab derived through XYZ puts sRGB white at a tiny offset
#: from (0, 0) (about -2e-5, -1.2e-4); greys of lightness L sit at (L, L·a_w, L·b_w).
#: Chroma and hue here are measured from that neutral axis, so chroma 0 is exactly R = G = B.
WHITE_AB: tuple[float, float] = tuple(
    float(v) for v in rgb_to_oklab(torch.ones(3, 1, 1, dtype=torch.float64))[1:, 0, 0])

__all__ = ["max_chroma", "soft_chroma", "soft_limit", "to_lch", "from_lch", "scale_ab", "smootherstep",
           "rgb_bound", "as_work", "neutral_ab", "with_neutral_ab", "neutral_fade", "ray_exit", "WHITE_AB"]

#: bisection steps of :func:`ray_exit` (bracket / 2^10, then a secant step on the smooth margin)
_STEPS = 10
#: temperature of the smooth minimum over the six channel margins (relative units)
_TAU = 0.05
#: how softly the room for chroma goes to 0 at the gamut boundary (fraction of the boundary chroma)
_ROOM_SOFT = 0.02
#: chroma increases fade out below TOE and above SHOULDER (Oklab L relative to ub^(1/3))
TOE = 0.2
SHOULDER = 0.85


def _ray_coeffs():
    m2i = _OK_M2_INV
    u = m2i @ np.array([1.0, WHITE_AB[0], WHITE_AB[1]])  # lms' of the neutral axis per unit L
    return u, m2i[:, 1], m2i[:, 2], _LMS_TO_RGB


_U, _KA, _KB, _M = _ray_coeffs()


def ray_exit(L: torch.Tensor, ab0: tuple[torch.Tensor, torch.Tensor] | None,
             d: tuple[torch.Tensor, torch.Tensor], t_max: torch.Tensor | float,
             ub: torch.Tensor | float = 1.0, tau: float | None = None) -> torch.Tensor:
    """How far the Oklab ray ``(L, ab0 + t·d)`` (a, b about the neutral axis; ``ab0`` None
    = on the axis) stays inside linear RGB [0, ub]: the first ``t`` in ``[0, t_max]``
    where it leaves (``t_max`` if it never does). A ray that starts outside may go inwards
    but stops where it would get further out than it started.

    The margin (how far inside, per channel, relative to the grey at L for the lower
    bound and to ``ub`` for the upper one) is a smooth minimum over the six faces, so the
    boundary is slightly rounded (conservative at edges and corners) and the exit point
    is a smooth function of the inputs; ``tau`` is its temperature (default ``_TAU``;
    0 = the exact box). Bisection, then a secant step on the margin."""
    tau = _TAU if tau is None else tau
    dt = L.dtype
    ub_t = torch.as_tensor(ub, dtype=dt, device=L.device)
    Lc = L.clamp_min(0.0)
    da, db = d
    a0, b0 = ab0 if ab0 is not None else (None, None)
    base = []
    for j in range(3):
        v = float(_U[j]) * Lc
        if a0 is not None:
            v = v + float(_KA[j]) * a0 + float(_KB[j]) * b0
        base.append(v)
    kdir = [float(_KA[j]) * da + float(_KB[j]) * db for j in range(3)]
    inv_lo = 1.0 / (Lc ** 3).clamp_min(1e-30)
    inv_hi = 1.0 / ub_t

    def margin(t: torch.Tensor) -> torch.Tensor:
        lms = []
        for j in range(3):
            q = base[j] + t * kdir[j]
            lms.append(q * q * q)
        ms = []
        for c in range(3):
            v = float(_M[c, 0]) * lms[0] + float(_M[c, 1]) * lms[1] + float(_M[c, 2]) * lms[2]
            ms += [v * inv_lo, (ub_t - v) * inv_hi]
        mn = ms[0]
        for m in ms[1:]:
            mn = torch.minimum(mn, m)
        if tau <= 0:
            return mn
        acc = None
        for m in ms:
            e = torch.exp((mn - m) * (1.0 / tau))
            acc = e if acc is None else acc + e
        return mn - tau * torch.log(acc)

    lo = torch.zeros_like(kdir[0] + Lc)
    hi = torch.as_tensor(t_max, dtype=dt, device=L.device) + lo
    # a start outside (or on the rounded edge) may move inwards but not further out
    m0 = margin(lo)
    floor = m0.clamp_max(0.0)
    m_lo = m0 - floor
    m_hi = margin(hi) - floor
    for _ in range(_STEPS):
        mid = 0.5 * (lo + hi)
        m_mid = margin(mid) - floor
        ok = m_mid >= 0
        lo = torch.where(ok, mid, lo)
        m_lo = torch.where(ok, m_mid, m_lo)
        hi = torch.where(ok, hi, mid)
        m_hi = torch.where(ok, m_hi, m_mid)
    root = lo + (hi - lo) * (m_lo / (m_lo - m_hi).clamp_min(1e-30)).clamp(0.0, 1.0)
    root = torch.where(m_hi >= 0, hi, root)  # never left within the search range
    return torch.where(L > 0, root, torch.zeros_like(root))


def max_chroma(L: torch.Tensor, h: torch.Tensor, ub: torch.Tensor | float = 1.0) -> torch.Tensor:
    """Largest Oklab chroma (about the neutral axis) whose linear RGB stays within
    ``[0, ub]`` at lightness ``L`` and hue ``h`` (degrees); tensors that broadcast.

    Along a ray of constant L and hue each RGB channel is a cubic in C; the first exit
    (:func:`ray_exit`) is searched in ``C in [0, 0.75 L]``: the largest C / L in the
    gamut is 0.69, and searching further could find the mirror image of the gamut cone.
    Continuous and smooth in its inputs (the box's edges are slightly rounded), so it
    underestimates near the primaries and secondaries and near white. About 0 where the
    grey at L is itself outside (L <= 0, or L³ > ub)."""
    hr = h * (math.pi / 180.0)
    return ray_exit(L, None, (torch.cos(hr), torch.sin(hr)), 0.75 * L.clamp_min(0.0), ub)


#: Oklab chroma below which hue-selective adjustments fade out (:func:`neutral_fade`)
NEUTRAL_C = 0.05


def neutral_fade(C: torch.Tensor, L: torch.Tensor | None = None, c1: float = NEUTRAL_C) -> torch.Tensor:
    """Weight in [0, 1] for hue-dependent adjustments: 0 for greys, rising smoothly (C²)
    with the Oklab chroma to 1 at ``c1``. Near the neutral axis hue is unstable — a tiny
    change of colour swings it round the circle — so anything that depends on hue must
    fade out there, or a baked 3D LUT cannot follow it (and noise in greys would flicker
    between bands). Absolute chroma rather than C / L, because a LUT cell spans about the
    same absolute chroma at every lightness (sRGB-encoded grid). Above white (Oklab
    ``L`` > 1, HDR values) the threshold grows with ``L``: there the grid is spaced in
    proportion to the value, so the fade is relative (``C / L``) and stays resolvable."""
    if L is not None:
        return smootherstep(0.0, 1.0, C / (c1 * L.clamp_min(1.0)))
    return smootherstep(0.0, c1, C)


def soft_limit(x: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
    """Smoothly compress ``x >= 0`` so that it approaches ``head >= 0`` but never exceeds
    it: ``x * head / (x^4 + head^4)^(1/4)`` (≈ x for x << head)."""
    x = x.clamp_min(0.0)
    head = head.clamp_min(0.0)
    # scale by the larger of the two so the fourth powers cannot overflow or underflow
    m = torch.maximum(x, head).clamp_min(1e-20)
    xs, hs = x / m, head / m
    return m * xs * hs / (xs ** 4 + hs ** 4).clamp_min(1e-30) ** 0.25


def soft_chroma(C0: torch.Tensor, C1: torch.Tensor, L1: torch.Tensor, h1: torch.Tensor,
                ub: torch.Tensor | float = 1.0, toe: float | None = TOE,
                shoulder: float | None = SHOULDER, fade_ub: torch.Tensor | float | None = None) -> torch.Tensor:
    """Chroma to use for a pixel of original chroma ``C0`` when ``C1`` is requested at
    lightness ``L1`` and hue ``h1`` (degrees), keeping it softly inside RGB [0, ub].

    A request at or below ``C0`` is returned exactly. An increase is first faded out
    smoothly below ``toe`` and above ``shoulder`` (Oklab L relative to ``fade_ub^(1/3)``,
    default ``ub``; None = no fade), then compressed by :func:`soft_limit` into the room
    between ``C0`` and the gamut boundary ``max_chroma(L1, h1, ub)`` (the room itself
    taken as a smooth max(·, 0)). So the result lies in [C0, C1], approaches the boundary
    without crossing it, never pushes a colour already outside further out, and is smooth
    in its inputs — which a baked 3D LUT needs: near black the cells are as large as the
    colours, and near white the gamut narrows within one cell, so the increase fades there."""
    inc = C1 - C0
    if toe is not None or shoulder is not None:
        fu = ub if fade_ub is None else fade_ub
        q = L1 / torch.as_tensor(fu, dtype=L1.dtype, device=L1.device) ** (1.0 / 3.0)
        fade = torch.ones_like(q)
        if toe is not None:
            fade = fade * smootherstep(0.0, toe, q)
        if shoulder is not None:
            fade = fade * (1.0 - smootherstep(shoulder, 1.0, q))
        inc = torch.where(inc > 0, inc * fade, inc)
    cm = max_chroma(L1, h1, ub).clamp_min(1e-7)
    # room below the boundary, cm - C0, bent smoothly (C¹) to 0 at the boundary so that
    # colours at it have none, yet the result has no kink there
    z = (1.0 - C0 / cm).clamp_min(0.0)
    room = cm * z * z / (z + _ROOM_SOFT)
    return torch.where(inc <= 0, C0 + inc, C0 + soft_limit(inc, room))


def neutral_ab(lab: torch.Tensor) -> torch.Tensor:
    """(a, b) of Oklab (B,3,H,W) measured from the neutral axis, (B,2,H,W)."""
    L = lab[:, 0:1]
    return torch.cat([lab[:, 1:2] - WHITE_AB[0] * L, lab[:, 2:3] - WHITE_AB[1] * L], 1)


def with_neutral_ab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Oklab from L and (a, b) measured from the neutral axis (inverse of :func:`neutral_ab`)."""
    return torch.cat([L, ab[:, 0:1] + WHITE_AB[0] * L, ab[:, 1:2] + WHITE_AB[1] * L], 1)


def to_lch(lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Oklab (B,3,H,W) → (L, C, h in degrees [0, 360)), each (B,1,H,W); chroma and hue
    measured from the neutral axis (see ``WHITE_AB``)."""
    L = lab[:, 0:1]
    ab = neutral_ab(lab)
    a, b = ab[:, 0:1], ab[:, 1:2]
    C = torch.hypot(a, b)
    h = torch.rad2deg(torch.atan2(b, a)) % 360.0
    return L, C, h


def from_lch(L: torch.Tensor, C: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_lch`."""
    hr = h * (math.pi / 180.0)
    return with_neutral_ab(L, torch.cat([C * torch.cos(hr), C * torch.sin(hr)], 1))


def scale_ab(lab: torch.Tensor, C_old: torch.Tensor, C_new: torch.Tensor) -> torch.Tensor:
    """Oklab with its chroma (about the neutral axis) rescaled from ``C_old`` to ``C_new``,
    lightness and hue kept exactly."""
    k = torch.where(C_old > 1e-12, C_new / C_old.clamp_min(1e-12), torch.zeros_like(C_old))
    L = lab[:, 0:1]
    return with_neutral_ab(L, neutral_ab(lab) * k)


def smootherstep(e0: float, e1: float, x: torch.Tensor) -> torch.Tensor:
    """Perlin's C2 smoothstep from 0 at ``e0`` to 1 at ``e1``."""
    t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0)
    return t * t * t * (t * (t * 6 - 15) + 10)


def rgb_bound(img: torch.Tensor) -> torch.Tensor:
    """Per-pixel upper bound for the gamut limit, (B,1,H,W): 1 (display white) for pixels
    whose channels are all <= 1, and ``m²`` for a pixel whose largest channel ``m`` is
    above white (HDR), so highlights keep room to grow in proportion; continuous at 1."""
    return img.amax(1, keepdim=True).clamp_min(1.0) ** 2


def as_work(img: torch.Tensor) -> torch.Tensor:
    """``img`` in the working precision: float32, or float64 if it already is."""
    return img if img.dtype == torch.float64 else img.float()
