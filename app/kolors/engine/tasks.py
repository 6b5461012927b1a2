"""The eight tasks, classical version.

A task looks at a small linear thumbnail of the photo once and returns *settings*:
values for registered operations (mostly the hidden task operations ``wb_gains``,
``levels_*``, ``transfer_stats``, ``tone_grid``, plus visible ones such as
``vibrance``). Rendering those settings is resolution independent, tiles seamlessly and
can be shown on sliders. ``intensity`` blends every value toward its default, so 0 is
exactly the identity. These methods are the ``model_type='classic'`` path and the
baselines the learned model is measured against (gray-world / shades-of-gray white
balance, auto-levels, CLAHE-like local tone mapping, Reinhard colour transfer, fade and
cast removal).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..core import color, registry
from ..core.params import Float
from ..core.residual import STRENGTH_NOT_BLENDED
from .task_table import TASK_NAMES

__all__ = ["TASKS", "INTENSITY", "task_names", "analyse", "thumbnail", "blend"]

THUMB = 384
#: a task's strength (:func:`blend`): 0 is the identity, 1 the full task
INTENSITY = Float(0.0, 1.0, 1.0, label="Intensity")


def thumbnail(img: torch.Tensor, size: int = THUMB) -> torch.Tensor:
    """Area-downscale a (1,3,H,W) linear tensor so its long side is ≤ ``size``."""
    h, w = img.shape[-2:]
    s = size / max(h, w)
    if s >= 1:
        return img.float()
    return F.interpolate(img.float(), size=(max(1, round(h * s)), max(1, round(w * s))), mode="area")


def _q(x: torch.Tensor, q: float) -> float:
    x = x.flatten().float()
    if x.numel() > 200_000:
        x = x[torch.randperm(x.numel(), generator=torch.Generator().manual_seed(0))[:200_000]]
    return float(torch.quantile(x, q))


def _gray_gains(th: torch.Tensor, p: float = 6.0) -> list[float]:
    """Shades-of-gray (Minkowski p-norm) illuminant estimate → per-channel gains that
    make it neutral while keeping its luminance. Clipped pixels are left out."""
    from ..model.illuminant import minkowski_illuminant
    ill = minkowski_illuminant(th.double(), p)[0]
    ill = ill / ill.max().clamp_min(1e-9)
    y = float((torch.as_tensor(color.LUMA) * ill).sum())
    g = (y / ill.clamp_min(1e-4)).tolist()
    return [float(np.clip(v, 0.2, 5.0)) for v in g]


def _apply_gains(th: torch.Tensor, g: list[float]) -> torch.Tensor:
    return th * torch.tensor(g, dtype=th.dtype).view(1, 3, 1, 1)


def _levels(th: torch.Tensor, lo_q: float, hi_q: float, per_channel: bool) -> dict[str, Any]:
    """Auto-levels on sRGB-encoded values from percentiles (per channel or on luma)."""
    e = color.linear_to_srgb(th.clamp(0, 1))[0]
    if per_channel:
        b = [_q(e[c], lo_q) for c in range(3)]
        w = [_q(e[c], hi_q) for c in range(3)]
    else:
        lum = color.linear_to_srgb(color.luminance(th.clamp(0, 1)))[0, 0]
        b = [_q(lum, lo_q)] * 3
        w = [_q(lum, hi_q)] * 3
    b = [float(np.clip(v, 0.0, 0.4)) for v in b]
    w = [float(np.clip(max(wv, bv + 0.2), 0.3, 1.0)) for wv, bv in zip(w, b)]
    return {"levels_black": b, "levels_white": w}


def levels_settings(th: torch.Tensor, lo_q: float = 0.005, hi_q: float = 0.995,
                    per_channel: bool = True) -> dict[str, Any]:
    """Auto-levels alone (the ``kolors eval`` baseline): black and white points from
    percentiles of a (1,3,h,w) linear thumbnail."""
    return _levels(th, lo_q, hi_q, per_channel)


def _mean_chroma(th: torch.Tensor) -> float:
    lch = color.oklab_to_oklch(color.rgb_to_oklab(th.clamp(0, None)))
    return float(lch[:, 1].mean())


def _white_balance(th, ref, kw):
    return {"wb_gains": _gray_gains(th)}


def _color_correction(th, ref, kw):
    g = _gray_gains(th)
    s: dict[str, Any] = {"wb_gains": g}
    s.update(_levels(_apply_gains(th, g), 0.005, 0.995, per_channel=False))
    return s


def _color_enhance(th, ref, kw):
    c = _mean_chroma(th)
    # flat, desaturated photos get more; already colourful ones little
    vib = float(np.clip(0.6 - 4.0 * c, 0.0, 0.6))
    boost = float(np.clip(1.35 - 3.0 * c, 1.0, 1.3))
    lum = color.luminance(th.clamp(0, 1))
    spread = _q(color.linear_to_srgb(lum), 0.95) - _q(color.linear_to_srgb(lum), 0.05)
    contrast = float(np.clip(0.7 - spread, 0.0, 0.35))
    s = {"vibrance": vib, "chroma_boost": boost, "contrast": contrast}
    s.update(_levels(th, 0.002, 0.998, per_channel=False))
    return s


def _style_transfer(th, ref, kw):
    if ref is None:
        raise ValueError("task 'style_transfer' needs a reference image (reference=...)")
    from ..core.ops.color_transfer import oklab_stats
    return {"transfer_stats": list(oklab_stats(th)) + list(oklab_stats(ref))}


def _old_photo(th, ref, kw):
    # per-channel stretch removes fading and the yellow/magenta cast of aged prints
    s: dict[str, Any] = _levels(th, 0.01, 0.99, per_channel=True)
    b, w = np.array(s["levels_black"]), np.array(s["levels_white"])
    e = color.linear_to_srgb(th.clamp(0, 1))[0]
    stretched = [((e[c] - b[c]) / (w[c] - b[c])).clamp(0, 1) for c in range(3)]
    med = np.array([max(_q(x, 0.5), 1e-3) for x in stretched])
    target = float(np.clip(np.exp(np.log(med).mean()), 0.05, 0.95))
    gam = np.clip(np.log(med) / np.log(target), 0.5, 2.0)  # per-channel gamma aligning medians
    s["levels_gamma"] = [float(v) for v in gam]
    s.update({"chroma_denoise": 0.5, "contrast": 0.1, "vibrance": 0.25, "detail_recovery": 0.3})
    return s


def _tone_grid(th, strength):
    from ..core.ops.local_tone import fit_tone_grid
    return fit_tone_grid(th, strength=strength)


def _hdr(th, ref, kw):
    return {"tone_grid": _tone_grid(th, 0.8), "highlights": -0.3, "shadows": 0.25,
            "local_contrast": True, "local_contrast_amount": 0.35, "vibrance": 0.15}


def _low_light(th, ref, kw):
    from ..model.illuminant import key_exposure
    ev = float(np.clip(float(key_exposure(th)[0]), 0.0, 4.0))
    bright = th * 2.0 ** ev
    return {"exposure": ev, "tone_grid": _tone_grid(bright, 0.5), "highlights": -0.4, "shadows": 0.2,
            "chroma_denoise": 0.6, "wb_gains": _gray_gains(bright, p=4.0)}


def _industrial(th, ref, kw):
    s: dict[str, Any] = {"wb_gains": _gray_gains(th)}
    s.update(_levels(th, 0.002, 0.998, per_channel=False))
    s.update({"local_contrast": True, "local_contrast_amount": 0.6, "detail_recovery": 0.4})
    return s


TASKS: dict[str, Callable[[torch.Tensor, torch.Tensor | None, dict], dict[str, Any]]] = {
    "color_correction": _color_correction,
    "color_enhance": _color_enhance,
    "white_balance": _white_balance,
    "style_transfer": _style_transfer,
    "old_photo_restoration": _old_photo,
    "hdr_enhance": _hdr,
    "low_light": _low_light,
    "industrial": _industrial,
}
if tuple(TASKS) != TASK_NAMES:  # the methods follow the task table (engine/task_table.py)
    raise ImportError(f"engine.tasks.TASKS {list(TASKS)} does not match the task table {list(TASK_NAMES)}")


def task_names() -> list[str]:
    return list(TASKS)


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    return task


#: kept as they are by :func:`blend` (see :data:`kolors.core.residual.STRENGTH_NOT_BLENDED`)
NOT_BLENDED = STRENGTH_NOT_BLENDED


def blend(settings: dict[str, Any], intensity: float) -> dict[str, Any]:
    """Blend every value toward its parameter's default (0 = identity, 1 = full), except
    :data:`NOT_BLENDED`."""
    if not INTENSITY.lo <= intensity <= INTENSITY.hi:
        raise ValueError(f"intensity must be within [{INTENSITY.lo:g}, {INTENSITY.hi:g}], got {intensity!r}")
    return registry.blend_settings(settings, intensity, NOT_BLENDED)


def analyse(task: str, img: torch.Tensor, reference: torch.Tensor | None = None,
            intensity: float = 1.0, **kw: Any) -> dict[str, Any]:
    """Settings for ``task`` on ``img`` ((1,3,H,W) linear; a thumbnail is taken),
    blended by ``intensity`` and validated."""
    check_task(task)
    th = thumbnail(img)
    ref = thumbnail(reference) if reference is not None else None
    with torch.no_grad():
        s = TASKS[task](th, ref, kw)
    return registry.validate_settings(blend(registry.validate_settings(s), intensity))
