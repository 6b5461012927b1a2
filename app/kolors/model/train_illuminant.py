"""``kolors train --stage illuminant``: the illuminant, exposure and need estimator
(:mod:`kolors.model.illuminant`), trained on small thumbnails for sample efficiency.

* **Thumbnail bank.** Every photo gives ``crops`` random square crops (35–100 % of its
  short side, flipped and turned by multiples of 90°), area-resized once to 128×128
  (:data:`BANK`) and averaged down to 64×64: the bank is made once, in memory.
* **Degradations on the thumbnail, vectorised** (:func:`kolors.model.degrade.camera_cast`):
  per sample the scene's colours are rotated about the neutral axis half of the time
  (:func:`recolour_scenes`), an exposure jitter of ±0.2 EV (the photographer's own choice is not exact),
  then 20 % left clean, 30 % mild (4800–9000 K, tint ±10, ±0.5 EV) and 50 % strong
  (2500–12000 K, tint ±30, ±2.5 EV; a fifth of these under mixed light, two illuminants
  across the frame; a sixth darkened by 1.5–4 EV as for low light), all in linear light
  before clipping. A batch of 256 costs a few hundred ms on one core.
* **Need heads.** For each task of :data:`~kolors.model.illuminant.NEED_TASKS`,
  ``need_samples`` thumbnails are degraded once by that task's own degradation
  (:func:`kolors.model.degrade.degrade`, at 128 px, then averaged down) and their features
  kept (precomputed); every step they are the positives, the step's clean, mild (and for
  fading and flatness also strongly cast) samples the negatives.
* **Loss.** Angular error of the illuminant (degrees) + 4 × |exposure error| (EV) +
  0.1 × the Laplace negative log-likelihood of the angular error under the predicted σ +
  binary cross-entropy of the need heads.

Seeded by ``seed`` alone; the result is one small file (``--out``), shared by the general
and lite models (``resources/models/kolors_illuminant.pt``). The CPU is the default and
what the shipped file was trained on; with ``--device cuda`` the features and the network
run on the GPU, the network's forward pass in mixed precision (bfloat16 autocast; the
features, the loss and the optimiser stay float32). The degradations are drawn on the CPU
either way, from the same seeded generator.
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .data import load_folder
from .degrade import camera_cast, degrade
from .illuminant import (NEED_TASKS, THUMB, IlluminantConfig, IlluminantNet, angular_error, features, save,
                         uv_to_rgb)

__all__ = ["train_illuminant", "thumbnail_bank", "draw_casts", "recolour_scenes", "BANK"]

BANK = 128


def thumbnail_bank(photos: list[np.ndarray], crops: int, rng: np.random.Generator,
                   size: int = BANK) -> torch.Tensor:
    """(len(photos)·crops, 3, size, size) linear crops: random square crops spanning
    35–100 % of the short side, flipped with p = 0.5 and turned by k·90°."""
    out = []
    for a in photos:
        h, w = a.shape[:2]
        for _ in range(crops):
            side = max(8, int(min(h, w) * rng.uniform(0.35, 1.0)))
            y = int(rng.integers(0, h - side + 1))
            x = int(rng.integers(0, w - side + 1))
            c = cv2.resize(a[y:y + side, x:x + side], (size, size),
                           interpolation=cv2.INTER_AREA if side > size else cv2.INTER_LINEAR)
            if rng.random() < 0.5:
                c = c[:, ::-1]
            c = np.rot90(c, int(rng.integers(4)))
            out.append(torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1))
    return torch.stack(out).clamp(0.0, 1.0)


def _log_uniform(rng, lo, hi, n):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def recolour_scenes(x: torch.Tensor, rng: np.random.Generator, p: float = 0.5) -> torch.Tensor:
    """Augment the scenes, not the light: with probability ``p`` per sample, rotate the
    colours about the neutral axis of linear RGB (any angle) and scale their saturation by
    0.6–1.4. Neutral surfaces stay neutral, so the truth (the light) is unchanged, but 25
    photos' colours can no longer be learnt by heart (the estimator must read the light,
    not recognise the scene). Returns (B,3,h,w) clipped to [0, 1]."""
    b = x.shape[0]
    n = np.ones(3) / np.sqrt(3.0)
    K = np.array([[0, -n[2], n[1]], [n[2], 0, -n[0]], [-n[1], n[0], 0]])
    P = np.outer(n, n)
    th = rng.uniform(-np.pi, np.pi, b)
    sat = rng.uniform(0.6, 1.4, b)
    on = rng.random(b) < p
    th, sat = np.where(on, th, 0.0), np.where(on, sat, 1.0)
    R = (np.eye(3)[None] + np.sin(th)[:, None, None] * K[None] + (1 - np.cos(th))[:, None, None] * (K @ K)[None])
    M = P[None] + sat[:, None, None] * (R - P[None])  # rotation keeps P; saturation scales the rest
    m = torch.from_numpy(M).float()
    return torch.einsum("bij,bjhw->bihw", m, x).clamp(0.0, 1.0)


def draw_casts(x: torch.Tensor, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Degrade a batch of clean linear thumbnails (B,3,h,w) as described in the module
    docstring. Returns ``input`` (B,3,h,w) in [0, 1], ``illuminant`` (B,3) (the truth, linear
    RGB), ``ev`` (B,) the exposure correction that undoes the error, and the masks
    ``clean``, ``mild``, ``strong`` (B,) bool."""
    b = x.shape[0]
    u = rng.random(b)
    clean, mild = u < 0.2, (u >= 0.2) & (u < 0.5)
    strong = ~(clean | mild)
    T = np.where(mild, _log_uniform(rng, 4800.0, 9000.0, b), _log_uniform(rng, 2500.0, 12000.0, b))
    tint = np.where(mild, rng.uniform(-10, 10, b), rng.uniform(-30, 30, b))
    ev = np.where(mild, rng.uniform(-0.5, 0.5, b), rng.uniform(-2.5, 2.5, b))
    dark = strong & (rng.random(b) < 1 / 6)
    ev = np.where(dark, -rng.uniform(1.5, 4.0, b), ev)
    T, tint, ev = np.where(clean, 6504.0, T), np.where(clean, 0.0, tint), np.where(clean, 0.0, ev)
    mixed = strong & (rng.random(b) < 0.2)
    T2 = np.where(mixed, _log_uniform(rng, 2500.0, 12000.0, b), T)
    tint2 = np.where(mixed, rng.uniform(-30, 30, b), tint)
    h, w = x.shape[-2:]
    ang = torch.from_numpy(rng.uniform(0, 2 * math.pi, b)).float().view(b, 1, 1, 1)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    ramp = ((torch.cos(ang) * xx + torch.sin(ang) * yy) * 0.5 + 0.5).clamp(0, 1)
    jitter = torch.from_numpy(np.exp2(rng.uniform(-0.2, 0.2, b))).float().view(b, 1, 1, 1)
    y, ill = camera_cast((recolour_scenes(x, rng) * jitter).clamp(0, 1), T, tint, ev, T2, tint2, ramp)
    as_t = torch.from_numpy
    return {"input": y, "illuminant": ill, "ev": as_t(-ev).float(), "clean": as_t(clean), "mild": as_t(mild),
            "strong": as_t(strong)}


