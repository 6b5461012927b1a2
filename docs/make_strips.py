"""Make the README's task strips: degraded → enhanced (general) → original, per task.

    PYTHONPATH=app python docs/make_strips.py            # writes docs/tasks/<task>.jpg

Each learned task's seeded degradation (``kolors.model.degrade``, seed 0) is applied to a
Kodak photo the models were not tuned on for this figure (kodim23 for most tasks), the
shipped ``general`` model grades it through ``Enhancer`` (as ``kolors enhance --task``
does), and the three are put side by side. Style transfer shows the reference too.
"""
from __future__ import annotations

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

PHOTOS = {"default": ROOT / "resources" / "samples" / "kodim23.png"}
KODAK = ROOT.parent / "shared" / "data" / "kodak"


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


def main() -> None:
    out_dir = ROOT / "docs" / "tasks"
    out_dir.mkdir(parents=True, exist_ok=True)
    enh = Enhancer("general", device="cpu")
    x = _load(PHOTOS["default"])
    ref_photo = _load(KODAK / "kodim07.png") if (KODAK / "kodim07.png").is_file() else torch.flip(x, [-1])
    for task in DEGRADATIONS:
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
        h = max(p.shape[0] for p in panels)
        panels = [np.pad(p, ((0, h - p.shape[0]), (0, 0), (0, 0)), constant_values=255) for p in panels]
        gap = np.full((h, 6, 3), 255, np.uint8)
        strip = np.concatenate(sum([[p, gap] for p in panels], [])[:-1], 1)
        cv2.imwrite(str(out_dir / f"{task}.jpg"), strip[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(out_dir / f"{task}.jpg")


if __name__ == "__main__":
    main()
