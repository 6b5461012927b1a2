"""Tone curve: a point curve per RGB channel in the sRGB-encoded domain (Lightroom's
point curve), monotone cubic (PCHIP) through the control points."""
from __future__ import annotations

import numpy as np
import torch

from ..color import linear_to_srgb, srgb_to_linear
from ..params import Curve
from ..registry import Op, register_op


def pchip_slopes(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Fritsch–Carlson slopes at the knots (weighted harmonic mean inside, the
    shape-preserving three-point formula at the ends — as SciPy's PchipInterpolator)."""
    h = np.diff(xs)
    delta = np.diff(ys) / h
    n = xs.size
    if n == 2:
        return np.array([delta[0], delta[0]])
    d = np.zeros(n)
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same = (np.sign(delta[:-1]) * np.sign(delta[1:])) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hm = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
    d[1:-1] = np.where(same, hm, 0.0)

    def edge(h0, h1, m0, m1):
        e = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        if np.sign(e) != np.sign(m0):
            return 0.0
        if np.sign(m0) != np.sign(m1) and abs(e) > 3 * abs(m0):
            return 3 * m0
        return e

    d[0] = edge(h[0], h[1], delta[0], delta[1])
    d[-1] = edge(h[-1], h[-2], delta[-1], delta[-2])
    return d


def eval_curve(e: torch.Tensor, points) -> torch.Tensor:
    """Evaluate the curve at encoded values ``e`` (any shape, float). Inside the points:
    cubic Hermite with PCHIP slopes; between the outer points and 0/1: flat (the end
    values); below 0 and above 1: linear with the curve's slope at 0 and 1 (so values above
    white are not clipped when the last point sits at x = 1)."""
    pts = np.asarray(points, dtype=np.float64)
    xs, ys = pts[:, 0], pts[:, 1]
    ds = pchip_slopes(xs, ys)
    dev, dt = e.device, e.dtype
    X, Y, D = (torch.tensor(a, dtype=dt, device=dev) for a in (xs, ys, ds))
    xc = e.clamp(float(xs[0]), float(xs[-1]))
    i = (torch.searchsorted(X, xc.contiguous(), right=True) - 1).clamp(0, xs.size - 2)
    x0, x1, y0, y1, d0, d1 = X[i], X[i + 1], Y[i], Y[i + 1], D[i], D[i + 1]
    hh = x1 - x0
    t = (xc - x0) / hh
    t2, t3 = t * t, t * t * t
    out = ((2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * hh * d0
           + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * hh * d1)
    slope_lo = float(ds[0]) if xs[0] == 0.0 else 0.0
    slope_hi = float(ds[-1]) if xs[-1] == 1.0 else 0.0
    out = torch.where(e < 0.0, float(ys[0]) + slope_lo * e, out)
    return torch.where(e > 1.0, float(ys[-1]) + slope_hi * (e - 1.0), out)


def curve_samples(points, n: int = 129) -> list[tuple[float, float]]:
    """``n`` (x, y) samples, x evenly in [0, 1], of the curve through ``points`` (as
    :func:`eval_curve` evaluates it): what the curve editor draws."""
    xs = torch.linspace(0.0, 1.0, n, dtype=torch.float64)
    return list(zip(xs.tolist(), eval_curve(xs, points).tolist()))


@register_op(group="tone")
class ToneCurve(Op):
    """Point tone curves. img: (B,3,H,W) linear sRGB, any range; output the same.
    ``tone_curve``: control points [[x, y], ...] in sRGB-encoded [0, 1]; the same curve is
    applied to R, G and B (like Lightroom's RGB point curve, so it changes saturation with
    contrast); then ``tone_curve_red``/``_green``/``_blue`` each to its own channel (the
    per-channel point curves). Monotone cubic (PCHIP) between points; values beyond white
    follow the curve's slope at 1."""

    version = 1
    pointwise = True
    label = "Tone curve"
    tone_curve = Curve(label="Tone curve", help="points [[x, y], ...] in sRGB-encoded [0, 1]")
    tone_curve_red = Curve(label="Red curve", help="points [[x, y], ...] for the red channel")
    tone_curve_green = Curve(label="Green curve", help="points [[x, y], ...] for the green channel")
    tone_curve_blue = Curve(label="Blue curve", help="points [[x, y], ...] for the blue channel")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        e = linear_to_srgb(img.float())
        if not self.params["tone_curve"].is_default(p["tone_curve"]):
            e = eval_curve(e, p["tone_curve"])
        ident = self.params["tone_curve"].default
        chans = [p.get(k, ident) for k in ("tone_curve_red", "tone_curve_green", "tone_curve_blue")]
        if any(not self.params["tone_curve"].is_default(c) for c in chans):
            e = torch.cat([eval_curve(e[:, i:i + 1], c) if not self.params["tone_curve"].is_default(c)
                           else e[:, i:i + 1] for i, c in enumerate(chans)], 1)
        return srgb_to_linear(e).to(img.dtype)
