"""Detail recovery: small-radius, edge-aware, noise-aware boost of fine luminance detail."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..params import Float
from ..registry import Op, register_op
from ._spatial import apply_log_gain, box_mean, guided_filter_frac, log2_luma, min_filter

#: detail radius at full resolution: 1.5 px up to 3 px for photos of 6000 px and more
R_MIN, R_MAX, R_PER_PX = 1.5, 3.0, 1.0 / 2000.0
#: guided-filter ε (stops²): steps well above 0.35 stops are edges and are not boosted
EPS = 0.35 ** 2
#: local variance (stops², over the guided filter's reach) at which the boost is halved
EPS_EDGE = 0.5 ** 2
#: extra detail gain at detail_recovery = 1
GAIN = 2.0
#: noise gate: with q = local detail energy / (K_NOISE · local noise floor) the boost is
#: weighted by q⁴ / (q⁴ + 1), so detail not clearly above the noise is left alone
K_NOISE = 5.0
#: a fixed floor of the noise estimate (stops): quantisation and very fine grain
TAU0 = 0.01
#: shadows below this luminance are taken as noise-dominated (log floor)
LOG_FLOOR = 1.0 / 256.0
#: box radius of the noise energy and radius of the minimum over it (render px)
NOISE_BOX, NOISE_MIN = 2, 2
#: boosted detail is soft-limited to this many stops
DETAIL_LIMIT = 0.5


def _radius_full(full_size) -> float:
    long = float(max(full_size)) if min(full_size) > 0 else 0.0
    return min(max(long * R_PER_PX, R_MIN), R_MAX)


@register_op(group="detail")
class DetailRecovery(Op):
    """Recover fine detail and texture lost to softening or compression.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space, unclipped. Works on log2 luminance: the detail layer against a small-radius
    (1.5–3 px at full resolution, scaled with the render) self-guided filter is boosted.
    Edge-aware: strong edges stay in the guided filter's base, and the boost also fades
    where the local variance is far above (0.5 stops)², so hard steps get no halos.
    Noise-aware: the local noise floor is the energy of the finest diagonal difference
    (which white noise fills and softened detail does not), minimum over a 5×5
    neighbourhood; detail whose local energy is not clearly above it is left alone, so
    flat-area noise is not amplified. The change is a luminance ratio (hue kept).

    Params: ``detail_recovery`` (0–1, default 0 = off) is the strength; at 1 the
    detail gets up to 1 + 2 = 3× its amplitude."""

    version = 1
    pointwise = False
    label = "Detail recovery"
    detail_recovery = Float(0.0, 1.0, 0.0, label="Detail recovery", step=0.01)

    def is_identity(self, p) -> bool:
        return p["detail_recovery"] <= 0.0

    def _r(self, ctx) -> float:
        fs = ctx.full_size if min(ctx.full_size) > 0 else (0, 0)
        return max(_radius_full(fs) * ctx.scale, 0.5)

    def halo(self, p, ctx) -> int:
        if self.is_identity(p):
            return 0
        rr = math.ceil(self._r(ctx))
        # guided filter and edge variance 2·ceil(r) (+1 for the detail energy box); noise
        # floor: diagonal difference (1) + its energy box + the minimum filter
        return max(2 * rr + 1, 1 + NOISE_BOX + NOISE_MIN)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        x = img.float()
        v = log2_luma(x, LOG_FLOOR)
        r = self._r(ctx)
        d = v - guided_filter_frac(v, r, EPS)
        # noise floor: local energy of the finest (Nyquist) diagonal difference, which white
        # noise fills (its energy equals the noise variance) and soft detail does not; the
        # minimum over a small neighbourhood keeps isolated edges/corners out of it
        fd = F.pad(v, (0, 1, 0, 1), mode="replicate")
        fd = 0.5 * (fd[..., :-1, :-1] - fd[..., 1:, :-1] - fd[..., :-1, 1:] + fd[..., 1:, 1:])
        noise = min_filter(box_mean(fd * fd, NOISE_BOX), NOISE_MIN) + TAU0 ** 2
        e_d = box_mean(d * d, 1)
        q = e_d / (K_NOISE * noise)
        q = q * q
        w = q * q / (q * q + 1.0)
        # strong edges: the boost fades where the local variance is far above EPS_EDGE,
        # so a hard step gets (almost) no over/undershoot
        er = 2 * math.ceil(r)
        m = box_mean(v, er)
        var = (box_mean(v * v, er) - m * m).clamp_min(0.0)
        w = w * (EPS_EDGE / (EPS_EDGE + var))
        d = DETAIL_LIMIT * torch.tanh(d / DETAIL_LIMIT)
        out = apply_log_gain(x, (GAIN * float(p["detail_recovery"])) * w * d)
        return out.to(img.dtype)
