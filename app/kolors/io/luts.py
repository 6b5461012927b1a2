"""``.cube`` LUT files (Adobe/IRIDAS and Resolve dialects): read and write.

:func:`read_cube` returns

* a :class:`~kolors.core.lut.Lut1D` for ``LUT_1D_SIZE`` files (domain from
  ``DOMAIN_MIN/MAX`` or ``LUT_1D_INPUT_RANGE``);
* a :class:`~kolors.core.lut.Lut3D` with a ``Shaper('linear', lo, hi)`` for
  ``LUT_3D_SIZE`` files (domain from ``DOMAIN_MIN/MAX`` or ``LUT_3D_INPUT_RANGE``);
* a :class:`~kolors.core.lut.Lut3D` with a ``Shaper('table', …)`` for Resolve's
  1D shaper + 3D table in one file (``LUT_1D_SIZE`` and ``LUT_3D_SIZE``: the 1D rows
  first, over ``LUT_1D_INPUT_RANGE``; their values are inputs of the 3D table over
  ``LUT_3D_INPUT_RANGE`` and are stored normalised to the table's [0, 1] index range).

Data rows list red fastest (``table[r, g, b]`` is row ``r + N·g + N²·b``). Values are
read as unclamped floats. ``TITLE``, ``#`` comments (whole-line or after data),
blank lines and keywords in any order (before the data) are accepted. Anything else —
an unknown keyword, a row without exactly three finite numbers, a missing or
out-of-range size (3D: 2–256, 1D: 2–65536), too few or too many rows, text after the
data — raises :class:`~kolors.errors.InputError` naming the file and the line.

:func:`write_cube` writes 1D, 3D, or shaper + 3D (Resolve form), numbers as ``%.9g``
(exact for float32, so write → read gives identical tables), atomically. Shapers of
the curve kinds (``srgb``, ``cbrt`` and their ``_hdr`` forms, with any gain) have no
.cube form and are written as a sampled 1D shaper (4096 / 16384 entries: a close
approximation, not exact).

Importing this module registers :func:`read_cube` as the LUT loader of
:mod:`kolors.core.lut` (``set_lut_loader``).
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..core import lut as _corelut
from ..core.lut import Lut1D, Lut3D, Shaper
from ..errors import InputError
from .atomic import atomic_write

__all__ = ["read_cube", "write_cube", "MAX_3D_SIZE", "MAX_1D_SIZE"]

MAX_3D_SIZE = 256
MAX_1D_SIZE = 65536
_KEYWORDS = ("TITLE", "LUT_1D_SIZE", "LUT_3D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX",
             "LUT_1D_INPUT_RANGE", "LUT_3D_INPUT_RANGE")


def _err(path: Path, line: int | None, msg: str) -> InputError:
    where = f"{path}, line {line}" if line else str(path)
    return InputError(f"{where}: {msg}")


def _read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a .cube file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    if not raw.strip():
        raise InputError(f"{path}: empty file")
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path}: binary data, not a .cube text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _numbers(path: Path, ln: int, word: str, args: list[str], n: int) -> list[float]:
    if len(args) != n:
        raise _err(path, ln, f"{word} needs {n} number{'s' * (n > 1)}, got {len(args)}")
    try:
        vals = [float(a) for a in args]
    except ValueError:
        raise _err(path, ln, f"{word}: not a number in {' '.join(args)!r}") from None
    if not all(np.isfinite(vals)):
        raise _err(path, ln, f"{word}: values must be finite")
    return vals


def _size(path: Path, ln: int, word: str, args: list[str], hi: int) -> int:
    if len(args) != 1:
        raise _err(path, ln, f"{word} needs one integer, got {len(args)} values")
    try:
        n = int(args[0])
    except ValueError:
        raise _err(path, ln, f"{word}: {args[0]!r} is not an integer") from None
    if not 2 <= n <= hi:
        raise _err(path, ln, f"{word} {n} is out of range (2–{hi})")
    return n


def _parse_rows(path: Path, rows: list[tuple[int, str]]) -> np.ndarray:
    """(M, 3) float64 from data lines, with the line number of the first bad one."""
    parts = [s.split() for _, s in rows]
    for (ln, _), p in zip(rows, parts):
        if len(p) != 3:
            raise _err(path, ln, f"expected 3 numbers per row, found {len(p)}")
    try:
        arr = np.array([t for p in parts for t in p], dtype=np.float64).reshape(-1, 3)
    except ValueError:
        for (ln, s), p in zip(rows, parts):
            try:
                [float(t) for t in p]
            except ValueError:
                raise _err(path, ln, f"not a number in {s.strip()!r}") from None
        raise
    bad = ~np.isfinite(arr).all(1)
    if bad.any():
        i = int(np.argmax(bad))
        raise _err(path, rows[i][0], f"values must be finite, got {rows[i][1].strip()!r}")
    return arr


def _is_data(s: str) -> bool:
    return s[0].isdigit() or s[0] in "+-."


def _fast_rows(block: list[str]) -> np.ndarray | None:
    """The data rows through numpy's C parser; None when anything is unusual (the
    line-by-line path then finds and reports the problem)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.loadtxt(io.StringIO("\n".join(block)), dtype=np.float64, comments="#", ndmin=2)
    except ValueError:
        return None
    if arr.ndim != 2 or arr.shape[1] != 3 or not np.isfinite(arr).all():
        return None
    return arr