def _need_bank(bank: torch.Tensor, n: int, rng: np.random.Generator, progress: bool) -> dict[str, torch.Tensor]:
    """Per need task: features (n, F) of bank crops degraded by that task (precomputed)."""
    out = {}
    for task in NEED_TASKS:
        ths = []
        for _ in range(n):
            x = bank[int(rng.integers(len(bank)))].unsqueeze(0)
            ths.append(F.avg_pool2d(degrade(task, x, rng).input, BANK // THUMB))
        out[task] = features(torch.cat(ths))[0]
        if progress:
            print(f"need bank: {task}, {n} samples", flush=True)
    return out


def train_illuminant(opts, progress: bool = True, device: torch.device | str | None = None) -> Path:
    """Train the estimator with :class:`~kolors.model.train.TrainOptions` (``data``,
    ``out``, ``epochs`` × ``steps_per_epoch`` steps of ``batch`` samples, ``lr``, ``seed``,
    ``threads``, ``max_side``) on ``device`` (default the CPU; ``kolors train`` passes the
    one ``--device`` names); writes ``out`` after every epoch (atomically)."""
    if opts.threads:
        torch.set_num_threads(opts.threads)
    dev = torch.device(device or "cpu")
    t_start = time.time()
    rng = np.random.default_rng([opts.seed, 7])
    torch.manual_seed(opts.seed)
    photos = load_folder(opts.data, min(opts.max_side, 512))
    crops = max(8, 2400 // len(photos))
    bank128 = thumbnail_bank(photos, crops, rng)
    bank = F.avg_pool2d(bank128, BANK // THUMB)
    need = {k: v.to(dev) for k, v in _need_bank(bank128, 1024, rng, progress).items()}
    del bank128
    net = IlluminantNet(IlluminantConfig()).to(dev)
    net.train()

    def autocast():
        return torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda")

    def draw(n: int) -> dict[str, torch.Tensor]:
        d = draw_casts(bank[torch.from_numpy(rng.integers(0, len(bank), n))], rng)
        return {k: v.to(dev) for k, v in d.items()}

    with torch.no_grad():  # standardise the features on a first draw
        d = draw(2048)
        f = torch.cat([features(d["input"])[0], *need.values()])
        net.mean.copy_(f.mean(0))
        net.std.copy_(f.std(0).clamp_min(1e-3))
    opt = torch.optim.AdamW(net.parameters(), lr=opts.lr, weight_decay=1e-2)
    total = opts.epochs * opts.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    history, samples, t_loop = [], 0, time.time()
    weights_need = torch.ones(len(NEED_TASKS), device=dev)
    for epoch in range(opts.epochs):
        sums: dict[str, float] = {}
        for _ in range(opts.steps_per_epoch):
            d = draw(opts.batch)
            feat, est = features(d["input"])
            with autocast():
                out = {k: v.float() for k, v in net(feat, est).items()}
            ang = angular_error(uv_to_rgb(out["uv"]), d["illuminant"])
            ev_err = (out["ev"] - d["ev"]).abs()
            sig = out["log_sigma"]
            nll = ang.detach() / sig.exp() + sig
            loss = ang.mean() + 4.0 * ev_err.mean() + 0.1 * nll.mean()
            # need heads: the task's own degradations against this batch's unneeding samples
            k = max(8, opts.batch // 4)
            bce = torch.zeros((), device=dev)
            for j, task in enumerate(NEED_TASKS):
                pos = need[task][torch.from_numpy(rng.integers(0, len(need[task]), k))]
                neg_mask = d["clean"] | d["mild"] if task == "hdr_enhance" else torch.ones_like(d["clean"])
                with autocast():
                    pos_out = net(pos, pos[:, :8].view(-1, 4, 2))["need"][:, j].float()
                neg_out = out["need"][neg_mask, j]
                bce = bce + weights_need[j] * (F.binary_cross_entropy_with_logits(pos_out, torch.ones_like(pos_out))
                                               + F.binary_cross_entropy_with_logits(neg_out, torch.zeros_like(neg_out)))
            loss = loss + bce
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            samples += opts.batch
            logs = {"loss": float(loss.detach()), "angular": float(ang.mean().detach()),
                    "angular_median": float(ang.detach().median()), "ev": float(ev_err.mean().detach()),
                    "need_bce": float(bce.detach())}
            for key, v in logs.items():
                sums[key] = sums.get(key, 0.0) + v
        means = {key: v / opts.steps_per_epoch for key, v in sums.items()}
        means["seconds"] = time.time() - t_loop
        history.append({"epoch": epoch + 1, **means})
        rate = samples / max(time.time() - t_loop, 1e-9)
        save(opts.out, net, history=history,
             meta={"data": os.fspath(opts.data), "seed": opts.seed, "batch": opts.batch,
                   "steps_per_epoch": opts.steps_per_epoch, "epochs": opts.epochs, "samples": samples,
                   "device": str(dev), "samples_per_second": rate, "seconds_total": time.time() - t_start,
                   "photos": len(photos),
                   "bank": int(len(bank))})
        if progress:
            print(f"illuminant epoch {epoch + 1}/{opts.epochs}: " + ", ".join(f"{k} {v:.4g}" for k, v in means.items())
                  + f", {rate:.0f} samples/s", flush=True)
    return Path(opts.out)
