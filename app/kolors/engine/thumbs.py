"""Small previews of photo files for browsers (the desktop app's filmstrip).

``file_thumbnail(path, max_side)`` → ``h×w×3`` uint8 sRGB, upright, long side ≤ max_side.
JPEGs decode at a reduced scale (Pillow's draft mode), camera RAWs use the camera's
embedded preview (a half-size development when there is none), so a folder of 24 MP
photos fills in quickly. ``list_photos(folder)`` lists the files Kolors opens, sorted.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["file_thumbnail", "list_photos", "PHOTO_SUFFIXES"]

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


def list_photos(folder: str | os.PathLike) -> list[Path]:
    """Photos (images and camera RAWs) directly in ``folder``, sorted by name."""
    from ..io.images import RAW_SUFFIXES
    out = []
    for p in Path(folder).iterdir():
        s = p.suffix.lower()
        if p.is_file() and not p.name.startswith(".") and (s in PHOTO_SUFFIXES or s in RAW_SUFFIXES):
            out.append(p)
    return sorted(out, key=lambda p: p.name.lower())


def _fit(arr: np.ndarray, max_side: int) -> np.ndarray:
    import cv2
    h, w = arr.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return arr
    return cv2.resize(arr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def file_thumbnail(path: str | os.PathLike, max_side: int = 128) -> np.ndarray:
    """See the module docstring. Raises :class:`~kolors.errors.InputError` for files that
    cannot be read."""
    from ..io.raw import embedded_thumbnail, is_raw
    p = Path(path)
    if is_raw(p):
        arr = embedded_thumbnail(p, max_side * 2)
        if arr is None:
            from ..io.raw import read_raw
            from .encode import encode_raw_neutral
            raw = read_raw(p, mode="half")
            arr = encode_raw_neutral(raw, np.dtype(np.uint8))
        return _fit(arr, max_side)
    if p.suffix.lower() in (".jpg", ".jpeg"):
        from PIL import Image, ImageOps
        try:
            with Image.open(p) as im:
                im.draft("RGB", (max_side * 2, max_side * 2))
                im = ImageOps.exif_transpose(im.convert("RGB"))
                return _fit(np.asarray(im), max_side)
        except OSError:
            pass  # fall through to the full reader and its clear error
    from ..io.images import read_image
    data = read_image(p).data
    data = _fit(data, max_side)
    if data.dtype == np.uint16:   # sRGB-encoded codes: a rescale, no decode needed
        data = (data.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif data.dtype != np.uint8:  # float32 sRGB-encoded
        data = (np.clip(data, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return data
