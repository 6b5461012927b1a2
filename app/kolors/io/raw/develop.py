"""Half-size development of plain 2×2 Bayer sensors in numpy: LibRaw's
``postprocess(half_size=True)`` — each 2×2 block one pixel, no demosaic — after LibRaw's
unpack, with LibRaw's steps and rounding (black subtraction, white-balance scaling, the
greens averaged, highlight clip/blend, its camera → sRGB matrix), within a few 16-bit codes
of its output in about a third of its time. Input: the open LibRaw file; output: ``h×w×3``
uint16 linear codes (sRGB/Rec.709 primaries, camera white at the white-balanced clip
level), the interactive preview of :func:`kolors.io.raw.read_raw` (``mode='half'``).
Other sensors and ``'reconstruct'`` go through LibRaw's own ``postprocess``.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

#: LibRaw's XYZ (D65) → linear sRGB inverse, the xyz_rgb it builds camera matrices with
_LIBRAW_XYZ_RGB = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                            [0.0193339, 0.1191920, 0.9503041]])
#: LibRaw's blend_highlights transforms (three colours)
_BLEND = np.array([[1, 1, 1], [1.7320508, -1.7320508, 0], [-1, -1, 2]], np.float32)
_BLEND_INV = np.array([[1, 0.8660254, -0.5], [1, -0.8660254, -0.5], [1, 0, 1]], np.float32)


def _half_develop(raw, kw: Mapping[str, Any], highlights: str, dng: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """LibRaw's half-size development (``postprocess(half_size=True, **kw)``: each 2×2
    block one pixel, no demosaic) of a plain 2×2 Bayer sensor, done in numpy: black
    subtraction, LibRaw's white-balance scaling with its rounding, the greens averaged,
    highlight clip/blend, the camera → sRGB matrix LibRaw builds, clipped 16-bit codes —
    within a code or two of LibRaw's output in about a third of its time (its half-size
    path still walks the whole frame through its generic per-pixel steps). Returns the
    image and the four multipliers applied (as LibRaw reports them), or None where LibRaw
    must do it (other sensors, reconstruct, odd frame sizes, no camera matrix...).
    ``dng``: the file is a DNG by its content (LibRaw takes its matrix from it)."""
    try:
        if highlights not in ("clip", "blend") or raw.num_colors != 3 or np.shape(raw.raw_pattern) != (2, 2):
            return None
        img = raw.raw_image_visible
        blacks = [int(b) for b in raw.black_level_per_channel]
        s = raw.sizes
        colors = [[int(raw.raw_color(y + s.top_margin, x + s.left_margin)) for x in (0, 1)] for y in (0, 1)]
        cmatrix = np.asarray(raw.color_matrix, np.float64)
        cam_xyz = np.asarray(raw.rgb_xyz_matrix, np.float64)
        if kw.get("user_wb") is not None:
            pre = np.asarray(kw["user_wb"], np.float64)
        elif kw.get("use_auto_wb"):
            return None
        elif kw.get("use_camera_wb"):
            pre = np.asarray(raw.camera_whitebalance, np.float64)
            if not (pre[0] > 0 and pre[2] > 0):  # LibRaw's auto estimate or its other fallbacks
                return None
        else:
            pre = np.asarray(raw.daylight_whitebalance, np.float64)
    except (AttributeError, NotImplementedError, RuntimeError, IndexError, TypeError):
        return None
    if img.ndim != 2 or img.dtype != np.uint16 or img.shape[0] % 2 or img.shape[1] % 2 or min(img.shape) < 2 \
            or min(blacks) != max(blacks) or sorted(colors[0] + colors[1]) != [0, 1, 2, 3] \
            or pre.size < 4 or not np.all(np.isfinite(pre)) or np.any(pre[:3] <= 0):
        return None
    # the camera → sRGB matrix (LibRaw's rgb_cam): a DNG's embedded one, one embedded in other
    # files when the camera's white balance is used, else from the XYZ → camera matrix
    if cmatrix[0, 0] > 0.125 and (dng or kw.get("use_camera_wb")):
        rgb_cam = cmatrix[:, :3]
    elif np.abs(cam_xyz[:3]).sum() > 1e-6 and not dng:
        cam_rgb = cam_xyz[:3] @ _LIBRAW_XYZ_RGB
        num = cam_rgb.sum(1, keepdims=True)
        if np.any(num <= 0.00001):
            return None
        rgb_cam = np.linalg.pinv(cam_rgb / num)
    else:
        return None
    rgb_cam = rgb_cam.astype(np.float32)
    black, maximum = blacks[0], int(raw.white_level) - blacks[0]
    if maximum <= 0:
        return None
    # scale_colors: multipliers normalised by the largest (blend) or smallest (clip)
    pre = pre[:4].astype(np.float32).astype(np.float64)
    if pre[3] == 0:
        pre[3] = pre[1]
    dmax = pre.max() if highlights == "blend" else pre.min()
    pre = (pre / dmax).astype(np.float32)
    scale = (pre.astype(np.float64) * 65535.0 / maximum).astype(np.float32)
    clip = float(min(int(np.float32(65535.0) * pre[c]) for c in range(3)))  # blend's clip level

    def develop(src: np.ndarray, dst: np.ndarray) -> None:  # rows of the frame → rows of the preview
        planes: list[np.ndarray] = [np.empty(0, np.float32)] * 4
        for dy in (0, 1):
            for dx in (0, 1):
                c = colors[dy][dx]
                v = src[dy::2, dx::2].astype(np.float32)
                v -= black
                v *= scale[c]  # LibRaw: (raw − black, at least 0) × multiplier, truncated, clipped
                np.clip(v, 0.0, 65535.0, out=v)
                np.floor(v, out=v)
                planes[c] = v
        r, g, b = planes[0], planes[1], planes[2]
        g += planes[3]  # the two greens averaged, rounded down
        g *= 0.5
        np.floor(g, out=g)
        hot = ((r > clip) | (g > clip) | (b > clip)) if highlights == "blend" else None
        if hot is not None and hot.any():  # LibRaw's blend_highlights, on the pixels above the clip level
            cam0 = np.stack([r[hot], g[hot], b[hot]])
            cam1 = np.minimum(cam0, np.float32(clip))
            lab0, lab1 = (np.stack([((t[0] * x[0]) + t[1] * x[1]) + t[2] * x[2] for t in _BLEND]) for x in (cam0, cam1))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.sqrt((lab1[1] * lab1[1] + lab1[2] * lab1[2]) / (lab0[1] * lab0[1] + lab0[2] * lab0[2]))
            lab0[1:] *= ratio
            out = np.stack([((t[0] * lab0[0]) + t[1] * lab0[1]) + t[2] * lab0[2] for t in _BLEND_INV]) / np.float32(3)
            out = np.nan_to_num(out, nan=0.0, posinf=65535.0, neginf=0.0)
            r[hot], g[hot], b[hot] = np.trunc(np.clip(out, 0.0, 65535.0))
        for c in range(3):  # convert_to_rgb: float sums in LibRaw's order, truncated, clipped
            o = rgb_cam[c, 0] * r
            o += rgb_cam[c, 1] * g
            o += rgb_cam[c, 2] * b
            np.clip(o, 0.0, 65535.0, out=o)
            dst[..., c] = o

    h2, w2 = img.shape[0] // 2, img.shape[1] // 2
    rgb16 = np.empty((h2, w2, 3), np.uint16)
    cut = h2 // 2 if h2 * w2 >= 1 << 18 else h2  # two slabs on two threads (numpy releases the GIL)
    parts = [(img[:2 * cut], rgb16[:cut]), (img[2 * cut:], rgb16[cut:])]
    list(_threads().map(lambda part: develop(*part), [pt for pt in parts if len(pt[1])]))
    return rgb16, pre.astype(np.float64)


_POOL: tuple[int, Any] | None = None


def _threads():
    """A small thread pool for numpy work split in slabs (two workers; a new one in a
    forked child, which does not inherit the threads)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="kolors-raw"))
    return _POOL[1]


