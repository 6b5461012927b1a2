"""White-balance maths of camera RAWs, in numpy (no torch): multipliers ↔ the light
(temperature K, tint) they make neutral through the camera's XYZ → camera matrix, a setting
re-expressed against another reference white (:func:`rebase_wb`, Bradford), the camera
matrix of an open LibRaw file, and LibRaw's automatic ("grey world") white balance
computed faster than LibRaw does (:func:`_grey_world`, the same multipliers).

Multipliers are R, G, B (G = 1) applied to camera RGB; temperatures in kelvin within the
slider's 2000–15000, tints −100–100 (+ = magenta).
"""
from __future__ import annotations

import numpy as np

from ...core.colorimetry import BRADFORD, REFERENCE, XYZ_TO_RGB, cct_tint_to_xy, xy_to_cct_tint, xy_to_xyz
from .options import _TEMP_RANGE, _TINT_RANGE

__all__ = ["wb_multipliers", "white_of_multipliers", "rebase_wb"]


def wb_multipliers(xyz_to_camera: np.ndarray, temperature: float, tint: float = 0.0) -> tuple[float, float, float]:
    """R, G, B multipliers (G = 1) that make a light of (``temperature`` K, ``tint``) neutral,
    through ``xyz_to_camera`` (3×3, XYZ → camera RGB). ``ValueError`` if the camera's
    response to that light is not positive."""
    c = np.asarray(xyz_to_camera, np.float64) @ xy_to_xyz(*cct_tint_to_xy(temperature, tint))
    if not np.all(c > 0):
        raise ValueError(f"white balance {temperature:g} K / tint {tint:g} is outside what this camera's matrix maps")
    m = 1.0 / c
    return tuple(float(v) for v in m / m[1])  # type: ignore[return-value]


def white_of_multipliers(xyz_to_camera: np.ndarray | None, mul) -> tuple[float, float] | None:
    """The light (temperature K, tint) that the R, G, B multipliers ``mul`` make neutral,
    through ``xyz_to_camera``; None without a matrix or for invalid multipliers."""
    if xyz_to_camera is None or mul is None:
        return None
    m = np.asarray(mul, np.float64)[:3]
    if not np.all(np.isfinite(m)) or not np.all(m > 0):
        return None
    try:
        xyz = np.linalg.solve(np.asarray(xyz_to_camera, np.float64), 1.0 / m)
    except np.linalg.LinAlgError:
        return None
    s = xyz.sum()
    if not np.isfinite(s) or s <= 0 or xyz[1] <= 0:
        return None
    t, n = xy_to_cct_tint(xyz[0] / s, xyz[1] / s)
    return float(t), float(n)


def rebase_wb(temperature: float, tint: float, reference: tuple[float, float]) -> tuple[float, float]:
    """Express a white-balance setting made against the default reference (6504 K, tint 0,
    e.g. what a task chose) against another ``reference`` white (a RAW photo's camera white,
    see :meth:`RawPhoto.wb_settings`): the returned (temperature, tint) with that reference
    gives the same Bradford adaptation up to a brightness factor (whites are normalised to
    Y = 1; the factor stays within about 1 %). Results are clipped to the slider ranges."""
    def cone(t, n):
        return BRADFORD @ xy_to_xyz(*cct_tint_to_xy(t, n))
    lms = cone(temperature, tint) * cone(*reference) / cone(*REFERENCE)
    xyz = np.linalg.solve(BRADFORD, lms)
    t, n = xy_to_cct_tint(xyz[0] / xyz.sum(), xyz[1] / xyz.sum())
    return float(np.clip(t, *_TEMP_RANGE)), float(np.clip(n, *_TINT_RANGE))


def _xyz_to_camera(raw) -> np.ndarray | None:
    """3×3 XYZ → camera RGB of an RGB camera (scale arbitrary), or None (no colour data)."""
    if raw.num_colors != 3:
        return None
    m = np.asarray(raw.rgb_xyz_matrix, np.float64)[:3, :3]
    if np.abs(m).sum() > 1e-6 and abs(np.linalg.det(m)) > 1e-9:
        return m
    # DNGs: LibRaw keeps the embedded matrix as rgb_cam (camera, balanced to its daylight
    # multipliers → linear sRGB) in color_matrix
    cm = np.asarray(raw.color_matrix, np.float64)[:3, :3]
    pre = np.asarray(raw.daylight_whitebalance, np.float64)[:3]
    if np.abs(cm).sum() > 1e-6 and abs(np.linalg.det(cm)) > 1e-9 and np.all(pre > 0):
        return np.diag(1.0 / pre) @ np.linalg.inv(cm) @ XYZ_TO_RGB
    return None


