"""Make the README's task strips: degraded → enhanced (general) → original, per task, and
one strip of every task pressed on a photo that needs none of them.

    PYTHONPATH=app python docs/make_strips.py [--photos /tmp/val_data]   # writes docs/tasks/<task>.jpg

The photos are ones the models never saw: the four public-domain/CC0 colour photos that
scikit-image ships (``astronaut.png``, ``coffee.png``, ``chelsea.png``, ``rocket.jpg``; the
README's "Calibrated residual strength" shows how to fetch them to ``/tmp/val_data``), one per
task in turn. Each learned task's seeded degradation (``kolors.model.degrade``, seed 0) is
applied, the shipped ``general`` model grades it through ``Enhancer`` (as ``kolors enhance
--task`` does), and the three are put side by side. Style transfer shows the reference
too. ``docs/tasks/clean.jpg``: the untouched photo, then each task on it at intensity 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from kolors import Enhancer  # noqa: E402
from kolors.core import color  # noqa: E402
from kolors.model.degrade import DEGRADATIONS, degrade  # noqa: E402

PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg")


def _load(path: Path, width: int = 384) -> torch.Tensor:
    a = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    h, w = a.shape[:2]
    a = cv2.resize(a, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    return color.srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())


def _u8(x: torch.Tensor) -> np.ndarray:
    e = color.linear_to_srgb(x.clamp(0, 1))[0].permute(1, 2, 0).numpy()
    return (e * 255 + 0.5).astype(np.uint8)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _strip(panels: list[np.ndarray]) -> np.ndarray:
    h = max(p.shape[0] for p in panels)
    panels = [np.pad(p, ((0, h - p.shape[0]), (0, 0), (0, 0)), constant_values=255) for p in panels]
    gap = np.full((h, 6, 3), 255, np.uint8)
    return np.concatenate(sum([[p, gap] for p in panels], [])[:-1], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description="the README's task strips")
    ap.add_argument("--photos", default="/tmp/val_data", help="folder holding " + ", ".join(PHOTOS))
    args = ap.parse_args()
    folder = Path(args.photos)
    missing = [p for p in PHOTOS if not (folder / p).is_file()]
    if missing:
        sys.exit(f"{folder}: missing {', '.join(missing)} (see the README, 'Calibrated residual strength')")
    out_dir = ROOT / "docs" / "tasks"
    out_dir.mkdir(parents=True, exist_ok=True)
    enh = Enhancer("general", device="cpu")
    photos = [_load(folder / p) for p in PHOTOS]
    for i, task in enumerate(DEGRADATIONS):
        x, ref_photo = photos[i % len(photos)], photos[(i + 1) % len(photos)]
        d = degrade(task, x, np.random.default_rng(0), ref_photo if task == "style_transfer" else None)
        src = np.ascontiguousarray(_u8(d.input)[..., ::-1])
        kw = {}
        if task == "style_transfer":
            kw["reference"] = np.ascontiguousarray(_u8(d.reference)[..., ::-1])
        got = enh.enhance(src, task=task, **kw)[..., ::-1]
        panels = [_label(_u8(d.input), "degraded")]
        if task == "style_transfer":
            panels.append(_label(_u8(d.reference)[:, :, :], "reference"))
        panels += [_label(got, "Kolors general"), _label(_u8(d.target), "original" if task != "style_transfer"
                                                          else "target")]
        cv2.imwrite(str(out_dir / f"{task}.jpg"), _strip(panels)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(out_dir / f"{task}.jpg", "on", PHOTOS[i % len(photos)])
    # every task on a photo that needs none of them (style transfer: the photo is its own reference)
    x = _load(folder / PHOTOS[1], width=256)
    src = np.ascontiguousarray(_u8(x)[..., ::-1])
    panels = [_label(_u8(x), "original")]
    for task in DEGRADATIONS:
        kw = {"reference": src} if task == "style_transfer" else {}
        panels.append(_label(np.ascontiguousarray(enh.enhance(src, task=task, **kw)[..., ::-1]),
                             task.replace("_", " ").replace("restoration", "")))
    rows = [_strip(panels[:4]), _strip(panels[4:])]
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    sheet = np.concatenate([rows[0], np.full((6, w, 3), 255, np.uint8), rows[1]], 0)
    cv2.imwrite(str(out_dir / "clean.jpg"), sheet[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(out_dir / "clean.jpg", "on", PHOTOS[1])


if __name__ == "__main__":
    main()
