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

The illuminant, exposure and need estimator (:mod:`kolors.model.illuminant`, shared by both
sizes: ``resources/models/kolors_illuminant.pt``) then has the last word
(:func:`use_estimate`): colour correction and white balance take its temperature and tint
(and colour correction its exposure); old-photo restoration, HDR and colour enhance are
blended toward the identity by how much the photo needs them (:func:`need_gate`), low light
by how dark the estimator finds it (:func:`low_light_gate`), style transfer by how far the
reference's look is from the photo's (:func:`style_need`), so no task wrecks a photo that
does not need it. Auto's corrections have dead zones (:data:`CAST_DEADZONE`,
:data:`EV_DEADZONE`, soft thresholds chosen on 24 BSDS500 *training* photos, not on the
evaluation sets): a cast or exposure error is corrected by what it exceeds them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core import registry
from ..core.residual import STRENGTH_NOT_BLENDED
from .illuminant import Estimate, Estimator
from .io import load_checkpoint, load_model
from .net import TASK_IDS, THUMB, KolorsNet, controls_to_settings

__all__ = ["LearnedModel", "thumb256", "LUT_CLIP", "GRID_CLIP", "use_estimate", "need_gate", "low_light_gate"]

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


#: need gates: a task's probability of being needed (its need head; style transfer:
#: :func:`style_need`) → none of the task up to NEED_RANGE[0], all of it from NEED_RANGE[1];
#: low light: the estimated exposure correction (EV) → none up to LOW_LIGHT_EV[0], all
#: from LOW_LIGHT_EV[1]; linear between (chosen on 24 BSDS500 *training* photos)
NEED_RANGE, LOW_LIGHT_EV = (0.1, 0.35), (0.3, 1.0)