def _grey_world(raw) -> list[float] | None:
    """LibRaw's automatic white balance, computed in numpy: dcraw's grey world, the mean of
    each CFA colour (black subtracted) over the 8×8 blocks of the visible frame that hold no
    pixel above the white level − 25. The R, G1, B, G2 multipliers it returns, passed as
    ``user_wb``, give LibRaw's output bit for bit (half and full size) in less than half
    the time LibRaw's per-pixel loop takes (≈ 7 ms instead of ≈ 18 ms on a 3 MP frame).
    For 2×2 Bayer sensors with one black level; None otherwise (LibRaw computes it)."""
    try:
        if raw.num_colors != 3 or np.shape(raw.raw_pattern) != (2, 2):
            return None
        img = raw.raw_image_visible
        blacks = [int(b) for b in raw.black_level_per_channel]
        s = raw.sizes
        colors = [[int(raw.raw_color(y + s.top_margin, x + s.left_margin)) for x in (0, 1)] for y in (0, 1)]
    except (AttributeError, NotImplementedError, RuntimeError):
        return None
    if img.ndim != 2 or img.dtype != np.uint16 or min(img.shape) < 2 or min(blacks) != max(blacks) \
            or sorted(colors[0] + colors[1]) != [0, 1, 2, 3]:
        return None
    black, white = blacks[0], int(raw.white_level)
    h, w = img.shape
    hb, wb = -(-h // 8), -(-w // 8)
    if (h, w) == (hb * 8, wb * 8):
        q = np.maximum(img, np.uint16(black)) if black else img  # values below black count as black, as in LibRaw
    else:  # partial blocks at the edges: pad with black, which adds nothing once black is subtracted
        q = np.full((hb * 8, wb * 8), black, np.uint16)
        np.maximum(img, np.uint16(black), out=q[:h, :w])
    rows = q.reshape(hb, 8, wb * 8)
    colmax = rows.max(axis=1)
    bmax = colmax[:, 0::8].copy()
    for k in range(1, 8):
        np.maximum(bmax, colmax[:, k::8], out=bmax)
    ok = (bmax <= white - 25).astype(np.float64)  # the blocks that count
    n_ok = float(ok.sum())
    ys, xs = np.arange(hb * 8), np.arange(wb * 8)
    dsum, cnt = np.zeros(4), np.zeros(4)
    for dy in (0, 1):
        r = rows[:, dy].astype(np.uint32)
        for k in (2, 4, 6):
            r += rows[:, dy + k]
        ny = ((ys < h) & (ys % 2 == dy)).reshape(hb, 8).sum(1).astype(np.float64)  # real rows per block
        for dx in (0, 1):
            block = r[:, dx::8] + r[:, dx + 2::8] + r[:, dx + 4::8] + r[:, dx + 6::8]  # 16 samples per block
            nx = ((xs < w) & (xs % 2 == dx)).reshape(wb, 8).sum(1).astype(np.float64)
            c = colors[dy][dx]
            dsum[c] += float((block * ok).sum()) - black * 16.0 * n_ok
            cnt[c] += float(ny @ ok @ nx)
    if not np.all(dsum > 0):
        return None
    return [float(v) for v in cnt / dsum]


def _camera_wb_keeps_matrix(raw, dng: bool) -> bool:
    """Whether dropping ``use_camera_wb`` leaves LibRaw's colour matrix as it is: LibRaw uses
    a non-DNG file's embedded matrix only together with the camera's white balance.
    ``dng``: the file is a DNG (by its content, :func:`kolors.io.raw.tiff.is_dng`)."""
    try:
        return dng or float(np.asarray(raw.color_matrix)[0, 0]) <= 0.125
    except (AttributeError, IndexError, TypeError):
        return False


def _mul3(v) -> tuple[float, float, float] | None:
    """R, G, B multipliers normalised to G = 1 (of LibRaw's 3 or 4), None if invalid."""
    if v is None:
        return None
    a = np.asarray(v, np.float64)[:3]
    if a.size < 3 or not np.all(np.isfinite(a)) or not np.all(a > 0):
        return None
    return tuple(float(x) for x in a / a[1])  # type: ignore[return-value]


