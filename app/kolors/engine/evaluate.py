"""``kolors eval``: the learned model against the classical baselines on degraded photos.

For every photo and learned task the task's degradation (:mod:`kolors.model.degrade`) is
applied with a seed made of (``seed``, photo index, task index), so every method sees
the same inputs. Methods: the degraded input itself, three classical baselines — the
task's own classical method (``model_type='classic'``: gray-world / shades-of-gray
white balance, auto-levels, local tone mapping, Reinhard transfer, fade and cast
removal), plain gray-world white balance and per-channel auto-levels — and the learned
``lite`` and ``general`` models. Metrics against the clean photo, on the displayed image
(clipped to [0, 1]): mean ΔE2000, PSNR (dB, sRGB-encoded) and SSIM (sRGB-encoded).

It also measures how heavy-handed "Auto" is: ``color_correction`` at intensity 1 on the
clean, undegraded photos, mean ΔE2000 to the input (:func:`clean_drift`).

Lives in ``engine`` (not ``model``) because it runs the engine's classical tasks.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core import color, registry
from ..core.pipeline import Plan
from . import tasks as T

__all__ = ["evaluate", "format_table", "clean_drift", "METHODS"]

METHODS = ("degraded", "classic", "gray_world", "auto_levels", "lite", "general")


def _metrics(out: torch.Tensor, ref: torch.Tensor) -> tuple[float, float, float]:
    from pytorch_msssim import ssim
    o = out.clamp(0, 1).float()
    r = ref.clamp(0, 1).float()
    de = float(color.delta_e2000(color.rgb_to_lab(o), color.rgb_to_lab(r)).mean())  # float32: a metric
    eo, er = color.linear_to_srgb(o), color.linear_to_srgb(r)
    mse = float(((eo - er) ** 2).mean())
    psnr = 10 * math.log10(1.0 / max(mse, 1e-12))
    ss = float(ssim(eo, er, data_range=1.0, size_average=True))
    return de, psnr, ss


def _models(weights: tuple[str, str] | None) -> dict[str, Any]:
    from ..model import shipped_path
    from ..model.infer import LearnedModel
    out = {}
    for name, path in zip(("general", "lite"), weights or (shipped_path("general"), shipped_path("lite"))):
        if Path(path).is_file():
            out[name] = LearnedModel.from_file(path)
    return out


def _render(x: torch.Tensor, settings: dict) -> torch.Tensor:
    """Direct evaluation (no LUT bake): at these sizes a 65³ bake costs more than the
    photo, and the baked path is held to ΔE < 1 of this elsewhere."""
    s = registry.validate_settings(settings)
    if not s:
        return x
    with torch.no_grad():
        return Plan(s, bake=False).run(x)


def _baselines(task: str, x: torch.Tensor, ref: torch.Tensor | None) -> dict[str, dict]:
    th = T.thumbnail(x)
    with torch.no_grad():
        return {"classic": T.analyse(task, x, ref),
                "gray_world": T.analyse("white_balance", x),
                "auto_levels": registry.validate_settings(T.levels_settings(th, 0.005, 0.995, per_channel=True))}


def evaluate(data: str | Path, tasks: list[str] | None = None, seed: int = 0, limit: int | None = None,
             weights: tuple[str, str] | None = None, max_side: int = 1024,
             progress: bool = True) -> list[dict[str, Any]]:
    """Rows ``{task, method, de2000, psnr, ssim, n}`` averaged over the photos of ``data``,
    plus rows with task ``'clean (color_correction)'`` from :func:`clean_drift`."""
    from tqdm import tqdm

    from ..model.data import load_folder
    from ..model.degrade import DEGRADATIONS, degrade
    tasks = list(tasks or DEGRADATIONS)
    for t in tasks:
        if t not in DEGRADATIONS:
            raise ValueError(f"no degradation for task {t!r}; learned tasks: {', '.join(DEGRADATIONS)}")
    photos = [torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()
              for a in load_folder(data, max_side=max_side, limit=limit)]
    models = _models(weights)
    acc: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    all_tasks = list(DEGRADATIONS)
    bar = tqdm(total=len(photos) * len(tasks), desc="eval", disable=not progress, leave=False)
    for i, x in enumerate(photos):
        for task in tasks:
            rng = np.random.default_rng([seed, i, all_tasks.index(task)])
            other = photos[(i + 1) % len(photos)]
            d = degrade(task, x, rng, other if task == "style_transfer" else None)
            outs = {"degraded": d.input}
            for name, s in _baselines(task, d.input, d.reference).items():
                outs[name] = _render(d.input, s)
            for name, m in models.items():
                outs[name] = _render(d.input, m.predict(d.input, task, d.reference))
            for name, o in outs.items():
                acc.setdefault((task, name), []).append(_metrics(o, d.target))
            bar.update()
    bar.close()
    rows = []
    for (task, name), vals in acc.items():
        a = np.array(vals)
        rows.append({"task": task, "method": name, "de2000": float(a[:, 0].mean()), "psnr": float(a[:, 1].mean()),
                     "ssim": float(a[:, 2].mean()), "n": len(vals)})
    rows += clean_drift(photos, models)
    return rows


def clean_drift(photos: list[torch.Tensor], models: dict[str, Any]) -> list[dict[str, Any]]:
    """``color_correction`` at intensity 1 on clean photos: mean ΔE2000 to the input, for
    the classical method and each model ("Auto" must leave a good photo nearly alone)."""
    acc: dict[str, list[float]] = {}
    for x in photos:
        outs = {"classic": _render(x, T.analyse("color_correction", x))}
        for name, m in models.items():
            outs[name] = _render(x, m.predict(x, "color_correction"))
        for name, o in outs.items():
            acc.setdefault(name, []).append(float(color.delta_e2000_rgb(o.clamp(0, 1), x.clamp(0, 1)).mean()))
    return [{"task": "clean (color_correction)", "method": k, "de2000": float(np.mean(v)), "psnr": float("nan"),
             "ssim": float("nan"), "n": len(v)} for k, v in acc.items()]


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """Per task: each method's ΔE2000 / PSNR / SSIM, the best classical baseline, and
    general ÷ best classical (goal ≤ 0.7)."""
    by_task: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_task.setdefault(r["task"], {})[r["method"]] = r
    head = ["task", "method", "ΔE2000", "PSNR", "SSIM", "n", "÷ best classical"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] if markdown else \
        [f"{'task':26s} {'method':12s} {'ΔE2000':>8s} {'PSNR':>7s} {'SSIM':>7s} {'n':>5s}  ÷ best classical"]
    for task, ms in by_task.items():
        classic = {k: v for k, v in ms.items() if k in ("classic", "gray_world", "auto_levels")}
        best = min(classic.values(), key=lambda r: r["de2000"]) if classic else None
        for name in METHODS:
            if name not in ms:
                continue
            r = ms[name]
            ratio = ""
            if name in ("general", "lite") and best is not None and not task.startswith("clean"):
                ratio = f"{r['de2000'] / best['de2000']:.2f}× ({best['method']})"
            cells = [task, name, f"{r['de2000']:.2f}", "—" if math.isnan(r["psnr"]) else f"{r['psnr']:.2f}",
                     "—" if math.isnan(r["ssim"]) else f"{r['ssim']:.4f}", str(r["n"]), ratio]
            if markdown:
                lines.append("| " + " | ".join(cells) + " |")
            else:
                lines.append(f"{cells[0]:26s} {cells[1]:12s} {cells[2]:>8s} {cells[3]:>7s} {cells[4]:>7s} "
                             f"{cells[5]:>5s}  {ratio}")
    return "\n".join(lines)
