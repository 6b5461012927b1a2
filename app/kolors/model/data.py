"""Training photos: a folder of images, kept small in memory, and seeded random crops."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from ..core import color
from ..errors import InputError

__all__ = ["load_folder", "CropSampler", "PHOTO_SUFFIXES"]

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


def load_folder(folder: str | Path, max_side: int = 640, limit: int | None = None) -> list[np.ndarray]:
    """Every photo under ``folder`` (recursively, sorted) as an ``H×W×3`` float32 array of
    linear sRGB in [0, 1], area-downscaled so the long side is ≤ ``max_side``. Files that
    cannot be read are skipped with a warning; none at all is an :class:`InputError`."""
    from ..io.images import read_image
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise InputError(f"{folder}: not a folder of photos")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    if limit is not None:
        paths = paths[:limit]
    out = []
    for p in paths:
        try:
            data = read_image(p).data
        except Exception as e:  # noqa: BLE001 - a bad file must not stop training
            import warnings
            warnings.warn(f"{p}: skipped ({e})", RuntimeWarning, stacklevel=2)
            continue
        a = data.astype(np.float32) / (255.0 if data.dtype == np.uint8 else 65535.0 if data.dtype == np.uint16 else 1.0)
        h, w = a.shape[:2]
        s = max_side / max(h, w)
        if s < 1:
            a = cv2.resize(a, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        lin = color.srgb_to_linear(torch.from_numpy(np.ascontiguousarray(a.clip(0, 1)))).numpy()
        out.append(lin)
    if not out:
        raise InputError(f"{folder}: no readable photos ({', '.join(PHOTO_SUFFIXES)})")
    return out


class CropSampler:
    """Seeded random square crops (1,3,size,size) of the photos: a random photo, scale
    (the crop spans 45–100 % of its short side) and horizontal flip."""

    def __init__(self, photos: list[np.ndarray], size: int = 256):
        self.photos = photos
        self.size = size

    def crop(self, rng: np.random.Generator, index: int | None = None) -> torch.Tensor:
        a = self.photos[int(rng.integers(len(self.photos))) if index is None else index]
        h, w = a.shape[:2]
        side = max(8, int(min(h, w) * rng.uniform(0.45, 1.0)))
        y = int(rng.integers(0, h - side + 1))
        x = int(rng.integers(0, w - side + 1))
        c = a[y:y + side, x:x + side]
        interp = cv2.INTER_AREA if side > self.size else cv2.INTER_LINEAR
        c = cv2.resize(c, (self.size, self.size), interpolation=interp)
        if rng.random() < 0.5:
            c = c[:, ::-1]
        return torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1).unsqueeze(0).clamp(0, 1)
