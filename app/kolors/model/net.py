"""The learned enhancer's network (the seed's dual encoder, sized for 2 CPU cores).

Input: a 256×256 thumbnail of the photo, linear sRGB (B, 3, 256, 256), encoded inside by a
signed cube root; the task id (B,) int64; for ``style_transfer`` a reference thumbnail.

* **Global style encoder** — a strided CNN over the whole thumbnail plus per-channel
  statistics of the encoded image, pooled into a ``style_dim``-d vector (512 for
  ``general``). The same encoder embeds the reference photo for style transfer.
* **Local chroma encoder** — the thumbnail cut into 16×16 patches (a 16×16 grid of
  tokens, ``token_dim``-d each: 32 for ``general``), embedded from their Oklab-like
  opponent channels (lightness and two chroma axes) by a patch convolution and a 3×3 mix.
* **Dynamic colour transform** — task embedding + style (+ reference style) form a query
  that attends over the patch tokens (multi-head cross attention); the tokens in turn
  are modulated by the global context (FiLM).
* **Heads** — (1) weights over ``basis`` learned 3D LUTs of deltas (global; see
  :mod:`kolors.core.residual`), (2) a 3×4 affine delta per token (the local grid),
  (3) the interpretable controls :data:`CONTROLS` (exposure, temperature, tint,
  contrast, highlights, shadows, chroma), which go on the sliders.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ..core.residual import encode

__all__ = ["ModelConfig", "KolorsNet", "CONFIGS", "CONTROLS", "TASK_IDS", "controls_to_settings",
           "settings_to_controls", "THUMB", "check_learned_tasks"]

THUMB = 256
#: the learned tasks, in the order of the task embedding (industrial stays classical)
TASK_IDS = {"color_correction": 0, "color_enhance": 1, "white_balance": 2, "style_transfer": 3,
            "old_photo_restoration": 4, "hdr_enhance": 5, "low_light": 6}
#: the interpretable controls the model predicts, as registry parameter names
CONTROLS = ("exposure", "temperature", "tint", "contrast", "highlights", "shadows", "chroma_boost")
_REF_T = 6504.0


def check_learned_tasks(tasks) -> list[str]:
    """``tasks`` as a list (``None`` or empty: every learned task, in task-id order);
    ``ValueError`` naming an unknown one and the valid choices."""
    out = list(tasks or TASK_IDS)
    for t in out:
        if t not in TASK_IDS:
            raise ValueError(f"unknown task {t!r}; learned tasks: {', '.join(TASK_IDS)}")
    return out


def controls_to_settings(u: torch.Tensor) -> list[dict[str, float]]:
    """Normalised controls (B, 7) in (-1, 1) → registry settings per sample:
    exposure ±4 EV, temperature 6504 K × 2^(±1.5), tint ±60, contrast/highlights/shadows
    ±1, chroma_boost 2^(±1)."""
    out = []
    for row in u.detach().double().cpu().tolist():
        e, t, ti, c, hl, sh, ch = row
        out.append({"exposure": 4.0 * e, "temperature": min(15000.0, max(2000.0, _REF_T * 2.0 ** (1.5 * t))),
                    "tint": 60.0 * ti, "contrast": c, "highlights": hl, "shadows": sh,
                    "chroma_boost": min(2.0, 2.0 ** ch)})
    return out


def settings_to_controls(s: dict[str, float]) -> list[float]:
    """Inverse of :func:`controls_to_settings` for one sample (clipped to [-1, 1])."""
    def c(v: float) -> float:
        return max(-1.0, min(1.0, v))
    return [c(s.get("exposure", 0.0) / 4.0), c(math.log2(s.get("temperature", _REF_T) / _REF_T) / 1.5),
            c(s.get("tint", 0.0) / 60.0), c(s.get("contrast", 0.0)), c(s.get("highlights", 0.0)),
            c(s.get("shadows", 0.0)), c(math.log2(max(s.get("chroma_boost", 1.0), 1e-3)))]


@dataclass(frozen=True)
class ModelConfig:
    name: str = "general"
    widths: tuple[int, ...] = (32, 64, 96, 128, 192)  # strided stem, 256 → 8
    style_dim: int = 512
    token_dim: int = 32
    heads: int = 4
    attn_dim: int = 64
    task_dim: int = 32
    hidden: int = 256
    lut_size: int = 17
    basis: int = 12
    grid: int = 16  # tokens per side (patch 16 px)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        d = dict(d)
        d["widths"] = tuple(d["widths"])
        return cls(**d)


CONFIGS = {
    "general": ModelConfig(),
    "lite": ModelConfig(name="lite", widths=(12, 20, 32, 48, 64), style_dim=64, token_dim=16, heads=2,
                        attn_dim=32, task_dim=16, hidden=80, lut_size=9, basis=8),
}


def _stats(e: torch.Tensor) -> torch.Tensor:
    """Per-channel mean, standard deviation, min and max of the encoded thumbnail (B, 12)."""
    x = e.flatten(2)
    m = x.mean(2)
    sd = ((x - m.unsqueeze(2)) ** 2).mean(2).clamp_min(1e-12).sqrt()
    return torch.cat([m, sd, x.amin(2), x.amax(2)], 1)


def _opponent(e: torch.Tensor) -> torch.Tensor:
    """Encoded RGB → lightness and two opponent chroma axes (an Oklab-like basis)."""
    r, g, b = e[:, 0:1], e[:, 1:2], e[:, 2:3]
    return torch.cat([(r + g + b) / 3, r - g, (r + g) / 2 - b], 1)


class StyleEncoder(nn.Module):
    """Thumbnail (B,3,256,256) encoded → style vector (B, style_dim)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        layers, c_in = [], 3
        for w in cfg.widths:
            layers += [nn.Conv2d(c_in, w, 3, stride=2, padding=1), nn.GELU()]
            c_in = w
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Sequential(nn.Linear(c_in * 2 + 12, cfg.style_dim), nn.GELU(),
                                  nn.Linear(cfg.style_dim, cfg.style_dim))
        self.use_checkpoint = False

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        if self.use_checkpoint and self.training:
            f = checkpoint(self.convs, e, use_reentrant=False)
        else:
            f = self.convs(e)
        pooled = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)
        return self.proj(torch.cat([pooled, _stats(e)], 1))


