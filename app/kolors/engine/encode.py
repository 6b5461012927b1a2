"""Integer encode tables and the neutral camera-RAW export, in numpy only (no torch).

A neutral development of a RAW (as-shot white balance, no grade) is LibRaw's 16-bit linear
output through one 65536-entry table to 8/16-bit sRGB codes. :meth:`Enhancer.render_raw
<kolors.engine.enhancer.Enhancer.render_raw>` uses these tables for an identity plan, and
:func:`export_raw_neutral` — what ``kolors enhance photo.CRW -o out.jpg`` runs when there
is nothing to grade — uses the same ones without importing torch or building a plan, so
both give the same file bit for bit, and the command starts in a fraction of the time.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..core.colorimetry import linear_to_srgb
from ..core.lru import LRU

__all__ = ["lookup", "srgb_encode", "raw_identity_table", "u16_to_u8_table", "encode_raw_neutral",
           "output_dtype", "export_raw_neutral"]


def lookup(src: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[src]`` for an integer image, in row blocks (bounded index temporaries)."""
    out = np.empty(src.shape, table.dtype)
    rows = max(1, (1 << 20) // max(1, src.shape[1] * src.shape[2]))
    for y in range(0, src.shape[0], rows):
        np.take(table, src[y:y + rows], out=out[y:y + rows])
    return out


def srgb_encode(v: np.ndarray) -> np.ndarray:
    """The sRGB transfer function of linear values (clipped to [0, 1]), float64."""
    return linear_to_srgb(np.clip(np.asarray(v, np.float64), 0.0, 1.0))


#: the encode tables: one per RAW headroom (scale) over a batch, and the 16 → 8-bit one
_TABLES: LRU[Any, np.ndarray] = LRU(33)


def raw_identity_table(scale: float, dtype: type) -> np.ndarray:
    """16-bit linear code → sRGB-encoded ``dtype`` code of ``code * scale`` (clipped at 1)."""
    m = 255.0 if dtype == np.uint8 else 65535.0
    return _TABLES.get_or_create(("id", round(scale, 12), dtype), lambda: np.rint(
        srgb_encode(np.arange(65536, dtype=np.float64) * scale) * m).astype(dtype))


def u16_to_u8_table() -> np.ndarray:
    """16-bit code → nearest 8-bit code."""
    return _TABLES.get_or_create(
        "u8", lambda: ((np.arange(65536, dtype=np.uint32) * 255 + 32767) // 65535).astype(np.uint8))


def encode_raw_neutral(raw: Any, out_dtype: Any) -> np.ndarray:
    """The neutral render of a developed RAW (:class:`kolors.io.raw.RawPhoto`): its 16-bit
    linear codes through :func:`raw_identity_table`, as an ``H×W×3`` uint8/uint16 array."""
    dtype = np.dtype(out_dtype)
    if dtype not in (np.uint8, np.uint16):
        raise ValueError(f"the neutral RAW encode writes 8 or 16 bits, not {dtype}")
    return lookup(raw.linear16, raw_identity_table(float(raw.scale), dtype.type))


def to_output_space(enc: np.ndarray, space: str, dtype: np.dtype, rows: int = 256) -> np.ndarray:
    """An ``H×W×3`` float32 render (sRGB-encoded, unclipped: colours outside sRGB have
    channels below 0 or above 1) re-encoded in ``space`` (:data:`~kolors.core.colorimetry.OUTPUT_SPACES`:
    linear sRGB → the space's primaries and white by matrix, relative colorimetric, then its
    transfer curve) as ``dtype`` (uint8/uint16 codes rounded and clipped to the space's gamut,
    float32 unclipped). Done ``rows`` at a time, so the scratch memory stays small."""
    from ..core.colorimetry import space_encode, srgb_to_linear, srgb_to_space
    m = srgb_to_space(space).T.astype(np.float32)
    out = np.empty(enc.shape, dtype)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype))
    for y in range(0, enc.shape[0], rows):
        lin = srgb_to_linear(np.asarray(enc[y:y + rows], np.float32)) @ m
        e = space_encode(space, lin)
        if scale is None:
            out[y:y + rows] = e
        else:
            out[y:y + rows] = np.clip(np.rint(e * scale), 0, scale).astype(dtype)
    return out


def output_dtype(src: np.dtype, bits: int | None, dst: Path) -> np.dtype:
    """The array type to render for ``dst``: ``bits`` (8, 16 or 32; ``ValueError`` where the
    format cannot hold it), or by default the source's (8 bits for JPEG/WebP, 16 for a
    float source written as PNG)."""
    suffix = dst.suffix.lower()
    from ..io.formats import EIGHT_BIT_SUFFIXES
    if bits is None:
        if suffix in EIGHT_BIT_SUFFIXES:
            return np.dtype(np.uint8)
        if suffix == ".png" and src == np.float32:
            return np.dtype(np.uint16)
        return np.dtype(src)
    if bits not in (8, 16, 32):
        raise ValueError(f"bits must be 8, 16 or 32, got {bits}")
    if bits == 32 and suffix not in (".tif", ".tiff"):
        raise ValueError("32-bit float output needs a .tif/.tiff file")
    if bits == 16 and suffix in EIGHT_BIT_SUFFIXES:
        raise ValueError(f"{suffix} files are 8-bit; use .png or .tif for 16 bits")
    return np.dtype({8: np.uint8, 16: np.uint16, 32: np.float32}[bits])


def export_raw_neutral(src: str | os.PathLike, dst: str | os.PathLike, raw_options: Any = None, *,
                       quality: int = 95, bits: int | None = None) -> Path:
    """Develop the camera RAW ``src`` with ``raw_options`` (:class:`kolors.io.raw.RawOptions`
    or its dict; default: as-shot white balance, blended highlights, AHD) and write it
    ungraded to ``dst``: the same file as ``Enhancer().enhance_file(src, dst, ...)`` with no
    task, preset or parameter, without torch. ``bits``: 8 or 16 (default 16, 8 for
    JPEG/WebP); 32-bit float output goes through the Enhancer. Atomic; EXIF from the
    camera's metadata; the source is never written. Bad RAWs raise
    :class:`~kolors.errors.InputError` naming the file."""
    from ..io.images import write_image
    from ..io.raw import read_raw
    if bits not in (None, 8, 16):
        raise ValueError(f"the neutral RAW export writes 8 or 16 bits, not {bits}")
    out_dtype = output_dtype(np.dtype(np.uint16), bits, Path(os.fspath(dst)))
    raw = read_raw(src, raw_options)
    out = encode_raw_neutral(raw, out_dtype)
    return Path(write_image(dst, out, quality=quality, exif=raw.exif, protect=src))
