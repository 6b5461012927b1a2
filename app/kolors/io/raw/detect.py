"""Is this file a camera RAW? Decided by its suffix and by its content, so that a RAW under
an image's name (a ``.CRW`` saved as ``.jpg``) is developed as a RAW, while a JPEG under a
RAW's name still reaches the RAW reader, which says clearly what it is.

:func:`is_raw` — True when ``path``:

1. has a camera RAW suffix (:data:`kolors.io.formats.RAW_SUFFIXES`), or
2. starts with a RAW container's signature (:func:`kolors.io.formats.sniff_raw`: CRW, CR3,
   CR2, RAF, ORF, RW2, MRW, X3F, ARRI), or
3. is a TIFF whose directories say RAW (:func:`kolors.io.raw.tiff.tiff_raw_kind`: DNGVersion,
   a CFA or LinearRaw image), or whose first directory is a reduced-resolution preview and
   LibRaw opens it, or
4. is of no image format Kolors or the others it names know (:func:`kolors.io.formats.sniff_image`)
   and LibRaw opens it.

JPEG, PNG, WebP, GIF, ... content under any other name is not RAW. A missing or unreadable
file is judged by its suffix alone (the reader then says what is wrong). Cheap: the first
bytes, a TIFF's directories, and at most one LibRaw open (header only).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..formats import HEAD_BYTES, RAW_SUFFIXES, sniff_image, sniff_raw
from .libraw import libraw_opens
from .tiff import tiff_raw_kind

__all__ = ["is_raw"]


def is_raw(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a camera RAW, by its suffix or its content (see the module
    docstring)."""
    p = Path(os.fspath(path))
    if p.suffix.lower() in RAW_SUFFIXES:
        return True
    try:
        if not p.is_file():
            return False
        with open(p, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return False
    if not head or sniff_raw(head):
        return bool(head)
    fmt = sniff_image(head)
    if fmt == "TIFF":
        kind = tiff_raw_kind(p)
        return kind in ("DNG", "CFA") or (kind == "reduced" and libraw_opens(p))
    if fmt is not None:
        return False
    return libraw_opens(p)
