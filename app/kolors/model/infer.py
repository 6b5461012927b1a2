"""From a photo to settings: what ``Enhancer(model_type='general'|'lite')`` runs for a task.

The network looks once at a 256×256 thumbnail (area-averaged in linear light) and
returns registry settings: the interpretable controls (``exposure``, ``temperature``,
``tint``, ``contrast``, ``highlights``, ``shadows``, ``chroma_boost``: what "Auto" puts on
the sliders) and the learned residual (``learned_lut``, ``learned_grid``: applied on top,
with its own ``learned_strength``: the task's strength fitted by ``kolors calibrate`` and
stored in the checkpoint, 1.0 where there is none). Rendering those settings is
resolution independent and tiles seamlessly; the engine blends them toward the defaults
by ``intensity`` (0 is exactly the identity), all but ``learned_strength`` (the LUT and
grid already scale with the intensity). Deterministic: eval mode, no sampling.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..core import registry
from .io import load_checkpoint, load_model
from .net import TASK_IDS, THUMB, KolorsNet, controls_to_settings

__all__ = ["LearnedModel", "thumb256", "LUT_CLIP", "GRID_CLIP"]

#: the residual's LUT and grid deltas are clipped to these (the registry parameters' ranges)
LUT_CLIP, GRID_CLIP = 4.0, 8.0


def thumb256(linear: torch.Tensor) -> torch.Tensor:
    """(1,3,H,W) linear → (1,3,256,256): area average when shrinking, bilinear otherwise
    (the aspect ratio is not kept: the local grid spans the whole photo either way)."""
    x = linear.float()
    h, w = x.shape[-2:]
    mode = "area" if h >= THUMB and w >= THUMB else "bilinear"
    kw = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(x, size=(THUMB, THUMB), mode=mode, **kw).clamp_min(0.0)


class LearnedModel:
    """A loaded :class:`KolorsNet` with its device."""

    def __init__(self, net: KolorsNet, device: torch.device | str | None = None, source: str = "",
                 residual_strength: dict[str, float] | None = None):
        self.device = torch.device(device or "cpu")
        self.net = net.to(self.device).eval()
        self.source = source
        #: task → default ``learned_strength`` (see :mod:`kolors.model.calibrate`); 1.0 if absent
        self.residual_strength = dict(residual_strength or {})

    @classmethod
    def from_file(cls, path: str | Path, device: torch.device | str | None = None) -> "LearnedModel":
        ck = load_checkpoint(path)
        return cls(load_model(path, device or "cpu", ck), device, str(path), ck.get("residual_strength"))

    @property
    def name(self) -> str:
        return self.net.cfg.name

    @staticmethod
    def handles(task: str) -> bool:
        """Tasks the model learned (industrial stays classical)."""
        return task in TASK_IDS

    @torch.no_grad()
    def predict(self, linear: torch.Tensor, task: str, reference: torch.Tensor | None = None) -> dict[str, Any]:
        """Settings for ``task`` on a (1,3,H,W) linear photo (validated): the controls at
        full strength, the residual's LUT and grid, and the task's calibrated
        ``learned_strength`` (see :meth:`settings`)."""
        if task not in TASK_IDS:
            raise ValueError(f"the learned model has no task {task!r}; learned tasks: {', '.join(TASK_IDS)}")
        th = thumb256(linear).to(self.device)
        ref = thumb256(reference).to(self.device) if reference is not None else None
        ids = torch.tensor([TASK_IDS[task]], device=self.device)
        return self.settings(*self.net(th, ids, ref), task)[0]

    def settings(self, controls: torch.Tensor, lut: torch.Tensor, grid: torch.Tensor,
                 task: str) -> list[dict[str, Any]]:
        """The network's outputs for a batch (controls (B,7), lut (B,S,S,S,3), grid
        (B,G,G,12)) → validated registry settings per sample: slider values, the LUT and
        grid clipped to ±:data:`LUT_CLIP` / ±:data:`GRID_CLIP`, and ``learned_strength`` =
        this checkpoint's calibrated strength for ``task`` (1.0 where it has none). Every
        path that turns the network's output into settings (one photo, batched video
        frames) goes through here."""
        strength = float(self.residual_strength.get(task, 1.0))
        out = []
        for j, c in enumerate(controls_to_settings(controls)):
            s: dict[str, Any] = dict(c)
            s["learned_lut"] = lut[j].float().cpu().numpy().clip(-LUT_CLIP, LUT_CLIP)
            s["learned_grid"] = grid[j].float().cpu().numpy().clip(-GRID_CLIP, GRID_CLIP)
            s["learned_strength"] = strength
            out.append(registry.validate_settings(s))
        return out
