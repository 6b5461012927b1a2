"""Illuminant, exposure and "does this photo need it" estimation: the part of the learned
model that sets the white balance and exposure of Auto and decides whether a task has
anything to do.

Input: a small thumbnail of the photo, (B, 3, h, w) linear sRGB in [0, 1] (as a photo file
holds it; :func:`thumb` makes a 64×64 one by area averaging). :func:`features` turns it
into a fixed vector, all vectorised over the batch:

* four classical illuminant estimates as log-chroma (log R/G, log B/G): gray-world
  (Minkowski p = 1), shades-of-gray (p = 6, the engine's classical white balance),
  white-patch (p = 32, a soft maximum) and gray-edge (p = 6 over the gradient magnitude of
  a 3×3-blurred image); clipped (max channel ≥ 0.98) and black (max channel ≤ 0.002) pixels
  are left out (:func:`minkowski_illuminant`, also the engine's classical white balance);
  plus the spread of the four (their disagreement is a confidence);
* a coarse log-chroma histogram of the pixels (8×8 bins of 0.5 over ±2, square root of
  the shares), as in Fast Fourier Color Constancy (Barron & Tsai 2017);
* a histogram of log2 luminance (16 bins over −12…0) and its cumulative sum, the mean
  and spread of log2 luminance, the clipped and crushed shares (exposure);
* each channel's cumulative distribution of sRGB-encoded values at 7 levels (black and
  white points: fading) and the mean and spread of Oklab chroma (flatness). No sorting:
  quantiles are read as CDFs, which costs a comparison per pixel.

:class:`IlluminantNet` maps them to: the illuminant as a softmax-gated mix of the four
classical estimates plus a bounded correction (±0.4 in log-chroma), the exposure correction
in EV, log σ of its own angular error (a confidence: σ in degrees) and, per task of
:data:`NEED_TASKS`, the logit of "this photo needs it". At initialisation the gate is
shades-of-gray (weight 0.999) and the correction zero: the starting point is the best
classical estimate, and training (``kolors train --stage illuminant``,
:mod:`kolors.model.train_illuminant`) lowers the angular error from there.

The illuminant is given as linear sRGB (G = 1) and as the white-balance sliders
(temperature K, tint) that neutralise it (:func:`kolors.core.colorimetry.rgb_to_cct_tint`).
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core import color
from ..errors import InputError

__all__ = ["features", "thumb", "key_exposure", "KEY", "EV_SLACK", "IlluminantNet", "IlluminantConfig", "Estimate",
           "Estimator", "NEED_TASKS",
           "ESTIMATES", "minkowski_illuminant", "angular_error", "uv_to_rgb", "FORMAT", "N_FEATURES", "THUMB"]

THUMB = 64
FORMAT = "kolors-illuminant"
#: the classical estimates the gate mixes, in feature order
ESTIMATES = ("gray_world", "shades_of_gray", "white_patch", "gray_edge")
_P = {"gray_world": 1.0, "shades_of_gray": 6.0, "white_patch": 32.0}
#: tasks whose settings are scaled by the estimated need (low light uses the exposure estimate)
NEED_TASKS = ("old_photo_restoration", "hdr_enhance", "color_enhance")
_HB, _HR = 8, 2.0  # log-chroma histogram: bins per axis, half range
_LB, _LLO = 16, -12.0  # log2-luminance histogram: bins, lower end (upper end 0)
_EB = 64
_CDF_AT = (0.02, 0.05, 0.1, 0.5, 0.9, 0.95, 0.98)  # sRGB levels where each channel's CDF is read
_H0 = 2 * len(ESTIMATES) + 2  # where the chroma histogram starts
N_FEATURES = 2 * len(ESTIMATES) + 2 + _HB * _HB + 2 * _LB + 2 + 5 + 3 * len(_CDF_AT) + 2


def thumb(linear: torch.Tensor, size: int = THUMB) -> torch.Tensor:
    """(B,3,H,W) linear → (B,3,size,size) by area averaging (bilinear when smaller),
    clipped to [0, 1] as a photo file holds it."""
    x = linear.float()
    if x.shape[-2] >= size and x.shape[-1] >= size:
        x = F.interpolate(x, size=(size, size), mode="area")
    else:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.clamp(0.0, 1.0)


def _log_chroma(rgb: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(..., 3) positive RGB → (..., 2) (log R/G, log B/G)."""
    r, g, b = rgb.clamp_min(eps).unbind(-1)
    return torch.stack([torch.log(r / g), torch.log(b / g)], -1)