class ChromaEncoder(nn.Module):
    """Thumbnail → patch tokens (B, grid², token_dim) from opponent channels."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        patch = THUMB // cfg.grid
        self.embed = nn.Conv2d(3, cfg.token_dim, patch, stride=patch)
        self.mix = nn.Conv2d(cfg.token_dim, cfg.token_dim, 3, padding=1)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        t = F.gelu(self.embed(_opponent(e)))
        t = t + F.gelu(self.mix(t))
        return t.flatten(2).transpose(1, 2)


class KolorsNet(nn.Module):
    """The learned enhancer. ``forward(thumb, task, ref=None)`` → ``(controls (B,7) in
    (-1,1), lut (B,S,S,S,3) deltas, grid (B,G,G,12) affine deltas)``."""

    def __init__(self, cfg: ModelConfig = CONFIGS["general"]):
        super().__init__()
        self.cfg = cfg
        self.style = StyleEncoder(cfg)
        self.chroma = ChromaEncoder(cfg)
        self.task = nn.Embedding(len(TASK_IDS), cfg.task_dim)
        self.context = nn.Sequential(nn.Linear(cfg.style_dim * 2 + cfg.task_dim + 1, cfg.hidden), nn.GELU(),
                                     nn.Linear(cfg.hidden, cfg.hidden))
        self.q = nn.Linear(cfg.hidden, cfg.attn_dim)
        self.kv = nn.Linear(cfg.token_dim, cfg.attn_dim * 2)
        self.film = nn.Linear(cfg.hidden, cfg.token_dim * 2)
        self.fused = nn.Sequential(nn.Linear(cfg.hidden + cfg.attn_dim, cfg.hidden), nn.GELU())
        self.lut_w = nn.Linear(cfg.hidden, cfg.basis)
        s = cfg.lut_size
        self.basis = nn.Parameter(torch.randn(cfg.basis, s, s, s, 3) * 1e-3)
        self.ctrl = nn.Linear(cfg.hidden, len(CONTROLS))
        self.local = nn.Sequential(nn.Linear(cfg.token_dim + cfg.attn_dim, cfg.hidden // 2), nn.GELU(),
                                   nn.Linear(cfg.hidden // 2, 12))
        for m in (self.lut_w, self.ctrl, self.local[-1]):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def set_grad_checkpoint(self, on: bool) -> None:
        self.style.use_checkpoint = bool(on)

    def forward(self, thumb: torch.Tensor, task: torch.Tensor, ref: torch.Tensor | None = None,
                ref_mask: torch.Tensor | None = None):
        """``thumb`` (B,3,256,256) linear; ``task`` (B,) int64 (:data:`TASK_IDS`); ``ref``
        (B,3,256,256) linear reference thumbnails or None; ``ref_mask`` (B,) 1 where a
        sample has a reference (default: all when ``ref`` is given)."""
        cfg = self.cfg
        b = thumb.shape[0]
        e = encode(thumb.clamp(0.0, 64.0))
        style = self.style(e)
        if ref is None:
            ref_style = torch.zeros_like(style)
            has_ref = torch.zeros(b, 1, dtype=style.dtype, device=style.device)
        else:
            has_ref = (torch.ones(b, dtype=style.dtype, device=style.device) if ref_mask is None
                       else ref_mask.to(style.dtype)).view(b, 1)
            ref_style = self.style(encode(ref.clamp(0.0, 64.0))) * has_ref
        ctx = self.context(torch.cat([style, ref_style, self.task(task), has_ref], 1))  # (B,hidden)
        tokens = self.chroma(e)  # (B,T,token_dim)
        gamma, beta = self.film(ctx).unsqueeze(1).chunk(2, -1)
        tokens = tokens * (1 + gamma) + beta
        k, v = self.kv(tokens).chunk(2, -1)  # (B,T,attn)
        h = cfg.heads
        d = cfg.attn_dim // h
        q = self.q(ctx).view(b, h, 1, d)
        kh = k.view(b, -1, h, d).transpose(1, 2)
        vh = v.view(b, -1, h, d).transpose(1, 2)
        att = torch.softmax(q @ kh.transpose(-1, -2) / math.sqrt(d), -1)  # (B,h,1,T)
        pooled = (att @ vh).reshape(b, cfg.attn_dim)
        fused = self.fused(torch.cat([ctx, pooled], 1))
        controls = torch.tanh(self.ctrl(fused))
        w = self.lut_w(fused)  # (B,basis)
        lut = (w.view(b, -1, 1, 1, 1, 1) * self.basis.unsqueeze(0)).sum(1)
        local = self.local(torch.cat([tokens, pooled.unsqueeze(1).expand(-1, tokens.shape[1], -1)], -1))
        grid = local.view(b, cfg.grid, cfg.grid, 12) * 0.25
        return controls, lut, grid

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
