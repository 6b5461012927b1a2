"""Colour transfer: match the Oklab mean and spread of a photo to a reference (Reinhard)."""
from __future__ import annotations

import torch

from ..color import oklab_to_rgb, rgb_to_oklab
from ..params import Vector
from ..registry import Op, register_op
from ._chroma import as_work

__all__ = ["ColorTransfer", "oklab_stats", "MIN_STD", "MAX_GAIN"]

#: source standard deviations below this are treated as this (flat images)
MIN_STD = 1e-3
#: the per-channel gain s_r / s_s is capped here, so a nearly flat source cannot blow up noise
MAX_GAIN = 10.0


def oklab_stats(img: torch.Tensor) -> list[float]:
    """Mean and standard deviation of Oklab over an image.

    img: (B,3,H,W) (or (3,H,W)) linear sRGB, any float dtype/device. Returns
    ``[mean L, mean a, mean b, std L, std a, std b]`` as Python floats (population std,
    over all pixels of all images, computed in float64; non-finite pixels are ignored)."""
    if img.dim() == 3:
        img = img[None]
    if img.dim() != 4 or img.shape[1] != 3:
        raise ValueError(f"expected a (B,3,H,W) image, got shape {tuple(img.shape)}")
    lab = rgb_to_oklab(img.detach().double()).permute(1, 0, 2, 3).reshape(3, -1)
    good = torch.isfinite(lab).all(0)
    lab = lab[:, good]
    if lab.shape[1] == 0:
        return [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    mean = lab.mean(1)
    std = lab.std(1, correction=0)
    return [float(v) for v in mean] + [float(v) for v in std]


@register_op(group="task")
class ColorTransfer(Op):
    """Reinhard-style colour transfer in Oklab (set by the style-transfer task).

    img: (B,3,H,W) linear sRGB, any range; computed in float32 Oklab. ``transfer_stats``
    (hidden, 12 numbers in [-10, 10]): source mean L, a, b; source std L, a, b; reference
    mean L, a, b; reference std L, a, b (as :func:`oklab_stats` returns them). Each Oklab
    channel becomes ``(x - m_s) · s_r / s_s + m_r``, both stds taken as at least 1e-3 (negative
    ones as their magnitude) and the gain capped at 10. Identity at the default (0, 1, 0, 1) or when
    source and reference statistics are equal."""

    version = 1
    pointwise = True
    label = "Colour transfer"
    transfer_stats = Vector([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1], -10.0, 10.0, label="Transfer statistics",
                            help="source mean/std then reference mean/std of Oklab L, a, b", hidden=True)

    def is_identity(self, p) -> bool:
        v = p["transfer_stats"]
        return all(abs(a - b) < 1e-12 for a, b in zip(v[:6], v[6:]))

    @staticmethod
    def affine(stats) -> tuple[list[float], list[float]]:
        """Per-channel gain and offset: out = x * gain + offset."""
        ms, ss, mr, sr = stats[0:3], stats[3:6], stats[6:9], stats[9:12]
        gain = [min(max(abs(r), MIN_STD) / max(abs(s), MIN_STD), MAX_GAIN) for s, r in zip(ss, sr)]
        off = [m_r - m_s * g for m_s, m_r, g in zip(ms, mr, gain)]
        return gain, off

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        gain, off = self.affine(p["transfer_stats"])
        lab = rgb_to_oklab(as_work(img))
        g = torch.tensor(gain, dtype=lab.dtype, device=lab.device).view(1, 3, 1, 1)
        o = torch.tensor(off, dtype=lab.dtype, device=lab.device).view(1, 3, 1, 1)
        return oklab_to_rgb(lab * g + o).to(img.dtype)
