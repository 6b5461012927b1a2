"""Seeded, parametric degradations: what each learned task is trained to undo.

Every function takes a clean linear sRGB photo ``x`` (1, 3, H, W) in [0, 1] and a
``numpy.random.Generator`` and returns a :class:`Degraded`: the degraded input (clipped to
[0, 1], as a photo file holds it), the target, and — where the degradation is made of
the registry's own operations — the control values that undo it (the supervision of
the model's interpretable head; ``None`` where a task has none).

Casts and exposure errors happen where they happen in a camera (:func:`camera_cast`): the
clean photo's linear values stand for the scene, the light's colour (a Bradford adaptation
from 6504 K to the cast illuminant) and the exposure multiply them, the sensor clips at
white, and only then comes the tone curve (the sRGB encoding a file holds). The same
function degrades batches of thumbnails for the illuminant estimator's training
(:mod:`kolors.model.train_illuminant`), with mixed light (two illuminants across the frame).

The parametric parts go through the registry operations (``white_balance`` adapting the
reference white *to* a cast illuminant, ``exposure``, ``contrast``, ``highlights_shadows``,
``chroma_boost``), so their inverse is known: a cast made by adapting 6504 K → T is undone
by the white-balance sliders at (T, tint) exactly, an exposure of −e by +e; the others
(contrast, chroma, highlights/shadows) are undone approximately by the opposite setting.
The rest (fading, grain, noise, clipping) only the learned residual can answer.

| task | degradation |
|---|---|
| white_balance | colour cast: illuminant 2500–12000 K, tint ±30 (green and magenta), in linear light |
| color_correction | the same cast and an exposure error of ±2.5 EV, both in linear light and clipped at the sensor's white, then contrast ±0.3 |
| color_enhance | a flat "as shot" render: the neutral tone curve (contrast −0.1…−0.5) and chroma × 0.35–0.85 |
| old_photo_restoration | yellowing (3000–4500 K cast, chroma × 0.45–0.8), fading (black lifted to 4–14 %, white lowered to 80–95 % of the sRGB range), contrast −0.15…−0.4, film grain |
| hdr_enhance | shadows −0.3…−0.8, highlights +0.3…+0.8 and +0.2–0.8 EV, clipped at white |
| low_light | −1.5…−4 EV with Poisson–Gaussian sensor noise |
| style_transfer | content under one random colour style, the reference crop under another; the target is the content under the reference's style |

:func:`degrade` (what ``kolors eval`` measures) always degrades. Training draws through
:func:`training_sample`, which for the two cast tasks also returns undegraded photos
(input = target, neutral controls: "Auto" must learn to leave a good photo alone) and
mild casts, so the strengths it sees run from none through slight to strong:

| task | clean | mild | as in the table above |
|---|---|---|---|
| color_correction | 30 % | 30 %: cast 5000–8500 K, tint ±8, exposure ±0.4 EV, contrast ±0.12 | 40 % |
| white_balance | 20 % | 30 %: cast 4800–9000 K, tint ±10 | 50 % |
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..core import color
from ..core.colorimetry import adaptation_matrices
from ..core.pipeline import Plan

__all__ = ["Degraded", "DEGRADATIONS", "degrade", "training_sample", "TRAINING_MIX", "random_style",
           "apply_settings", "camera_cast", "CAST_RANGE", "CAST_TINT", "EV_RANGE"]

#: the casts and exposure errors of the cast tasks (kelvin, tint, ±EV)
CAST_RANGE, CAST_TINT, EV_RANGE = (2500.0, 12000.0), 30.0, 2.5


@dataclass
class Degraded:
    input: torch.Tensor  # (1,3,H,W) linear, [0, 1]
    target: torch.Tensor  # (1,3,H,W) linear, [0, 1]
    controls: dict[str, float] | None  # settings that undo the parametric part
    reference: torch.Tensor | None = None  # style_transfer: the reference crop
    illuminant: tuple[float, float, float] | None = None  # cast tasks: linear RGB of white under the cast


def apply_settings(x: torch.Tensor, settings: dict) -> torch.Tensor:
    """Run registry settings on ``x`` by direct evaluation (no baking)."""
    if not settings:
        return x
    with torch.no_grad():
        return Plan(settings, bake=False).run(x)


def _cast(rng: np.random.Generator, lo: float, hi: float, tint: float) -> tuple[float, float]:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), float(rng.uniform(-tint, tint))


def _cast_settings(t: float, tint: float) -> dict:
    """Adapt the reference white (6504 K) to (t, tint): the photo takes that light's cast."""
    return {"temperature": 6504.0, "tint": 0.0, "reference_temperature": t, "reference_tint": tint}


