"""Per-task strength of the learned residual, fitted on held-out photos (``kolors calibrate``).

The network predicts, for each task, the interpretable controls and a learned residual
(global LUT + local affine grid) that :mod:`kolors.core.ops.learned_residual` applies with
``learned_strength`` in [0, 1]. How much the residual helps differs by task: where a
task's degradation is entirely parametric (the casts and exposure of
``color_correction``), the controls can undo it exactly and the residual mostly adds a
change of its own, which shows on photos that needed nothing; where the degradation is not
(fading, grain, noise, clipping), the residual does most of the work.

:func:`calibrate` measures that on photos the network was not trained on: for every task
it draws ``samples`` crops through :func:`~kolors.model.degrade.training_sample` (the
training mix, so the colour-correction and white-balance tasks include clean and mildly
degraded photos as well as strong casts), predicts once — the settings the model really
gives, so with the illuminant estimator's word on them where the model has one
(:func:`~kolors.model.infer.use_estimate`) — renders those settings without the residual,
and scores the residual at each candidate strength with the training loss (ΔE2000 + 10·(1 − SSIM),
:func:`~kolors.model.train.image_loss`). The strength with the lowest mean loss is the
task's default ``learned_strength``; it is stored in the checkpoint (``residual_strength``,
a dict of floats, still a plain ``weights_only`` file) and :class:`~kolors.model.infer.
LearnedModel` puts it into the settings it predicts (what "Auto" puts on the "Learned"
slider). A checkpoint without it uses 1.0 for every task.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .net import TASK_IDS, check_learned_tasks

__all__ = ["calibrate", "DEFAULT_STRENGTHS", "write_calibration"]

#: the candidate strengths: 0 (controls only) to 1 (the residual as trained), steps of 0.1
DEFAULT_STRENGTHS = tuple(round(0.1 * i, 1) for i in range(11))


@torch.no_grad()
def calibrate(model: Any, data: str | Path, tasks: list[str] | None = None, samples: int = 48, seed: int = 0,
              strengths: tuple[float, ...] = DEFAULT_STRENGTHS, max_side: int = 640,
              progress: bool = True) -> dict[str, dict[str, Any]]:
    """Fit each task's residual strength on the photos of ``data``.

    ``model``: a :class:`~kolors.model.infer.LearnedModel`. Returns ``{task: {"strength":
    s, "loss": [mean loss at each candidate], "de": [mean ΔE2000 at each candidate],
    "strengths": [...], "n": samples}}``. Seeded: the crops and degradations come from
    ``seed`` and the task alone, so every candidate (and every model) sees the same inputs.
    """
    from tqdm import tqdm

    from ..core import registry
    from ..core.residual import apply_residual
    from .data import CropSampler, load_folder
    from .degrade import apply_settings, training_sample
    from .train import image_loss

    tasks = check_learned_tasks(tasks)
    if samples < 1:
        raise ValueError(f"samples must be ≥ 1, got {samples}")
    if not strengths or not all(0.0 <= float(v) <= 1.0 for v in strengths):
        raise ValueError(f"candidate strengths must be within [0, 1], got {strengths!r}")
    sampler = CropSampler(load_folder(data, max_side))
    net, dev = model.net, model.device
    out: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(tasks) * samples, desc="calibrate", disable=not progress, leave=False)
    for task in tasks:
        rng = np.random.default_rng([seed, TASK_IDS[task]])
        losses = np.zeros((samples, len(strengths)))
        des = np.zeros_like(losses)
        for i in range(samples):
            x = sampler.crop(rng)
            ref = sampler.crop(rng) if task == "style_transfer" else None
            d = training_sample(task, x, rng, ref)
            ids = torch.tensor([TASK_IDS[task]], device=dev)
            r = d.reference.to(dev) if d.reference is not None else None
            st = model.settings(*net(d.input.to(dev), ids, r), task, model.estimates(d.input, d.reference))[0]
            lut_s, grid_s = st.pop("learned_lut"), st.pop("learned_grid")
            st.pop("learned_strength")
            base = apply_settings(d.input, registry.validate_settings(st)).to(dev)
            for j, s in enumerate(strengths):
                if lut_s is None or grid_s is None:  # the task was gated off: no residual at all
                    o = base.cpu()
                else:  # the residual as predict() hands it to the renderer (clipped)
                    o = apply_residual(base, torch.from_numpy(np.asarray(lut_s))[None].to(dev),
                                       torch.from_numpy(np.asarray(grid_s))[None].to(dev), float(s)).cpu()
                loss, logs = image_loss(o, d.target)
                losses[i, j], des[i, j] = float(loss), logs["de"]
            bar.update()
        mean = losses.mean(0)
        out[task] = {"strength": float(strengths[int(mean.argmin())]), "loss": mean.round(4).tolist(),
                     "de": des.mean(0).round(4).tolist(), "strengths": [float(s) for s in strengths],
                     "n": samples}
    bar.close()
    return out


def write_calibration(src: str | os.PathLike, dst: str | os.PathLike, result: dict[str, dict[str, Any]],
                      data: str | os.PathLike, seed: int) -> Path:
    """Copy the checkpoint ``src`` to ``dst`` (atomically; ``dst`` may be ``src``) with
    ``residual_strength`` set from ``result``: tasks not in it keep their earlier value (or
    1.0). Everything else is kept, optimizer state included, so a training checkpoint can
    still be resumed; ``meta["calibration"][task]`` records each task's data, seed and
    sample count."""
    from .io import copy_checkpoint, load_checkpoint
    ck = load_checkpoint(src)
    strength = dict(ck.get("residual_strength") or {})
    strength.update({t: float(r["strength"]) for t, r in result.items()})
    meta = dict(ck.get("meta") or {})
    prov = dict(meta.get("calibration") or {})
    prov.update({t: {"data": os.fspath(data), "seed": int(seed), "n": int(r["n"])} for t, r in result.items()})
    meta["calibration"] = prov
    return copy_checkpoint(ck, src, dst, meta=meta, residual_strength=strength)
