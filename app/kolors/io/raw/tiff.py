"""The TIFF structure of TIFF-based camera RAWs (DNG, NEF, CR2, ARW, PEF, KDC, ...), read
from the file's directories without LibRaw and without loading the image data:

* :func:`_tiff_truncation` — why the file is cut short (a directory, or the image strips
  or tiles it points to, beyond the end of the file), or None. LibRaw reads missing data
  as whatever is in memory instead of failing, so this is checked before it opens a file.
* :func:`tiff_raw_kind` — whether a TIFF is a camera RAW: 'DNG' (DNGVersion in IFD0),
  'CFA' (a directory holds a colour-filter-array or LinearRaw image), 'reduced' (IFD0 is a
  reduced-resolution preview, as in many RAW containers: worth asking LibRaw) or None.
* :func:`_tiff_iso` — the ISO from the file's own tags, for when LibRaw reports none.

All return None (never raise) for files that are not TIFF-structured or unreadable.
"""
from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path
from typing import IO, Iterator

__all__ = ["tiff_raw_kind", "is_dng"]

_TIFF_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
_SUBIFDS = 330


class _Cut(Exception):
    """A directory beyond or across the end of the file (the reason is the message)."""


def _walk(f: IO[bytes], size: int, wanted: set[int], max_ifds: int = 64) -> Iterator[dict[int, list[int] | None]]:
    """The directories of the open TIFF ``f`` (``size`` bytes): IFD0, the chain after it
    and SubIFDs, each once, at most ``max_ifds``. Yields for each the tags of ``wanted``
    it holds: their integer values (BYTE/SHORT/LONG/IFD/LONG8; [] for other types, so
    presence still shows), None where the values lie beyond the end of the file. Raises
    :class:`_Cut` when a directory does; ``struct.error``/``OSError`` on garbage."""
    f.seek(0)
    head = f.read(8)
    e = "<" if head[:2] == b"II" else ">"

    def read(off: int, n: int) -> bytes:
        f.seek(off)
        return f.read(n)

    def values(off_or_inline: bytes, typ: int, count: int) -> list[int] | None:
        n = _TIFF_TYPE_SIZE.get(typ, 1) * count
        if n <= 4:
            raw = off_or_inline[:n]
        else:
            off = struct.unpack(e + "I", off_or_inline)[0]
            if off + n > size:
                return None
            raw = read(off, n)
        fmt = {1: "B", 3: "H", 4: "I", 13: "I", 16: "Q"}.get(typ)
        if fmt is None:
            return []
        return list(struct.unpack(e + fmt * count, raw))

    want = set(wanted) | {_SUBIFDS}
    todo, seen, n_ifd = [struct.unpack(e + "I", head[4:8])[0]], set(), 0
    while todo and n_ifd < max_ifds:
        off = todo.pop()
        if off == 0 or off in seen:
            continue
        seen.add(off)
        n_ifd += 1
        if off + 2 > size:
            raise _Cut("an image directory lies beyond the end of the file")
        n = struct.unpack(e + "H", read(off, 2))[0]
        if off + 2 + 12 * n + 4 > size:
            raise _Cut("an image directory runs past the end of the file")
        table = read(off + 2, 12 * n + 4)
        tags: dict[int, list[int] | None] = {}
        for i in range(n):
            tag, typ, count = struct.unpack(e + "HHI", table[12 * i:12 * i + 8])
            if tag in want:
                tags[tag] = values(table[12 * i + 8:12 * i + 12], typ, count)
        yield tags
        todo.extend(tags.get(_SUBIFDS) or [])
        todo.append(struct.unpack(e + "I", table[12 * n:12 * n + 4])[0])


def _is_tiff(p: Path) -> bool:
    try:
        with open(p, "rb") as f:
            return f.read(4) in (b"II*\x00", b"MM\x00*")
    except OSError:
        return False


def _tiff_truncation(p: Path, size: int) -> str | None:
    """For TIFF-structured RAWs: a reason why the file is cut short (see the module
    docstring), or None."""
    if not _is_tiff(p):
        return None
    try:
        with open(p, "rb") as f:
            for tags in _walk(f, size, {273, 279, 324, 325}):
                for a, b in ((273, 279), (324, 325)):
                    if a in tags or b in tags:
                        offs, cnts = tags.get(a), tags.get(b)
                        if offs is None or cnts is None:
                            return "the image data table lies beyond the end of the file"
                        if any(o + c > size for o, c in zip(offs, cnts)):
                            return "the image data lies beyond the end of the file"
    except _Cut as c:
        return str(c)
    except (OSError, struct.error):
        return None
    return None


def tiff_raw_kind(p: Path) -> str | None:
    """'DNG', 'CFA', 'reduced' or None for the file ``p`` (see the module docstring)."""
    if not _is_tiff(p):
        return None
    kind = None
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            for i, tags in enumerate(_walk(f, size, {254, 262, 50706}, max_ifds=16)):
                if i == 0 and 50706 in tags:
                    return "DNG"
                if any(v in (32803, 34892) for v in tags.get(262) or []):
                    return "CFA"
                if i == 0 and (tags.get(254) or [0])[0] & 1:
                    kind = "reduced"
    except (_Cut, OSError, struct.error):
        pass
    return kind


def is_dng(p: Path) -> bool:
    """True when ``p`` is a DNG by its content (DNGVersion in IFD0), whatever its name."""
    return tiff_raw_kind(p) == "DNG"


def _tiff_iso(p: Path) -> float | None:
    """ISO of a TIFF-structured RAW (DNG, ...) from its own tags, for when LibRaw reports
    none: ISOSpeedRatings / PhotographicSensitivity (34855) in IFD0, where pidng writes it
    and LibRaw does not pick it up, or in the EXIF IFD."""
    from PIL import TiffImagePlugin
    try:
        with open(p, "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head = f.read(8)
            if head[:4] not in (b"II*\x00", b"MM\x00*"):
                return None
            ifd0 = TiffImagePlugin.ImageFileDirectory_v2(head)
            f.seek(ifd0.next)
            ifd0.load(f)
            iso = ifd0.get(34855)
            if iso is None and ifd0.get(34665):
                exif = TiffImagePlugin.ImageFileDirectory_v2(head)
                f.seek(int(ifd0[34665]))
                exif.load(f)
                iso = exif.get(34855)
        if isinstance(iso, tuple):
            iso = iso[0] if iso else None
        iso = float(iso) if iso is not None else None
    except Exception:  # noqa: BLE001 - damaged tags: no ISO
        return None
    return iso if iso is not None and math.isfinite(iso) and iso > 0 else None