def uv_to_rgb(uv: torch.Tensor) -> torch.Tensor:
    """(..., 2) log-chroma → (..., 3) RGB with G = 1."""
    return torch.stack([uv[..., 0].exp(), torch.ones_like(uv[..., 0]), uv[..., 1].exp()], -1)


def angular_error(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angle in degrees between RGB vectors (..., 3) (the colour-constancy error)."""
    cos = F.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0 - 1e-7)
    return torch.rad2deg(torch.acos(cos))


def _minkowski(x: torch.Tensor, w: torch.Tensor, p: float) -> torch.Tensor:
    """Weighted Minkowski mean per channel: x (B,3,N) ≥ 0, w (B,1,N) → (B,3)."""
    scale = x.amax((1, 2), keepdim=True).clamp_min(1e-6)
    m = (w * (x / scale) ** p).sum(2) / w.sum(2).clamp_min(1e-6)
    return m.clamp_min(1e-12) ** (1.0 / p) * scale[:, :, 0]


def _valid(flat: torch.Tensor) -> torch.Tensor:
    """(B,3,N) → (B,1,N) weights: 1 where the pixel is neither clipped (max channel ≥
    0.98) nor black (max channel ≤ 0.002); all ones where 64 or fewer pixels are left."""
    mx = flat.amax(1, keepdim=True)
    w = ((mx < 0.98) & (mx > 0.002)).to(flat.dtype)
    return torch.where(w.sum(2, keepdim=True) <= 64, torch.ones_like(w), w)


#: the key (geometric-mean luminance) a well-exposed photo is brought to by the classical
#: exposure estimate (:func:`key_exposure`)
KEY = 0.14
#: how far (EV) the estimator's exposure correction may go past the classical one's side
#: of zero (see :meth:`Estimator.estimate`)
EV_SLACK = 0.5


def key_exposure(th: torch.Tensor) -> torch.Tensor:
    """The classical exposure estimate of linear images ``th`` (B,3,h,w): the EV that
    brings their geometric-mean luminance to :data:`KEY`, (B,) float. The engine's
    classical low light uses it (clipped to 0…4 EV there)."""
    lum = color.luminance(th.clamp_min(0)).flatten(1)
    gmean = torch.exp(torch.log(lum + 1e-4).mean(1))
    return torch.log2(KEY / gmean.clamp_min(1e-4))


def minkowski_illuminant(th: torch.Tensor, p: float) -> torch.Tensor:
    """The Minkowski-norm illuminant estimate of linear images ``th`` (B,3,h,w): p = 1
    gray-world, p = 6 shades-of-gray, large p toward white-patch; clipped and black pixels
    left out. Returns (B,3) in the input's dtype (any scale: only its direction matters)."""
    flat = th.clamp_min(0).flatten(2)
    return _minkowski(flat, _valid(flat), p)


def features(th: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Features of linear thumbnails ``th`` (B,3,h,w) in [0, 1] → ``(feat (B,
    N_FEATURES), estimates (B, 4, 2))``: the estimates are the classical illuminants of
    :data:`ESTIMATES` as log-chroma (also the first 8 features)."""
    x = th.float().clamp(0.0, 1.0).contiguous()
    b = x.shape[0]
    flat = x.flatten(2)  # (B,3,N)
    y = color.luminance(x).flatten(2)  # (B,1,N)
    mx = flat.amax(1, keepdim=True)
    w = _valid(flat)
    est = [_minkowski(flat, w, _P[k]) for k in ("gray_world", "shades_of_gray", "white_patch")]
    blur = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    gx = blur[..., :, 1:] - blur[..., :, :-1]
    gy = blur[..., 1:, :] - blur[..., :-1, :]
    grad = (gx[..., :-1, :] ** 2 + gy[..., :, :-1] ** 2).sqrt().flatten(2)
    est.append(_minkowski(grad, torch.ones_like(grad[:, :1]), 6.0))
    est_uv = _log_chroma(torch.stack(est, 1))  # (B,4,2)
    spread = est_uv.std(1)  # (B,2)
    # log-chroma histogram of the valid, not-too-dark pixels
    lf = torch.log(flat + 1e-3)
    uv = torch.stack([lf[:, 0] - lf[:, 1], lf[:, 2] - lf[:, 1]], -1)  # (B,N,2)
    idx = ((uv + _HR) * (_HB / (2 * _HR))).floor().clamp(0, _HB - 1).long()
    hw = (w[:, 0] * (y[:, 0] > 0.01).float())
    hw = torch.where(hw.sum(1, keepdim=True) < 16, w[:, 0], hw)
    flat_idx = (torch.arange(b, device=x.device)[:, None] * _HB * _HB + idx[..., 0] * _HB + idx[..., 1]).flatten()
    hist = torch.bincount(flat_idx, weights=hw.flatten(), minlength=b * _HB * _HB).view(b, -1)
    hist = (hist / hist.sum(1, keepdim=True).clamp_min(1e-6)).sqrt()
    # exposure: log2 luminance histogram, quantiles, clipped/crushed shares
    ly = torch.log2(y[:, 0] + 2.0 ** _LLO)
    li = ((ly - _LLO) / -_LLO * _LB).floor().clamp(0, _LB - 1).long()
    lidx = (torch.arange(b, device=x.device)[:, None] * _LB + li).flatten()
    lh = torch.bincount(lidx, minlength=b * _LB).view(b, -1).float() / ly.shape[1]
    lstat = torch.stack([ly.mean(1), ly.std(1)], 1) / 4.0
    clipped = (flat >= 0.98).float().mean(2)  # (B,3)
    shares = torch.cat([clipped, (mx[:, 0] >= 0.98).float().mean(1, keepdim=True),
                        (y[:, 0] < 0.002).float().mean(1, keepdim=True)], 1)
    e = color.linear_to_srgb(flat)
    ei = (e.clamp(0.0, 1.0) * (_EB - 1e-3)).long().reshape(b * 3, -1)  # 64 levels per channel
    eh = torch.bincount((torch.arange(b * 3, device=x.device)[:, None] * _EB + ei).flatten(),
                        minlength=b * 3 * _EB).view(b, 3, _EB).cumsum(2).float() / ei.shape[1]
    eq = eh[:, :, [min(_EB - 1, int(a * _EB)) for a in _CDF_AT]].flatten(1)  # (B,3·7) CDF values
    lab = color.rgb_to_oklab(flat, dim=1)
    c = torch.hypot(lab[:, 1], lab[:, 2])
    chroma = torch.stack([c.mean(1), c.std(1)], 1) * 10.0
    feat = torch.cat([est_uv.flatten(1), spread, hist, lh, lh.cumsum(1), lstat, shares, eq, chroma], 1)
    return feat, est_uv


@dataclass(frozen=True)
class IlluminantConfig:
    hidden: int = 64
    dropout: float = 0.1
    use_hist: bool = True  # False: the chroma histogram is left out (less to learn by heart)
    n_features: int = N_FEATURES
    max_correction: float = 0.4  # log-chroma
    max_ev: float = 5.0

    def to_dict(self) -> dict:
        return asdict(self)


class IlluminantNet(nn.Module):
    """Features (B, N_FEATURES) and the classical estimates (B,4,2) → dict of ``uv``
    (B,2) illuminant log-chroma, ``ev`` (B,) exposure correction in EV, ``log_sigma``
    (B,) log of the expected angular error in degrees, ``need`` (B, len(NEED_TASKS))
    logits. The inputs are standardised by buffers set from the training data."""

    def __init__(self, cfg: IlluminantConfig = IlluminantConfig()):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("mean", torch.zeros(cfg.n_features))
        self.register_buffer("std", torch.ones(cfg.n_features))
        h = cfg.hidden
        self.trunk = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.n_features, h), nn.GELU(),
                                   nn.Dropout(cfg.dropout), nn.Linear(h, h), nn.GELU())
        self.gate = nn.Linear(h, len(ESTIMATES))
        self.corr = nn.Linear(h, 2)
        self.ev = nn.Linear(h, 1)
        self.sigma = nn.Linear(h, 1)
        self.need = nn.Linear(h, len(NEED_TASKS))
        for m in (self.gate, self.corr, self.ev, self.sigma, self.need):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
        with torch.no_grad():  # start at shades-of-gray, σ = 3°
            self.gate.bias[ESTIMATES.index("shades_of_gray")] = 8.0
            self.sigma.bias.fill_(math.log(3.0))
            self.need.bias.fill_(-2.0)

    def forward(self, feat: torch.Tensor, est_uv: torch.Tensor) -> dict[str, torch.Tensor]:
        f = (feat - self.mean) / self.std
        if not self.cfg.use_hist:
            f = torch.cat([f[:, :_H0], torch.zeros_like(f[:, _H0:_H0 + _HB * _HB]), f[:, _H0 + _HB * _HB:]], 1)
        z = self.trunk(f)
        g = torch.softmax(self.gate(z), -1)
        uv = (g.unsqueeze(-1) * est_uv).sum(1) + self.cfg.max_correction * torch.tanh(self.corr(z))
        ev = self.cfg.max_ev * torch.tanh(self.ev(z)[:, 0] / self.cfg.max_ev)
        return {"uv": uv, "ev": ev, "log_sigma": self.sigma(z)[:, 0].clamp(-3.0, 4.0), "need": self.need(z),
                "gate": g}


@dataclass
class Estimate:
    """One photo's estimate: ``illuminant`` linear sRGB (G = 1); ``temperature`` (K) and
    ``tint``: the white-balance sliders that neutralise it; ``exposure``: EV to add;
    ``sigma``: expected angular error (degrees); ``need``: task → probability in [0, 1]."""
    illuminant: tuple[float, float, float]
    temperature: float
    tint: float
    exposure: float
    sigma: float
    need: dict[str, float]


class Estimator:
    """A loaded :class:`IlluminantNet` (eval mode) with its source file."""

    def __init__(self, net: IlluminantNet, source: str = "", device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.source = source

    @classmethod
    def from_file(cls, path: str | os.PathLike, device: torch.device | str = "cpu") -> "Estimator":
        return cls(load(path), str(path), device)

    @torch.no_grad()
    def raw(self, thumbs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The network's outputs for linear thumbnails (B,3,h,w) in [0, 1]."""
        feat, est = features(thumbs.to(self.device))
        return self.net(feat, est)

    @torch.no_grad()
    def estimate(self, linear: torch.Tensor) -> list[Estimate]:
        """Estimates for (B,3,H,W) linear photos (any size; a 64×64 thumbnail is taken)."""
        from ..core.colorimetry import rgb_to_cct_tint
        th = thumb(linear)
        out = self.raw(th)
        # the exposure correction stays on the classical estimate's side of zero, give or take
        # EV_SLACK: a photo whose key says it is bright is never brightened by more than that
        # (on photos far from the training set the learned exposure can be off by 2 EV)
        key = key_exposure(th.to(self.device))
        ev = torch.minimum(torch.maximum(out["ev"], key.clamp(max=0.0) - EV_SLACK), key.clamp(min=0.0) + EV_SLACK)
        rgb = uv_to_rgb(out["uv"]).double().cpu().numpy()
        T, tint = rgb_to_cct_tint(rgb)
        T, tint = np.atleast_1d(T), np.atleast_1d(tint)
        need = torch.sigmoid(out["need"]).cpu()
        res = []
        for i in range(rgb.shape[0]):
            res.append(Estimate(tuple(float(v) for v in rgb[i]), float(np.clip(T[i], 2000.0, 15000.0)),
                                float(np.clip(tint[i], -100.0, 100.0)), float(ev[i]),
                                float(out["log_sigma"][i].exp()),
                                {k: float(need[i, j]) for j, k in enumerate(NEED_TASKS)}))
        return res


def save(path: str | os.PathLike, net: IlluminantNet, *, history: list | None = None,
         meta: dict | None = None) -> Path:
    """Write the estimator atomically: plain tensors and numbers only."""
    from ..io.atomic import atomic_write
    ck: dict[str, Any] = {"format": FORMAT, "version": 1, "config": net.cfg.to_dict(),
                          "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
                          "history": list(history or []), "meta": dict(meta or {})}
    buf = io.BytesIO()
    torch.save(ck, buf)
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def load(path: str | os.PathLike) -> IlluminantNet:
    """An :class:`IlluminantNet` (eval mode) from ``path`` (``weights_only`` load);
    :class:`InputError` naming the file when it is missing or not an estimator."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such illuminant estimator")
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError, RuntimeError, zip errors...
        raise InputError(f"{p}: refused: not a plain-tensor checkpoint ({type(e).__name__})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise InputError(f"{p}: not a Kolors illuminant estimator")
    try:
        net = IlluminantNet(IlluminantConfig(**ck["config"]))
        net.load_state_dict(ck["state_dict"])
    except (TypeError, KeyError, RuntimeError) as e:
        raise InputError(f"{p}: weights do not fit the estimator ({str(e).splitlines()[0]})") from None
    return net.eval()
