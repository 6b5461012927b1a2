"""EXIF in binary: the TIFF structure inside an ``Exif\0\0`` block, read and patched in
place (orientation reset to 1, IFD1 thumbnail unlinked, pixel dimensions updated), a
TIFF file's own metadata tags gathered into an EXIF block, and the camera fields
(make, model, lens, ISO, exposure, aperture, focal length, time) as readable strings.

Blocks are ``bytes`` as JPEG stores them (``Exif\0\0`` + TIFF); functions that read them
also take the bare TIFF structure. Malformed blocks raise ``ValueError`` /
``struct.error``, which the callers turn into a warning naming the file.
"""
from __future__ import annotations

import math
import struct
from typing import Any

from PIL import Image


_EXIF_PREFIX = b"Exif\x00\x00"
_TAG_ORIENTATION = 0x0112
_TAG_EXIF_IFD = 0x8769
_TAG_GPS_IFD = 0x8825


def _exif_tiff(exif: bytes) -> bytes:
    """The TIFF structure inside an EXIF block (with or without the Exif\\0\\0 prefix)."""
    if exif.startswith(_EXIF_PREFIX):
        exif = exif[6:]
    if exif[:4] not in (b"II*\x00", b"MM\x00*"):
        raise ValueError("not a TIFF-structured EXIF block")
    return exif


def _ifd_entries(buf: bytes, off: int, e: str):
    """Yield (entry_offset, tag, type, count) of the IFD at ``off``; raises ValueError."""
    if off + 2 > len(buf) or off < 8:
        raise ValueError("IFD offset out of range")
    n = struct.unpack(e + "H", buf[off:off + 2])[0]
    if off + 2 + 12 * n + 4 > len(buf):
        raise ValueError("IFD runs past the end")
    for i in range(n):
        p = off + 2 + 12 * i
        tag, typ, count = struct.unpack(e + "HHI", buf[p:p + 8])
        yield p, tag, typ, count


def _exif_orientation(exif: bytes | None) -> int:
    if not exif:
        return 1
    try:
        t = _exif_tiff(exif)
        e = "<" if t[:2] == b"II" else ">"
        for p, tag, typ, _count in _ifd_entries(t, struct.unpack(e + "I", t[4:8])[0], e):
            if tag == _TAG_ORIENTATION:
                v = struct.unpack(e + "H", t[p + 8:p + 10])[0] if typ == 3 else \
                    struct.unpack(e + "I", t[p + 8:p + 12])[0]
                return v if 1 <= v <= 8 else 1
    except (ValueError, struct.error):
        pass
    return 1


def _exif_normalise(exif: bytes, size: tuple[int, int] | None = None,
                    drop_thumbnail: bool = False) -> bytes:
    """EXIF with the orientation tag set to 1 (patched in place, everything else kept);
    optionally the IFD1 thumbnail unlinked and ExifImageWidth/Height set to ``size``
    (w, h). Returns the block with the Exif\\0\\0 prefix; raises ValueError if malformed."""
    t = bytearray(_exif_tiff(exif))
    e = "<" if t[:2] == b"II" else ">"
    ifd0 = struct.unpack(e + "I", t[4:8])[0]
    entries = list(_ifd_entries(bytes(t), ifd0, e))
    for p, tag, typ, _count in entries:
        if tag == _TAG_ORIENTATION:
            if typ == 3:
                t[p + 8:p + 12] = struct.pack(e + "HH", 1, 0)
            else:
                t[p + 8:p + 12] = struct.pack(e + "I", 1)
        elif tag == _TAG_EXIF_IFD and size is not None:
            sub = struct.unpack(e + "I", t[p + 8:p + 12])[0]
            try:
                for q, stag, styp, _c in list(_ifd_entries(bytes(t), sub, e)):
                    if stag in (0xA002, 0xA003):
                        v = size[0] if stag == 0xA002 else size[1]
                        if styp == 3 and v < 65536:
                            t[q + 8:q + 12] = struct.pack(e + "HH", v, 0)
                        elif styp == 4:
                            t[q + 8:q + 12] = struct.pack(e + "I", v)
            except ValueError:
                pass
    if drop_thumbnail:
        nxt = ifd0 + 2 + 12 * len(entries)
        t[nxt:nxt + 4] = b"\x00\x00\x00\x00"
    return _EXIF_PREFIX + bytes(t)


# IFD0 tags of a TIFF file that are EXIF-ish metadata (copied to Photo.exif)
_TIFF_META_TAGS = (270, 271, 272, 274, 305, 306, 315, 33432)


def _exif_from_tiff_ifd(ex: Image.Exif) -> bytes | None:
    out = Image.Exif()
    for tag in _TIFF_META_TAGS:
        if tag in ex:
            out[tag] = ex[tag]
    for sub in (_TAG_EXIF_IFD, _TAG_GPS_IFD):
        if sub in ex:
            try:
                d = ex.get_ifd(sub)
            except Exception:  # noqa: BLE001
                d = {}
            if d:
                out[sub] = dict(d)
    if not len(out):
        return None
    return out.tobytes()


# ============================================================================ camera fields, readable
_EXIF_FIELDS = {  # name: (ifd, tag)
    "camera_make": (0, 271), "camera_model": (0, 272), "datetime": (_TAG_EXIF_IFD, 0x9003),
    "iso": (_TAG_EXIF_IFD, 0x8827), "exposure_time": (_TAG_EXIF_IFD, 0x829A),
    "f_number": (_TAG_EXIF_IFD, 0x829D), "focal_length": (_TAG_EXIF_IFD, 0x920A),
    "lens_make": (_TAG_EXIF_IFD, 0xA433), "lens": (_TAG_EXIF_IFD, 0xA434),
}


def _fmt_exposure(v: float) -> str:
    if v <= 0:
        return f"{v:g} s"
    if v < 0.5:
        return f"1/{round(1 / v)} s"
    return f"{v:g} s"


def _exif_fields(exif: bytes | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not exif:
        return out
    ex = Image.Exif()
    try:
        ex.load(exif)
        sub = ex.get_ifd(_TAG_EXIF_IFD) if _TAG_EXIF_IFD in ex else {}
    except Exception:  # noqa: BLE001
        return out
    for name, (ifd, tag) in _EXIF_FIELDS.items():
        v = (ex if ifd == 0 else sub).get(tag)
        if v is None or v == "" or v == b"":
            continue
        if isinstance(v, tuple):
            v = v[0] if v else None
            if v is None:
                continue
        if isinstance(v, bytes):
            v = v.decode("latin-1", "replace")
        if isinstance(v, str):
            v = v.strip("\x00 ").strip()
            if not v:
                continue
        try:
            if name == "iso":
                v = int(v)
            elif name == "exposure_time":
                v = _fmt_exposure(float(v))
            elif name == "f_number":
                f = float(v)
                if not math.isfinite(f):
                    continue
                v = f"f/{f:.1f}".replace(".0", "") if f else None
            elif name == "focal_length":
                f = float(v)
                if not math.isfinite(f):
                    continue
                v = f"{f:g} mm"
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if v is not None:
            out[name] = v
    return out


