"""The camera's embedded preview of a RAW file (its JPEG or bitmap thumbnail) as ``H×W×3``
uint8 sRGB codes in the sensor's orientation — for the filmstrip, and linearised
(:func:`_srgb_to_linear16_u8`: 8-bit sRGB code → 16-bit linear code through
:func:`kolors.core.colorimetry.srgb_to_linear`) for ``read_raw(mode='embedded')``. A broken or
missing preview is None, never an error; LibRaw errors other than damage are mapped.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .libraw import _captured_stderr, _map_error, _rawpy


def _srgb_to_linear16_u8() -> np.ndarray:
    """8-bit sRGB code → 16-bit linear code (a 256-entry table)."""
    from ...core.colorimetry import srgb_to_linear
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.rint(srgb_to_linear(v) * 65535.0).astype(np.uint16)


def _thumb_array(p: Path, raw, max_size: int | None = None) -> np.ndarray | None:
    """The embedded preview as H×W×3 uint8 sRGB (sensor orientation), or None."""


    from PIL import Image
    rawpy = _rawpy()
    lines: list[str] = []
    try:
        with _captured_stderr(lines):
            th = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as e:
        if isinstance(e, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
            return None
        raise _map_error(p, e, lines) from e
    try:
        if th.format == rawpy.ThumbFormat.JPEG:
            im = Image.open(io.BytesIO(th.data))
            if max_size:
                im.draft("RGB", (max_size, max_size))
            arr = np.asarray(im.convert("RGB"))
        else:
            arr = np.asarray(th.data)
            if arr.ndim == 2:
                arr = np.repeat(arr[..., None], 3, 2)
            if arr.dtype != np.uint8:
                arr = (arr.astype(np.float32) / max(1.0, float(np.iinfo(arr.dtype).max)) * 255 + 0.5).astype(np.uint8)
            arr = arr[..., :3]
    except Exception:  # noqa: BLE001 - a broken preview is no preview
        return None
    if arr.ndim != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        return None
    return arr