def _slow_rows(p: Path, lines: list[str], start: int) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []
    for ln, raw in enumerate(lines[start:], start + 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if not _is_data(s):
            raise _err(p, ln, f"unexpected text {s.split()[0]!r} after the table data")
        rows.append((ln, s.split("#", 1)[0]))
    return rows


def read_cube(path: str | os.PathLike) -> Lut3D | Lut1D:
    """Read a ``.cube`` file (see the module docstring). Raises InputError naming the
    file and line."""
    p = Path(os.fspath(path))
    text = _read_text(p)
    lines = text.splitlines()
    head: dict[str, tuple[int, list[str] | str]] = {}
    first_data = None  # index of the first data line
    for i, raw in enumerate(lines):
        ln = i + 1
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if _is_data(s):
            first_data = i
            break
        parts = s.split(None, 1)
        word, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        key = word.upper()
        if key not in _KEYWORDS:
            raise _err(p, ln, f"unknown keyword {word!r}")
        if key in head:
            raise _err(p, ln, f"{key} given twice (first on line {head[key][0]})")
        if key == "TITLE":
            t = rest.strip()
            if len(t) >= 2 and t[0] == t[-1] == '"':
                t = t[1:-1]
            head[key] = (ln, t)
        else:
            head[key] = (ln, rest.split("#", 1)[0].split())

    def nums(key: str, n: int) -> tuple[int, list[float]] | None:
        if key not in head:
            return None
        ln, args = head[key]
        return ln, _numbers(p, ln, key, args, n)

    title = head["TITLE"][1] if "TITLE" in head else ""
    n1 = _size(p, head["LUT_1D_SIZE"][0], "LUT_1D_SIZE", head["LUT_1D_SIZE"][1], MAX_1D_SIZE) \
        if "LUT_1D_SIZE" in head else 0
    n3 = _size(p, head["LUT_3D_SIZE"][0], "LUT_3D_SIZE", head["LUT_3D_SIZE"][1], MAX_3D_SIZE) \
        if "LUT_3D_SIZE" in head else 0
    if not n1 and not n3:
        if first_data is not None:
            raise _err(p, first_data + 1, "table data without a LUT_3D_SIZE or LUT_1D_SIZE line before it")
        raise _err(p, None, "no LUT_3D_SIZE or LUT_1D_SIZE line: not a .cube LUT")
    dmin, dmax = nums("DOMAIN_MIN", 3), nums("DOMAIN_MAX", 3)
    r1, r3 = nums("LUT_1D_INPUT_RANGE", 2), nums("LUT_3D_INPUT_RANGE", 2)
    if (dmin or dmax) and (r1 if n1 else r3):
        ln = (dmin or dmax)[0]
        raise _err(p, ln, "DOMAIN_MIN/MAX together with LUT_*_INPUT_RANGE")

    def domain(rng) -> tuple[np.ndarray, np.ndarray, int | None]:
        if rng is not None:
            ln, (lo, hi) = rng
            lo_a, hi_a = np.full(3, lo), np.full(3, hi)
        else:
            ln = dmax[0] if dmax else dmin[0] if dmin else None
            lo_a = np.array(dmin[1] if dmin else [0.0] * 3)
            hi_a = np.array(dmax[1] if dmax else [1.0] * 3)
        if not np.all(hi_a > lo_a):
            raise _err(p, ln, f"domain maximum must exceed minimum ({lo_a.tolist()} .. {hi_a.tolist()})")
        return lo_a, hi_a, ln

    want = n1 + n3 ** 3
    data = _fast_rows(lines[first_data:]) if first_data is not None else None
    if data is None or len(data) != want:
        rows = _slow_rows(p, lines, first_data) if first_data is not None else []
        what = " + ".join(([f"LUT_1D_SIZE {n1}: {n1}"] if n1 else [])
                          + ([f"LUT_3D_SIZE {n3}: {n3 ** 3}"] if n3 else []))
        if len(rows) > want:
            raise _err(p, rows[want][0], f"unexpected data row {want + 1} ({what} rows expected)")
        if len(rows) < want:
            raise _err(p, len(lines), f"file ends after {len(rows)} data rows ({what} rows expected)")
        data = _parse_rows(p, rows)

    if n1 and not n3:
        lo, hi, _ = domain(r1)
        return Lut1D(data.astype(np.float32), lo, hi, title)
    table3 = np.ascontiguousarray(
        data[n1:].reshape(n3, n3, n3, 3).transpose(2, 1, 0, 3), np.float32)
    if not n1:
        lo, hi, _ = domain(r3)
        return Lut3D(table3, Shaper("linear", lo, hi), title)
    # Resolve: 1D shaper over LUT_1D_INPUT_RANGE (or DOMAIN_*) feeding the 3D table
    lo1, hi1, _ = domain(r1)
    if r3 is not None:
        ln, (lo3, hi3) = r3
        if not hi3 > lo3:
            raise _err(p, ln, f"LUT_3D_INPUT_RANGE maximum must exceed minimum ({lo3} .. {hi3})")
    else:
        lo3, hi3 = 0.0, 1.0
    shaper_tab = ((data[:n1] - lo3) / (hi3 - lo3)).astype(np.float32)
    return Lut3D(table3, Shaper("table", lo1, hi1, shaper_tab), title)


# ============================================================================ writing
def _g(v) -> str:
    return "%.9g" % float(v)


def _rows(arr: np.ndarray) -> str:
    a = np.asarray(arr, np.float32).reshape(-1, 3)
    return ("%.9g %.9g %.9g\n" * len(a)) % tuple(a.ravel().tolist())


def _finite(path: Path, name: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        raise InputError(f"cannot write {path}: the {name} holds non-finite values")


def _shaper_samples(path: Path, sh: Shaper) -> tuple[np.ndarray, float, float]:
    """A 'table' shaper's (K,3) table and scalar lo, hi; the curve kinds (srgb, cbrt and
    their _hdr forms, any gain) sampled over their input range."""
    if sh.kind == "table":
        tab, lo, hi = np.asarray(sh.table, np.float32), sh.lo, sh.hi
    elif sh.kind in ("srgb", "srgb_hdr", "cbrt", "cbrt_hdr"):
        k = 16384 if sh.kind.endswith("_hdr") else 4096
        lo, hi = np.zeros(3, np.float32), (sh.hi / sh.gain).astype(np.float32)
        x = torch.from_numpy(np.linspace(lo.astype(np.float64), hi.astype(np.float64), k).T.copy())
        tab = sh.forward(x.view(3, k, 1)).view(3, k).T.numpy().astype(np.float32)
    else:
        raise InputError(f"cannot write {path}: unknown shaper kind {sh.kind!r}")
    if not (np.all(lo == lo[0]) and np.all(hi == hi[0])):
        raise InputError(f"cannot write {path}: a 1D shaper needs the same input range on all "
                         f"channels (.cube LUT_1D_INPUT_RANGE), got {lo.tolist()} .. {hi.tolist()}")
    return tab, float(lo[0]), float(hi[0])


def write_cube(path: str | os.PathLike, lut: Lut3D | Lut1D, title: str | None = None,
               protect: str | os.PathLike | None = None) -> Path:
    """Write ``lut`` as a ``.cube`` file atomically (never over ``protect``). ``title``
    defaults to ``lut.title``. Returns the path."""
    p = Path(os.fspath(path))
    title = lut.title if title is None else title
    title = (title or "").replace('"', "'").replace("\n", " ").replace("\r", " ")
    out = [f'TITLE "{title}"\n'] if title else []
    out.append("# Written by Kolors\n")
    if isinstance(lut, Lut1D):
        tab = np.asarray(lut.table, np.float32)
        _finite(p, "1D table", tab)
        out.append(f"LUT_1D_SIZE {tab.shape[0]}\n")
        if not (np.all(lut.lo == 0) and np.all(lut.hi == 1)):
            out.append(f"DOMAIN_MIN {' '.join(map(_g, lut.lo))}\nDOMAIN_MAX {' '.join(map(_g, lut.hi))}\n")
        out.append(_rows(tab))
    elif isinstance(lut, Lut3D):
        t3 = np.asarray(lut.table, np.float32)
        n = t3.shape[0]
        if t3.shape != (n, n, n, 3) or not 2 <= n <= MAX_3D_SIZE:
            raise InputError(f"cannot write {p}: 3D table shape {t3.shape} (need N×N×N×3, N 2–256)")
        _finite(p, "3D table", t3)
        sh = lut.shaper
        body3 = _rows(t3.transpose(2, 1, 0, 3))
        if sh.kind == "linear":
            out.append(f"LUT_3D_SIZE {n}\n")
            if not (np.all(sh.lo == 0) and np.all(sh.hi == 1)):
                out.append(f"DOMAIN_MIN {' '.join(map(_g, sh.lo))}\nDOMAIN_MAX {' '.join(map(_g, sh.hi))}\n")
            out.append(body3)
        else:
            tab, lo, hi = _shaper_samples(p, sh)
            _finite(p, "shaper table", tab)
            out.append(f"LUT_1D_SIZE {tab.shape[0]}\nLUT_1D_INPUT_RANGE {_g(lo)} {_g(hi)}\n"
                       f"LUT_3D_SIZE {n}\nLUT_3D_INPUT_RANGE 0 1\n")
            out.append(_rows(tab))
            out.append(body3)
    else:
        raise InputError(f"cannot write {p}: expected a Lut3D or Lut1D, got {type(lut).__name__}")
    data = "".join(out).encode("utf-8")
    return atomic_write(p, lambda f: f.write(data), protect=protect)


if hasattr(_corelut, "set_lut_loader"):
    _corelut.set_lut_loader(read_cube)
