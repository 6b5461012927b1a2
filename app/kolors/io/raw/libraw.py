"""LibRaw plumbing, through rawpy: opening a file and calling LibRaw with its errors mapped
to one :class:`~kolors.errors.InputError` naming the file (a JPEG renamed ``.NEF`` is named
as such; damaged data, files too big, out of memory), LibRaw's own messages on stderr
("Unexpected end of file") captured and folded into the error, whether LibRaw opens a file
at all (:func:`libraw_opens`, for content sniffing), and the make/model/software through
LibRaw's C API, which rawpy does not wrap.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

from ...errors import InputError, UnsupportedFormat
from ..formats import HEAD_BYTES, sniff_image

__all__ = ["libraw_opens"]


def _rawpy():
    """The rawpy module (UnsupportedFormat when it is not installed)."""
    try:
        import rawpy
    except ImportError as e:  # pragma: no cover - a dependency
        raise UnsupportedFormat("camera RAW needs the rawpy package (pip install rawpy)") from e
    return rawpy


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_stderr(sink: list[str]) -> Iterator[None]:
    """Capture what LibRaw prints on file descriptor 2 (e.g. 'file: Unexpected end of file')
    into ``sink``; other text written meanwhile is passed on to stderr afterwards."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, AttributeError, ValueError):
            yield
            return
        tmp = tempfile.TemporaryFile()
        try:
            os.dup2(tmp.fileno(), 2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(saved, 2)
        finally:
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            tmp.close()
            other = []
            for line in text.splitlines():
                if line.strip():
                    (sink if ("Unexpected end of file" in line or "Corrupt data" in line
                              or "libraw" in line.lower()) else other).append(line.strip())
            if other:
                with contextlib.suppress(Exception):
                    sys.stderr.write("\n".join(other) + "\n")


def _libraw_detail(lines: list[str], path: Path) -> str:
    """LibRaw's captured messages about ``path``, once each, without the path."""
    out = []
    for ln in lines:
        ln = ln.replace(str(path), "").lstrip(": ").strip()
        if ln and ln not in out:
            out.append(ln)
    return "; ".join(out)


def _head(p: Path) -> bytes:
    """The first bytes of ``p`` (for the sniffers; empty when unreadable)."""
    try:
        with open(p, "rb") as f:
            return f.read(HEAD_BYTES)
    except OSError:
        return b""


def _map_error(p: Path, e: BaseException, lines: list[str]) -> InputError:
    """The one-line InputError (or UnsupportedFormat) naming ``p`` for LibRaw's error ``e``
    and its captured messages ``lines``: a known image format under a RAW name is named."""
    rawpy = _rawpy()
    detail = _libraw_detail(lines, p)
    if isinstance(e, rawpy.LibRawFileUnsupportedError):
        kind = sniff_image(_head(p))
        if kind and kind != "TIFF":
            return InputError(f"{p}: not a camera RAW file: the data is a {kind} image (wrong file extension?)")
        return UnsupportedFormat(f"{p}: not a camera RAW format LibRaw can read (unsupported, "
                                 "or the file is damaged)")
    if isinstance(e, rawpy.LibRawTooBigError):
        return InputError(f"{p}: RAW image too big to decode")
    if isinstance(e, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
        return InputError(f"{p}: truncated or corrupt RAW data" + (f" ({detail})" if detail else ""))
    if isinstance(e, MemoryError) or (hasattr(rawpy, "LibRawMemoryError") and isinstance(e, rawpy.LibRawMemoryError)):
        return InputError(f"{p}: not enough memory to decode this RAW file")
    text = " ".join(str(e).split()) or type(e).__name__
    return InputError(f"{p}: cannot decode RAW file ({text}{'; ' + detail if detail else ''})")


@contextlib.contextmanager
def _libraw(p: Path) -> Iterator[Any]:
    """Open ``p`` with rawpy (errors mapped to InputError naming the file)."""
    rawpy = _rawpy()
    lines: list[str] = []
    raw = None
    try:
        with _captured_stderr(lines):
            raw = rawpy.imread(str(p))
    except (rawpy.LibRawError, MemoryError, OSError) as e:
        if isinstance(e, OSError) and not isinstance(e, rawpy.LibRawError):
            raise InputError(f"{p}: cannot be read ({e.strerror or e})") from e
        raise _map_error(p, e, lines) from e
    try:
        yield raw
    finally:
        raw.close()


def _call(p: Path, fn, *a, **kw):
    """Run a LibRaw call on ``p`` with errors mapped and LibRaw's messages captured."""
    rawpy = _rawpy()
    lines: list[str] = []
    try:
        with _captured_stderr(lines):
            out = fn(*a, **kw)
    except (rawpy.LibRawError, MemoryError) as e:
        raise _map_error(p, e, lines) from e
    if lines and any("Unexpected end of file" in ln for ln in lines):
        raise InputError(f"{p}: truncated RAW data ({_libraw_detail(lines, p)})")
    return out


# make/model are not wrapped by rawpy: read them through LibRaw's C API (libraw_get_iparams)
_LIB: Any = None


def _libraw_c():
    """LibRaw's C library as rawpy ships it (ctypes), or None."""
    global _LIB
    if _LIB is None:
        _LIB = False
        rawpy = _rawpy()
        here = Path(rawpy.__file__).parent
        cands = sorted(glob.glob(str(here / "libraw_r.so*"))) + sorted(glob.glob(str(here / "*.dylibs" / "libraw*"))) \
            + sorted(glob.glob(str(here.parent / "rawpy.libs" / "libraw*"))) + sorted(glob.glob(str(here / "libraw*.dll")))
        for c in cands:
            try:
                lib = ctypes.CDLL(c)
                lib.libraw_init.restype = ctypes.c_void_p
                lib.libraw_init.argtypes = [ctypes.c_uint]
                lib.libraw_open_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
                lib.libraw_open_file.restype = ctypes.c_int
                lib.libraw_get_iparams.argtypes = [ctypes.c_void_p]
                lib.libraw_get_iparams.restype = ctypes.c_void_p
                lib.libraw_close.argtypes = [ctypes.c_void_p]
                _LIB = lib
                break
            except (OSError, AttributeError):
                continue
    return _LIB or None


def _make_model(p: Path) -> tuple[str, str, str]:
    """(make, model, software) from LibRaw's ``libraw_iparams_t`` (guard[4], make[64],
    model[64], software[64]); empty strings when unavailable."""
    lib = _libraw_c()
    if lib is None:
        return "", "", ""
    h = lib.libraw_init(0)
    if not h:
        return "", "", ""
    try:
        lines: list[str] = []
        with _captured_stderr(lines):
            rc = lib.libraw_open_file(h, os.fsencode(str(p)))
        if rc != 0:
            return "", "", ""
        ip = lib.libraw_get_iparams(h)
        if not ip:
            return "", "", ""
        b = ctypes.string_at(ip, 4 + 64 * 3)

        def s(i: int) -> str:
            return b[4 + 64 * i:4 + 64 * (i + 1)].split(b"\0")[0].decode("latin-1").strip()
        return s(0), s(1), s(2)
    finally:
        lib.libraw_close(h)




def libraw_opens(p: Path) -> bool:
    """Whether LibRaw recognises ``p`` as a camera RAW it can read (it opens and parses the
    header; nothing is unpacked). LibRaw's messages are captured, not printed."""
    try:
        rawpy = _rawpy()
    except UnsupportedFormat:
        return False
    lines: list[str] = []
    try:
        with _captured_stderr(lines):
            raw = rawpy.imread(str(p))
    except (rawpy.LibRawError, MemoryError, OSError, ValueError):
        return False
    raw.close()
    return True
