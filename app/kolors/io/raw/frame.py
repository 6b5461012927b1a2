"""Orientation and the camera's default crop of LibRaw's output: LibRaw's ``flip`` (0, 3,
5, 6) as the EXIF orientation it stands for, the turn that makes ``h×w(×c)`` pixels
upright, and the default (inset) crop rectangle in LibRaw's output coordinates, before
orientation, at full or half size.
"""
from __future__ import annotations

import numpy as np

#: LibRaw's flip → the EXIF orientation it stands for (the flips Kolors applies itself)
_FLIP_TO_EXIF = {0: 1, 3: 3, 5: 8, 6: 6}


def _orient(a: np.ndarray, flip: int) -> np.ndarray:
    """``a`` (``h×w`` or ``h×w×c``, LibRaw's orientation) turned upright for LibRaw's ``flip`` (a view)."""
    if flip == 3:
        return a[::-1, ::-1]
    if flip == 5:  # 90° counter-clockwise
        return np.rot90(a, 1)
    if flip == 6:  # 90° clockwise
        return np.rot90(a, -1)
    return a


def _crop_rect(sizes, half: bool) -> tuple[int, int, int, int] | None:
    """The camera's default crop (LibRaw's inset crop, relative to the raw frame) in
    LibRaw's output coordinates before orientation, or None."""
    cw, ch = int(sizes.crop_width or 0), int(sizes.crop_height or 0)
    if cw <= 0 or ch <= 0:
        return None
    x = int(sizes.crop_left_margin) - int(sizes.left_margin)
    y = int(sizes.crop_top_margin) - int(sizes.top_margin)
    if x < 0 or y < 0 or x + cw > sizes.width or y + ch > sizes.height or (cw, ch) == (sizes.width, sizes.height):
        return None
    if half:
        x, y, cw, ch = x // 2, y // 2, cw // 2, ch // 2
    return x, y, cw, ch