def _clip(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(0.0, 1.0)


def camera_cast(x: torch.Tensor, T, tint, ev, T2=None, tint2=None, ramp: torch.Tensor | None = None):
    """The light and the exposure as a camera records them. ``x`` (B,3,H,W) linear sRGB,
    the scene under a neutral (6504 K) light; ``T``, ``tint``, ``ev`` (B,) arrays: the
    light's colour temperature (K) and tint and the exposure error (EV). With ``T2``,
    ``tint2`` and ``ramp`` (B,1,H,W) in [0, 1], a second light mixes in by ``ramp`` (mixed
    lighting). Returns ``(y, illuminant)``: ``y`` (B,3,H,W) clipped to [0, 1] (the
    sensor's white), ``illuminant`` (B,3) float32, the linear RGB of a white surface under
    the light (mixed: the mean over the frame), the colour-constancy ground truth."""
    T = np.atleast_1d(np.asarray(T, dtype=np.float64))
    m = torch.from_numpy(adaptation_matrices(6504.0, 0.0, reference=(T, np.atleast_1d(tint)))).float()
    y = torch.einsum("bij,bjhw->bihw", m, x.float())
    ill = m.sum(2)
    if T2 is not None:
        m2 = torch.from_numpy(adaptation_matrices(6504.0, 0.0, reference=(np.atleast_1d(T2),
                                                                          np.atleast_1d(tint2)))).float()
        r = ramp.float()
        y = (1 - r) * y + r * torch.einsum("bij,bjhw->bihw", m2, x.float())
        rm = r.mean((1, 2, 3)).unsqueeze(1)
        ill = (1 - rm) * ill + rm * m2.sum(2)
    k = torch.from_numpy(np.exp2(np.atleast_1d(np.asarray(ev, dtype=np.float64)))).float().view(-1, 1, 1, 1)
    return (y * k).clamp(0.0, 1.0), ill


def _white_balance(x, rng, lo=CAST_RANGE[0], hi=CAST_RANGE[1], tint=CAST_TINT):
    t, ti = _cast(rng, lo, hi, tint)
    y, ill = camera_cast(x, t, ti, 0.0)
    return Degraded(y, x, {"temperature": t, "tint": ti}, illuminant=tuple(ill[0].tolist()))


def _color_correction(x, rng, lo=CAST_RANGE[0], hi=CAST_RANGE[1], tint=CAST_TINT, ev_max=EV_RANGE, c_max=0.3):
    t, ti = _cast(rng, lo, hi, tint)
    ev = float(rng.uniform(-ev_max, ev_max))
    c = float(rng.uniform(-c_max, c_max))
    y, ill = camera_cast(x, t, ti, -ev)
    y = _clip(apply_settings(y, {"contrast": c}))
    return Degraded(y, x, {"temperature": t, "tint": ti, "exposure": ev, "contrast": -c},
                    illuminant=tuple(ill[0].tolist()))


def _color_enhance(x, rng):
    k = float(rng.uniform(0.35, 0.85))
    c = float(rng.uniform(-0.5, -0.1))
    y = apply_settings(x, {"chroma_boost": k, "contrast": c})
    return Degraded(_clip(y), x, {"chroma_boost": min(2.0, 1.0 / k), "contrast": -c})


def _fade(x: torch.Tensor, black: float, white: float) -> torch.Tensor:
    e = color.linear_to_srgb(x.clamp(0, 1))
    return color.srgb_to_linear(black + (white - black) * e)


def _grain(x: torch.Tensor, rng: np.random.Generator, sigma: float) -> torch.Tensor:
    """Luminance grain in the sRGB-encoded domain (same on all channels)."""
    n = torch.from_numpy(rng.standard_normal((1, 1, *x.shape[-2:])).astype(np.float32)) * sigma
    e = color.linear_to_srgb(x.clamp(0, 1)) + n
    return color.srgb_to_linear(e.clamp(0, 1))


def _old_photo(x, rng):
    t, ti = _cast(rng, 3000.0, 4500.0, 10.0)
    k = float(rng.uniform(0.45, 0.8))
    c = float(rng.uniform(-0.4, -0.15))
    y = apply_settings(x, {"chroma_boost": k, "contrast": c})
    y = apply_settings(y, _cast_settings(t, ti))  # the print yellows after its dyes faded
    y = _fade(y, float(rng.uniform(0.04, 0.14)), float(rng.uniform(0.8, 0.95)))
    y = _grain(y, rng, float(rng.uniform(0.005, 0.03)))
    # only the cast is supervised: after fading, the opposite contrast and chroma settings
    # no longer undo the rest (the residual does)
    return Degraded(_clip(y), x, {"temperature": t, "tint": ti})


def _hdr(x, rng):
    sh = float(rng.uniform(0.3, 0.8))
    hl = float(rng.uniform(0.3, 0.8))
    ev = float(rng.uniform(0.2, 0.8))
    y = apply_settings(x, {"shadows": -sh, "highlights": hl, "exposure": ev})
    return Degraded(_clip(y), x, {"shadows": sh, "highlights": -hl, "exposure": -ev})


def _low_light(x, rng):
    ev = float(rng.uniform(1.5, 4.0))
    y = x * 2.0 ** -ev
    a = float(np.exp(rng.uniform(np.log(2e-5), np.log(4e-4))))  # shot noise: var = a·y
    b = float(np.exp(rng.uniform(np.log(1e-7), np.log(4e-6))))  # read noise
    sd = (a * y.clamp_min(0) + b).sqrt()
    y = y + sd * torch.from_numpy(rng.standard_normal(tuple(y.shape)).astype(np.float32))
    return Degraded(_clip(y), x, {"exposure": ev})


def random_style(rng: np.random.Generator) -> dict:
    """A random colour style as registry settings (cast, exposure, contrast, chroma)."""
    t, ti = _cast(rng, 3500.0, 10000.0, 20.0)
    return {**_cast_settings(t, ti), "exposure": float(rng.uniform(-0.7, 0.7)),
            "contrast": float(rng.uniform(-0.4, 0.4)), "chroma_boost": float(rng.uniform(0.6, 1.5))}


def _style_transfer(x, rng, ref: torch.Tensor | None = None):
    """``ref``: a clean crop of another photo (a random crop of ``x`` when None)."""
    if ref is None:
        h, w = x.shape[-2:]
        ref = torch.flip(x, dims=[-1])[..., : max(1, h // 2 * 2), :]
    a, b = random_style(rng), random_style(rng)
    return Degraded(_clip(apply_settings(x, a)), _clip(apply_settings(x, b)), None,
                    reference=_clip(apply_settings(ref, b)))


DEGRADATIONS: dict[str, Callable] = {
    "color_correction": _color_correction, "color_enhance": _color_enhance, "white_balance": _white_balance,
    "style_transfer": _style_transfer, "old_photo_restoration": _old_photo, "hdr_enhance": _hdr,
    "low_light": _low_light,
}


def degrade(task: str, x: torch.Tensor, rng: np.random.Generator, ref: torch.Tensor | None = None) -> Degraded:
    """Degrade clean linear ``x`` (1,3,H,W) for ``task`` (see the module table)."""
    if task not in DEGRADATIONS:
        raise ValueError(f"no degradation for task {task!r}; learned tasks: {', '.join(DEGRADATIONS)}")
    if task == "style_transfer":
        return _style_transfer(x, rng, ref)
    return DEGRADATIONS[task](x, rng)


#: training only — task: (share of clean samples, share of mild ones, the mild degradation)
TRAINING_MIX: dict[str, tuple[float, float, Callable]] = {
    "color_correction": (0.3, 0.3, lambda x, rng: _color_correction(x, rng, 5000.0, 8500.0, 8.0, 0.4, 0.12)),
    "white_balance": (0.2, 0.3, lambda x, rng: _white_balance(x, rng, 4800.0, 9000.0, 10.0)),
}


def training_sample(task: str, x: torch.Tensor, rng: np.random.Generator,
                    ref: torch.Tensor | None = None) -> Degraded:
    """What training draws for ``task``: :func:`degrade`, except that for the tasks of
    :data:`TRAINING_MIX` a share of the samples is left clean (target = input, no control
    moved) and a share is mildly degraded. Seeded by ``rng`` alone."""
    if task in TRAINING_MIX:
        clean, mild, fn = TRAINING_MIX[task]
        u = float(rng.random())
        if u < clean:
            return Degraded(x, x, {})
        if u < clean + mild:
            return fn(x, rng)
    return degrade(task, x, rng, ref)
