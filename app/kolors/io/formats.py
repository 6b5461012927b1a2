"""What a file is, from its name and its first bytes: the suffix tables, the size limit and
the magic-byte sniffing that :mod:`kolors.io.images` and :mod:`kolors.io.raw` share.
Imports nothing of the package (and no imaging library).

:func:`sniff_image` names the image format of a file's first bytes ('JPEG', 'PNG', 'TIFF',
'WEBP', and formats Kolors refuses by name: 'GIF', 'BMP', 'PSD', 'BigTIFF', 'AVIF', 'HEIF',
'JPEG XL', 'JPEG 2000', 'ISO media'), or None. :func:`sniff_raw` names the camera RAW
container of the first bytes where its signature is unambiguous (Canon CRW and CR3, Fuji
RAF, Olympus ORF, Panasonic RW2, Minolta MRW, Sigma X3F, ARRI, Canon CR2), or None;
TIFF-structured RAWs (DNG, NEF, ARW, PEF, ...) start like any TIFF and are told apart by
their directories (:func:`kolors.io.raw.tiff.tiff_raw_kind`).
"""
from __future__ import annotations

__all__ = ["MAX_PIXELS", "READ_FORMATS", "WRITE_SUFFIXES", "ALPHA_FORMATS", "EIGHT_BIT_SUFFIXES", "RAW_SUFFIXES", "HEAD_BYTES",
           "sniff_image", "sniff_raw"]

MAX_PIXELS = 500_000_000
"""Largest image (width × height) the readers accept."""

READ_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
WRITE_SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF",
                  ".tiff": "TIFF", ".webp": "WEBP", ".avif": "AVIF", ".jxl": "JXL"}
#: written formats that carry an alpha channel
ALPHA_FORMATS = frozenset({"PNG", "TIFF", "WEBP", "AVIF", "JXL"})
#: written formats that are 8-bit only (Pillow's AVIF encoder, pillow-jxl-plugin from RGB arrays)
EIGHT_BIT_SUFFIXES = (".jpg", ".jpeg", ".webp", ".avif", ".jxl")
RAW_SUFFIXES = frozenset(
    ".3fr .ari .arw .bay .cap .cr2 .cr3 .crw .dcr .dcs .dng .drf .eip .erf .fff .gpr .iiq "
    ".k25 .kdc .mdc .mef .mos .mrw .nef .nrw .orf .pef .ptx .r3d .raf .raw .rw2 .rwl .rwz "
    ".sr2 .srf .srw .x3f".split())
#: how many leading bytes the sniffers look at
HEAD_BYTES = 32


def sniff_image(head: bytes) -> str | None:
    """The image format of a file starting with ``head`` (at least :data:`HEAD_BYTES`
    bytes where the file has them), or None when it is none of those named in the module
    docstring. A camera RAW in an ISO media box (CR3) is not called an image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] == b"8BPS":
        return "PSD"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "BigTIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"crx ":
            return None
        return {b"avif": "AVIF", b"avis": "AVIF"}.get(brand, "HEIF" if brand[:3] in (b"hei", b"hev", b"mif")
                                                       else "ISO media")
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return "JPEG XL"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "JPEG 2000"
    return None


def sniff_raw(head: bytes) -> str | None:
    """The camera RAW container of a file starting with ``head`` where its first bytes
    say so without doubt: 'CRW', 'CR3', 'CR2', 'RAF', 'ORF', 'RW2', 'MRW', 'X3F', 'ARRI';
    else None (also for DNG, NEF, ARW, ... which start as plain TIFF)."""
    if head[:2] == b"II" and head[6:14] == b"HEAPCCDR":
        return "CRW"
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head[:4] == b"II*\x00" and head[8:10] == b"CR":
        return "CR2"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if head[:4] == b"\x00MRM":
        return "MRW"
    if head[:4] == b"FOVb":
        return "X3F"
    if head[:8] == b"ARRI\x12\x34\x56\x78":
        return "ARRI"
    return None
