"""``kolors eval``: the learned model against the classical baselines on degraded photos.

For every photo and learned task the task's degradation (:mod:`kolors.model.degrade`) is
applied with a seed made of (``seed``, photo index, task index), so every method sees
the same inputs. Methods: the degraded input itself, three classical baselines — the
task's own classical method (``model_type='classic'``: gray-world / shades-of-gray
white balance, auto-levels, local tone mapping, Reinhard transfer, fade and cast
removal), plain gray-world white balance and per-channel auto-levels — and the learned
``lite`` and ``general`` models. Metrics against the clean photo, on the displayed image
(clipped to [0, 1]): mean ΔE2000, PSNR (dB, sRGB-encoded) and SSIM (sRGB-encoded).

It also measures how heavy-handed every task is on a photo that needs nothing: each task at
intensity 1 on the clean, undegraded photos (style transfer with the photo as its own
reference), mean ΔE2000 to the input (:func:`clean_drift`); and, for the two cast tasks, the
angular error of the estimated illuminant against the true one of the seeded cast
(median, mean, mean of the worst 25 %) for gray-world, shades-of-gray (the engine's
classical estimates) and the learned estimator (:func:`angular_rows`).

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

__all__ = ["evaluate", "format_table", "clean_drift", "angular_rows", "METHODS", "ILLUMINANT_METHODS",
           "CAST_TASKS"]

METHODS = ("degraded", "classic", "gray_world", "auto_levels", "lite", "general")
#: the illuminant estimates compared by angular error
ILLUMINANT_METHODS = ("gray_world", "shades_of_gray", "kolors")
CAST_TASKS = ("color_correction", "white_balance")


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


def _illuminants(x: torch.Tensor, models: dict[str, Any]) -> dict[str, np.ndarray]:
    """The illuminant (linear RGB) each method estimates on ``x`` (1,3,H,W)."""
    th = T.thumbnail(x)
    out = {"gray_world": 1.0 / np.array(T._gray_gains(th, p=1.0)),
           "shades_of_gray": 1.0 / np.array(T._gray_gains(th))}
    for m in models.values():
        est = m.estimates(x)
        if est is not None:
            out["kolors"] = np.array(est[0].illuminant)
            break
    return out


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    c = float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def angular_rows(acc: dict[tuple[str, str], list[float]]) -> list[dict[str, Any]]:
    """Rows ``{task: 'illuminant (T)', method, median, mean, worst25, n}`` from angular
    errors in degrees per (task, method)."""
    rows = []
    for (task, name), v in acc.items():
        a = np.sort(np.array(v))
        rows.append({"task": f"illuminant ({task})", "method": name, "median": float(np.median(a)),
                     "mean": float(a.mean()), "worst25": float(a[-max(1, len(a) // 4):].mean()), "n": len(a)})
    return rows


def evaluate(data: str | Path, tasks: list[str] | None = None, seed: int = 0, limit: int | None = None,
             weights: tuple[str, str] | None = None, max_side: int = 1024,
             progress: bool = True) -> list[dict[str, Any]]:
    """Rows ``{task, method, de2000, psnr, ssim, n}`` averaged over the photos of ``data``,
    plus rows with task ``'clean (T)'`` from :func:`clean_drift` and the angular-error rows
    of :func:`angular_rows` for the cast tasks measured."""
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
    ang: dict[tuple[str, str], list[float]] = {}
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
            if task in CAST_TASKS and d.illuminant is not None:
                for name, e in _illuminants(d.input, models).items():
                    ang.setdefault((task, name), []).append(_angle(e, np.array(d.illuminant)))
            bar.update()
    bar.close()
    rows = []
    for (task, name), vals in acc.items():
        a = np.array(vals)
        rows.append({"task": task, "method": name, "de2000": float(a[:, 0].mean()), "psnr": float(a[:, 1].mean()),
                     "ssim": float(a[:, 2].mean()), "n": len(vals)})
    rows += clean_drift(photos, models, tasks, progress)
    rows += angular_rows(ang)
    return rows


def clean_drift(photos: list[torch.Tensor], models: dict[str, Any], tasks: list[str] | None = None,
                progress: bool = False) -> list[dict[str, Any]]:
    """Each of ``tasks`` (default ``color_correction``) at intensity 1 on clean photos
    (style transfer: the photo is its own reference): mean ΔE2000 to the input, for the
    classical method and each model (a task must leave a photo that does not need it
    nearly alone). Rows with task ``'clean (T)'``."""
    from tqdm import tqdm
    tasks = list(tasks or ["color_correction"])
    acc: dict[tuple[str, str], list[float]] = {}
    bar = tqdm(total=len(photos) * len(tasks), desc="clean", disable=not progress, leave=False)
    for x in photos:
        for task in tasks:
            ref = x if task == "style_transfer" else None
            outs = {"classic": _render(x, T.analyse(task, x, ref))}
            for name, m in models.items():
                outs[name] = _render(x, m.predict(x, task, ref))
            for name, o in outs.items():
                acc.setdefault((task, name), []).append(
                    float(color.delta_e2000_rgb(o.clamp(0, 1), x.clamp(0, 1)).mean()))
            bar.update()
    bar.close()
    return [{"task": f"clean ({t})", "method": k, "de2000": float(np.mean(v)), "psnr": float("nan"),
             "ssim": float("nan"), "n": len(v)} for (t, k), v in acc.items()]


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """Per task: each method's ΔE2000 / PSNR / SSIM, the best classical baseline, and
    general ÷ best classical (goal ≤ 0.7)."""
    by_task: dict[str, dict[str, dict]] = {}
    angular = [r for r in rows if "median" in r]
    for r in rows:
        if "median" not in r:
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
    if angular:
        lines += ["", _angular_table(angular, markdown)]
    return "\n".join(lines)


def _angular_table(rows: list[dict[str, Any]], markdown: bool) -> str:
    """The illuminant angular errors (degrees): median, mean, worst 25 %, and the
    estimator's median ÷ gray-world's (goal ≤ 0.5)."""
    head = ["task", "method", "median °", "mean °", "worst 25 % °", "n", "median ÷ gray-world"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] if markdown else \
        [f"{'task':32s} {'method':15s} {'median':>7s} {'mean':>7s} {'worst25':>8s} {'n':>5s}  median ÷ gray-world"]
    gw = {r["task"]: r["median"] for r in rows if r["method"] == "gray_world"}
    for r in sorted(rows, key=lambda r: (r["task"], ILLUMINANT_METHODS.index(r["method"]))):
        ratio = f"{r['median'] / gw[r['task']]:.2f}×" if r["method"] != "gray_world" and gw.get(r["task"]) else ""
        cells = [r["task"], r["method"], f"{r['median']:.2f}", f"{r['mean']:.2f}", f"{r['worst25']:.2f}",
                 str(r["n"]), ratio]
        plain = (f"{cells[0]:32s} {cells[1]:15s} {cells[2]:>7s} {cells[3]:>7s} {cells[4]:>8s} {cells[5]:>5s}"
                 f"  {ratio}")
        lines.append("| " + " | ".join(cells) + " |" if markdown else plain)
    return "\n".join(lines)
