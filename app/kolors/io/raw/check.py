"""Refusing damaged or unsupported RAW files with one clear error naming the file.

Before LibRaw opens a file (:func:`_check_file`): missing, a folder, a format LibRaw
cannot decode (:data:`UNSUPPORTED_SUFFIXES`: RED ``.r3d``), unreadable, empty, or a
TIFF-structured RAW cut short (:func:`kolors.io.raw.tiff._tiff_truncation`: LibRaw would
fill the missing data with whatever is in memory). After LibRaw unpacked it
(:func:`_validate_raw_data`): no image data, all zero (header only), or empty last rows on
a sensor with a black level (truncated).
"""
from __future__ import annotations

from pathlib import Path

from ...errors import InputError, UnsupportedFormat
from .tiff import _tiff_truncation

__all__ = ["UNSUPPORTED_SUFFIXES"]

#: suffixes refused up front with UnsupportedFormat (LibRaw cannot decode them)
UNSUPPORTED_SUFFIXES = {".r3d": "RED R3D (REDCODE) is not supported: LibRaw cannot decode it; "
                                "export DNG or TIFF from REDCINE-X"}


def _check_file(p: Path) -> int:
    """Refuse ``p`` before LibRaw opens it (see the module docstring); its size in bytes."""
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a RAW file")
    why = UNSUPPORTED_SUFFIXES.get(p.suffix.lower())
    if why:
        raise UnsupportedFormat(f"{p}: {why}")
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            f.read(16)  # readable at all?
    except PermissionError as e:
        raise InputError(f"{p}: permission denied") from e
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror or e})") from e
    if size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    why = _tiff_truncation(p, size)
    if why:
        raise InputError(f"{p}: truncated RAW file ({why})")
    return size


def _validate_raw_data(p: Path, raw) -> None:
    """LibRaw decodes some damaged files to nothing instead of failing: refuse those."""
    img = raw.raw_image_visible
    if img.size == 0:
        raise InputError(f"{p}: RAW file has no image data")
    if img.ndim == 3:  # already-demosaiced / linear DNG: check the first plane
        img = img[..., 0]
    if not img.any():
        raise InputError(f"{p}: RAW file contains no image data (all zero: header only or truncated?)")
    black = min(raw.black_level_per_channel) if raw.black_level_per_channel else 0
    h = img.shape[0]
    tail = max(4, h // 100)
    if black > 0 and h > 2 * tail and not img[-tail:].any():
        raise InputError(f"{p}: truncated RAW data (the last rows are empty)")