def _ramp(v: float, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    return float(min(1.0, max(0.0, (v - lo) / (hi - lo))))


def need_gate(p: float) -> float:
    """The estimator's probability that a photo needs a task → how much of the task it
    gets in [0, 1] (:data:`NEED_RANGE`)."""
    return _ramp(p, NEED_RANGE)


#: style transfer's need: the Oklab statistics of photo and reference this far apart (L2 of
#: the means and standard deviations) get all of the transfer, identical ones none
STYLE_DISTANCE = 0.015


def style_need(photo: torch.Tensor, reference: torch.Tensor) -> float:
    """How much a (1,3,H,W) linear photo needs the look of ``reference``, as a probability
    for :func:`need_gate` (the gate's lower end when their Oklab statistics agree, its upper
    end from :data:`STYLE_DISTANCE` apart): a reference with the photo's own look changes
    nothing."""
    from ..core.ops.color_transfer import oklab_stats
    from .illuminant import thumb
    d = float(np.linalg.norm(np.subtract(oklab_stats(thumb(photo)), oklab_stats(thumb(reference)))))
    lo, hi = NEED_RANGE
    return lo + (hi - lo) * min(1.0, d / STYLE_DISTANCE)


def low_light_gate(ev: float) -> float:
    """Low light brightens only what is dark: how much of the task a photo gets in [0, 1]
    from the estimated exposure correction in EV (:data:`LOW_LIGHT_EV`)."""
    return _ramp(ev, LOW_LIGHT_EV)


#: the dead zones of Auto's corrections (soft thresholds): a cast is corrected by what it
#: exceeds CAST_DEADZONE (log-chroma; 0.25 is 5–8° of angle), an exposure error by what it exceeds
#: EV_DEADZONE. Photos the estimator never saw carry a cast of their own of several degrees
#: by any estimate (scene colours, the photographer's choice), which a full correction would
#: "fix" on every good photo. White balance has its own (WB_DEADZONE), the same for now: on
#: the 24 training-set photos a smaller one (0.1) did not help strong casts (ΔE2000 6.25
#: against 6.38) and cost clean photos (2.39 against 1.23).
CAST_DEADZONE, EV_DEADZONE, WB_DEADZONE = 0.25, 0.45, 0.25


def shrink(v: np.ndarray, tau: float) -> np.ndarray:
    """Soft threshold: ``v`` shortened by ``tau`` (zero when shorter)."""
    n = float(np.linalg.norm(v))
    return v * max(0.0, 1.0 - tau / n) if n > 0 else v


def correction(est: Estimate, cast_deadzone: float | None = None) -> tuple[float, float, float]:
    """(temperature, tint, exposure) that Auto sets from ``est``, after the dead zones
    (``cast_deadzone``: default :data:`CAST_DEADZONE`)."""
    from ..core.colorimetry import illuminant_rgb, rgb_to_cct_tint
    ill = np.log(np.asarray(est.illuminant, dtype=np.float64))
    ref = np.log(illuminant_rgb(6504.0, 0.0))
    neutral = np.array([ref[0] - ref[1], ref[2] - ref[1]])
    d = np.array([ill[0] - ill[1], ill[2] - ill[1]]) - neutral
    d = shrink(d, CAST_DEADZONE if cast_deadzone is None else cast_deadzone) + neutral
    T, tint = rgb_to_cct_tint(np.exp(np.array([d[0], 0.0, d[1]])))
    ev = float(shrink(np.array([est.exposure]), EV_DEADZONE)[0])
    return float(np.clip(T, 2000.0, 15000.0)), float(np.clip(tint, -100.0, 100.0)), ev


def use_estimate(settings: dict[str, Any], task: str, est: Estimate) -> dict[str, Any]:
    """The network's settings for ``task`` with the estimator's word on them (see the
    module docstring); returns a new dict."""
    s = dict(settings)
    if task in ("color_correction", "white_balance"):
        T, tint, ev = correction(est, WB_DEADZONE if task == "white_balance" else None)
        s["temperature"], s["tint"] = T, tint
        if task == "color_correction":
            s["exposure"] = ev
        return s
    if task == "low_light":
        g = low_light_gate(est.exposure)
    elif task in est.need:
        g = need_gate(est.need[task])
    else:
        return s
    return s if g >= 1.0 else registry.blend_settings(s, g, STRENGTH_NOT_BLENDED)


def _default_estimator(device) -> Estimator | None:
    from .shipped import shipped_path
    p = shipped_path("illuminant")
    return Estimator.from_file(p, device) if p.is_file() else None


class LearnedModel:
    """A loaded :class:`KolorsNet` with its device."""

    def __init__(self, net: KolorsNet, device: torch.device | str | None = None, source: str = "",
                 residual_strength: dict[str, float] | None = None, estimator: Estimator | None = None):
        self.device = torch.device(device or "cpu")
        self.net = net.to(self.device).eval()
        self.source = source
        #: the illuminant/exposure/need estimator (None: the network's own controls, ungated)
        self.estimator = estimator
        #: task → default ``learned_strength`` (see :mod:`kolors.model.calibrate`); 1.0 if absent
        self.residual_strength = dict(residual_strength or {})

    @classmethod
    def from_file(cls, path: str | Path, device: torch.device | str | None = None,
                  estimator: str | Path | bool = True) -> "LearnedModel":
        """``estimator``: True — the shipped one (none if it is not installed); False —
        none; a path — that file."""
        ck = load_checkpoint(path)
        dev = device or "cpu"
        est = (_default_estimator(dev) if estimator is True else None if estimator is False
               else Estimator.from_file(estimator, dev))
        return cls(load_model(path, dev, ck), device, str(path), ck.get("residual_strength"), est)

    def estimates(self, linear: list[torch.Tensor] | torch.Tensor,
                  reference: torch.Tensor | None = None) -> list[Estimate] | None:
        """The estimator's :class:`~kolors.model.illuminant.Estimate` for each (1,3,H,W)
        linear photo of ``linear`` (a list, or one tensor); with a ``reference``, each also
        carries style transfer's need (:func:`style_need`). None without an estimator."""
        if self.estimator is None:
            return None
        from .illuminant import thumb
        items = [linear] if isinstance(linear, torch.Tensor) else list(linear)
        out = self.estimator.estimate(torch.cat([thumb(x) for x in items]))
        if reference is not None:
            for x, e in zip(items, out):
                e.need["style_transfer"] = style_need(x, reference)
        return out

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
        return self.settings(*self.net(th, ids, ref), task, self.estimates(linear, reference))[0]

    def settings(self, controls: torch.Tensor, lut: torch.Tensor, grid: torch.Tensor,
                 task: str, estimates: list[Estimate] | None = None) -> list[dict[str, Any]]:
        """The network's outputs for a batch (controls (B,7), lut (B,S,S,S,3), grid
        (B,G,G,12)) → validated registry settings per sample: slider values, the LUT and
        grid clipped to ±:data:`LUT_CLIP` / ±:data:`GRID_CLIP`, and ``learned_strength`` =
        this checkpoint's calibrated strength for ``task`` (1.0 where it has none), then
        :func:`use_estimate` with ``estimates`` (one per sample) where given. Every path
        that turns the network's output into settings (one photo, batched video frames)
        goes through here."""
        strength = float(self.residual_strength.get(task, 1.0))
        out = []
        for j, c in enumerate(controls_to_settings(controls)):
            s: dict[str, Any] = dict(c)
            s["learned_lut"] = lut[j].float().cpu().numpy().clip(-LUT_CLIP, LUT_CLIP)
            s["learned_grid"] = grid[j].float().cpu().numpy().clip(-GRID_CLIP, GRID_CLIP)
            s["learned_strength"] = strength
            if estimates is not None:
                s = use_estimate(s, task, estimates[j])
            out.append(registry.validate_settings(s))
        return out
