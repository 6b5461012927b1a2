"""Training the learned enhancer (``kolors train``): three stages, as in the seed.

1. ``pretrain`` — contrastive pre-training of the style encoder (NT-Xent): two crops of
   one photo under one random colour style are a positive pair; the same photo under
   another style is in the batch as a negative, so the embedding has to encode colour,
   not content.
2. ``multitask`` — every task's seeded degradation (:mod:`kolors.model.degrade`) is
   undone (colour correction and white balance also get clean photos, to be left alone,
   and mild casts: :func:`~kolors.model.degrade.training_sample`): the predicted controls
   run through the registry operations, the residual (LUT basis + affine grid) on top.
   Loss: ΔE2000 + 10·(1 − SSIM) (in place of LPIPS, whose pretrained weights cannot be
   fetched here: SSIM on the sRGB-encoded image keeps structure, ΔE2000 keeps colour) +
   L1 on the controls against the degradation's inverse parameters + LUT smoothness and
   monotonicity + grid smoothness.
3. ``finetune`` — stage 2 on a person's own folder, from existing weights, at a tenth of
   the learning rate.
4. ``illuminant`` — the illuminant, exposure and need estimator both models share
   (:mod:`kolors.model.train_illuminant`), on 64×64 thumbnails.

Every epoch draws its crops and degradations from ``seed`` and the epoch number only,
so a run resumed from a checkpoint continues exactly where it stopped, and a fixed seed
gives the same weights. On CUDA training runs under autocast with a GradScaler;
``grad_checkpoint`` recomputes the style encoder's activations in the backward pass.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..core import color, registry
from .data import CropSampler, load_folder
from .degrade import apply_settings, random_style, training_sample
from .io import load_checkpoint, save_checkpoint
from .net import CONFIGS, TASK_IDS, KolorsNet, check_learned_tasks, controls_to_settings, settings_to_controls
from ..core.residual import apply_residual

__all__ = ["TrainOptions", "train", "STAGES", "image_loss", "lut_regulariser"]

STAGES = ("pretrain", "multitask", "finetune", "illuminant")


@dataclass
class TrainOptions:
    data: str
    out: str
    stage: str = "multitask"
    model_type: str = "general"
    epochs: int = 10
    batch: int = 8
    steps_per_epoch: int = 100
    lr: float = 2e-3
    seed: int = 0
    resume: bool = False
    init: str | None = None  # weights to start from (finetune: default the shipped ones)
    device: str = "cpu"
    grad_checkpoint: bool = False
    max_side: int = 640
    threads: int | None = None
    tasks: tuple[str, ...] | None = None  # multitask/finetune: train on these tasks only (default all)
    only: str | None = None  # "task_embedding": train only the embedding rows of ``tasks``


# ----------------------------------------------------------------------------- losses
def _srgb(x: torch.Tensor) -> torch.Tensor:
    return color.linear_to_srgb(x.clamp(0.0, 1.0))


def image_loss(out: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """ΔE2000 (mean, on the displayed image) + 10·(1 − SSIM of the sRGB-encoded image)."""
    from pytorch_msssim import ssim
    o = out.float().clamp(0.0, 1.0)
    t = target.float().clamp(0.0, 1.0)
    # a tiny common offset on a*: exact neutrals (a* = b* = 0, e.g. clipped black) have
    # no hue, and atan2/hypot at (0, 0) have no gradient (NaN); the difference is kept
    eps = torch.tensor([0.0, 1e-3, 0.0], device=o.device).view(1, 3, 1, 1)
    de = color.delta_e2000(color.rgb_to_lab(o) + eps, color.rgb_to_lab(t) + eps).mean()
    ss = ssim(_srgb(o), _srgb(t), data_range=1.0, size_average=True)
    return de + 10.0 * (1.0 - ss), {"de": float(de.detach()), "ssim": float(ss.detach())}


def lut_regulariser(lut: torch.Tensor) -> torch.Tensor:
    """Smoothness (mean squared difference of neighbouring deltas) + monotonicity (each
    output channel of identity + delta must not fall along its own input axis)."""
    s = lut.shape[1]
    tv = sum(((lut.diff(dim=d)) ** 2).mean() for d in (1, 2, 3))
    step = 1.0 / (s - 1)
    mono = sum(F.relu(-(lut[..., c].diff(dim=1 + c) + step)).mean() for c in range(3))
    return 10.0 * tv + 100.0 * mono


def _grid_tv(grid: torch.Tensor) -> torch.Tensor:
    return (grid.diff(dim=1) ** 2).mean() + (grid.diff(dim=2) ** 2).mean()


# ----------------------------------------------------------------------------- stages
def _nt_xent(a: torch.Tensor, b: torch.Tensor, tau: float = 0.2) -> torch.Tensor:
    z = F.normalize(torch.cat([a, b]), dim=1)
    n = a.shape[0]
    sim = z @ z.T / tau
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


def _pretrain_step(net, head, sampler, rng, batch, dev):
    from ..core.residual import encode
    views_a, views_b = [], []
    for i in range(batch):
        if i % 2 == 0:
            idx = int(rng.integers(len(sampler.photos)))
        style = random_style(rng)  # items 2k and 2k+1: the same photo, two styles
        for views in (views_a, views_b):
            views.append(apply_settings(sampler.crop(rng, idx), style).clamp(0, 1))
    a = torch.cat(views_a).to(dev)
    b = torch.cat(views_b).to(dev)
    za = head(net.style(encode(a)))
    zb = head(net.style(encode(b)))
    loss = _nt_xent(za, zb)
    return loss, {"nce": float(loss.detach())}


def _multitask_batch(sampler, rng, batch, step, tasks=None):
    tasks = list(tasks or TASK_IDS)
    inp, tgt, refs, mask, ids, ctrl = [], [], [], [], [], []
    for i in range(batch):
        task = tasks[(step * batch + i) % len(tasks)]
        x = sampler.crop(rng)
        ref = sampler.crop(rng) if task == "style_transfer" else None
        d = training_sample(task, x, rng, ref)
        inp.append(d.input)
        tgt.append(d.target)
        refs.append(d.reference if d.reference is not None else torch.zeros_like(x))
        mask.append(1.0 if d.reference is not None else 0.0)
        ids.append(TASK_IDS[task])
        ctrl.append(settings_to_controls(d.controls or {}))
    return (torch.cat(inp), torch.cat(tgt), torch.cat(refs), torch.tensor(mask), torch.tensor(ids),
            torch.tensor(ctrl, dtype=torch.float32))


def run_controls(x: torch.Tensor, controls: torch.Tensor) -> torch.Tensor:
    """Apply normalised controls (B,7) to linear ``x`` (B,3,H,W) through the registry
    operations, sample by sample (no gradient: the controls learn from their own loss)."""
    outs = []
    for xi, s in zip(x, controls_to_settings(controls)):
        outs.append(apply_settings(xi.unsqueeze(0), registry.validate_settings(s)))
    return torch.cat(outs)


def _multitask_step(net, sampler, rng, batch, dev, step, total, autocast, tasks=None):
    inp, tgt, ref, mask, ids, ctrl = _multitask_batch(sampler, rng, batch, step, tasks)
    inp, tgt, ref, mask, ids, ctrl = (t.to(dev) for t in (inp, tgt, ref, mask, ids, ctrl))
    with autocast():
        pred, lut, grid = net(inp, ids, ref, mask)
    # teacher forcing fades out over the first half: early controls are noise
    tf = max(0.0, 1.0 - 2.0 * step / max(total, 1))
    used = ctrl if rng.random() < tf else pred.detach().float()
    base = run_controls(inp.cpu(), used.cpu()).to(dev)
    out = apply_residual(base, lut.float(), grid.float())
    loss, logs = image_loss(out, tgt)
    lc = (pred.float() - ctrl).abs().mean()
    loss = loss + 5.0 * lc + lut_regulariser(lut.float()) + _grid_tv(grid.float())
    logs["ctrl"] = float(lc.detach())
    return loss, logs


# ----------------------------------------------------------------------------- driver
def _strengths_kept(init: dict[str, float], tasks: list[str], only: str | None) -> dict[str, float]:
    """The calibrated residual strengths (:mod:`kolors.model.calibrate`) that still hold
    after training from weights that had them: with ``only='task_embedding'`` the tasks not
    trained are bit-identical, so theirs are kept; otherwise none are (the network changed),
    with a warning that the new weights want ``kolors calibrate``."""
    if only == "task_embedding":
        return {t: v for t, v in init.items() if t not in tasks}
    if init:
        import warnings
        warnings.warn(f"the starting weights' calibrated residual strengths ({', '.join(init)}) do not carry "
                      "over to new weights: run `kolors calibrate` on the result", RuntimeWarning, stacklevel=3)
    return {}


def _task_rows_only(net: KolorsNet, tasks: list[str]) -> list[torch.nn.Parameter]:
    """Freeze everything but the task embedding rows of ``tasks``: a fine-tune that can
    change what the network does for those tasks and provably nothing else (every other
    weight, the other tasks' rows included, stays bit-identical)."""
    for p in net.parameters():
        p.requires_grad_(False)
    w = net.task.weight
    w.requires_grad_(True)
    keep = torch.zeros(w.shape[0], 1, dtype=w.dtype, device=w.device)
    keep[[TASK_IDS[t] for t in tasks]] = 1.0
    w.register_hook(lambda g: g * keep)
    return [w]


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def train(opts: TrainOptions, progress: bool = True, on_epoch: Callable[[int, dict], None] | None = None) -> Path:
    """Run one training stage; writes a checkpoint to ``opts.out`` after every epoch
    (atomically). Returns the output path."""
    from tqdm import tqdm
    if opts.stage not in STAGES:
        raise ValueError(f"unknown stage {opts.stage!r}; valid: {', '.join(STAGES)}")
    if opts.model_type not in CONFIGS:
        raise ValueError(f"unknown model_type {opts.model_type!r}; valid: {', '.join(CONFIGS)}")
    for k in ("epochs", "batch", "steps_per_epoch"):
        if int(getattr(opts, k)) < 1:
            raise ValueError(f"{k} must be ≥ 1, got {getattr(opts, k)}")
    if opts.stage == "pretrain" and opts.batch < 2:
        raise ValueError("pretrain needs a batch of at least 2")
    if opts.stage == "illuminant":
        if opts.tasks or opts.only or opts.resume or opts.init:
            raise ValueError("the illuminant stage takes no --tasks, --only, --resume or --init")
        from .train_illuminant import train_illuminant
        return train_illuminant(opts, progress, _device(opts.device))
    tasks = check_learned_tasks(opts.tasks)
    if opts.only not in (None, "task_embedding"):
        raise ValueError(f"unknown --only {opts.only!r}; valid: task_embedding")
    if opts.only and (opts.stage == "pretrain" or not opts.tasks):
        raise ValueError("--only task_embedding needs --tasks and the multitask or finetune stage")
    if opts.tasks and opts.stage == "pretrain":
        raise ValueError("--tasks goes with the multitask or finetune stage (pretrain has no tasks)")
    if opts.threads:
        torch.set_num_threads(opts.threads)
    dev = _device(opts.device)
    out = Path(opts.out)
    start_epoch, history, extra = 0, [], {}
    init = opts.init
    if opts.stage == "finetune" and init is None:
        from . import shipped_path
        init = str(shipped_path(opts.model_type))
    if opts.resume and out.exists():
        ck = load_checkpoint(out)
        if "optimizer" not in ck or "scheduler" not in ck:
            from ..errors import InputError
            raise InputError(f"{out}: no optimizer state (shipped, inference-only weights): nothing to resume")
        if ck.get("stage") != opts.stage:
            raise ValueError(f"{out}: checkpoint is from stage {ck.get('stage')!r}, not {opts.stage!r}")
        net = KolorsNet(ck["config"])
        net.load_state_dict(ck["state_dict"])
        start_epoch, history, extra = int(ck["epoch"]), list(ck.get("history", [])), dict(ck.get("extra", {}))
        strengths = dict(ck.get("residual_strength") or {})
    else:
        ck = None
        strengths = {}
        if init is not None:
            base = load_checkpoint(init)
            net = KolorsNet(base["config"])
            net.load_state_dict(base["state_dict"])
            strengths = _strengths_kept(base.get("residual_strength") or {}, tasks, opts.only)
        else:
            torch.manual_seed(opts.seed)
            net = KolorsNet(CONFIGS[opts.model_type])
    net.to(dev).train()
    net.set_grad_checkpoint(opts.grad_checkpoint)
    head = None
    if opts.stage == "pretrain":
        torch.manual_seed(opts.seed + 1)
        head = torch.nn.Sequential(torch.nn.Linear(net.cfg.style_dim, 128), torch.nn.GELU(),
                                   torch.nn.Linear(128, 64)).to(dev)
        if "proj_head" in extra:
            head.load_state_dict(extra["proj_head"])
        params = list(net.style.parameters()) + list(head.parameters())
    elif opts.only == "task_embedding":
        params = _task_rows_only(net, tasks)
    else:
        params = list(net.parameters())
    lr = opts.lr * (0.1 if opts.stage == "finetune" else 1.0)
    # no weight decay when only some rows train: decay would move the frozen rows too
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0 if opts.only else 1e-4)
    total = opts.epochs * opts.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    if ck is not None:
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
    use_amp = dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    def autocast():
        return torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=use_amp)

    sampler = CropSampler(load_folder(opts.data, opts.max_side))
    for epoch in range(start_epoch, opts.epochs):
        rng = np.random.default_rng([opts.seed, epoch])
        torch.manual_seed(opts.seed * 1000 + epoch)
        sums: dict[str, float] = {}
        t0 = time.time()
        bar = tqdm(range(opts.steps_per_epoch), desc=f"{opts.stage} epoch {epoch + 1}/{opts.epochs}",
                   disable=not progress, leave=False)
        for i in bar:
            step = epoch * opts.steps_per_epoch + i
            if opts.stage == "pretrain":
                with autocast():
                    loss, logs = _pretrain_step(net, head, sampler, rng, opts.batch, dev)
            else:
                loss, logs = _multitask_step(net, sampler, rng, opts.batch, dev, step, total, autocast, tasks)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(opt)
            scaler.update()
            sched.step()
            logs["loss"] = float(loss.detach())
            for k, v in logs.items():
                sums[k] = sums.get(k, 0.0) + v
            bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items()})
        means = {k: v / opts.steps_per_epoch for k, v in sums.items()}
        means["seconds"] = time.time() - t0
        history.append({"epoch": epoch + 1, **means})
        if head is not None:
            extra["proj_head"] = head.state_dict()
        save_checkpoint(out, net, stage=opts.stage, epoch=epoch + 1, history=history, optimizer=opt.state_dict(),
                        scheduler=sched.state_dict(), extra=extra, residual_strength=strengths,
                        meta={"data": os.fspath(opts.data), "seed": opts.seed, "batch": opts.batch,
                              "steps_per_epoch": opts.steps_per_epoch, "epochs": opts.epochs})
        if on_epoch is not None:
            on_epoch(epoch + 1, means)
        if progress:
            print(f"{opts.stage} epoch {epoch + 1}/{opts.epochs}: " +
                  ", ".join(f"{k} {v:.4g}" for k, v in means.items()), flush=True)
    return out
