"""Atomic file writes: the destination either keeps its old content or gets the complete
new content, never a half-written file.

Data goes to a temporary file in the destination's folder (same file system, so the
final ``os.replace`` is atomic), is flushed and fsync'ed, then renamed over the
destination; the folder is fsync'ed too (best effort). On any exception the temporary
file is removed and the destination is left as it was (absent if it did not exist).

Every writer takes ``protect``: the path of the input being processed. Writing to it (or
to another name of the same file: a hard or symbolic link) raises
:class:`~kolors.errors.InputError` ``refusing to overwrite the input file X`` before
anything is written.

Three forms::

    atomic_write(path, lambda f: f.write(data))          # writer gets a binary file
    with atomic_file(path) as f: f.write(data)           # the same as a context manager
    with atomic_path(path) as tmp: tool.save(tmp)        # a temp *path* (same suffix)
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO, Callable, Iterator

from ..errors import InputError

__all__ = ["atomic_write", "atomic_file", "atomic_path", "check_not_protected", "same_file"]

PathLike = str | os.PathLike


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (same inode if both exist, else the
    same absolute resolved path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(os.path.abspath(a)) == os.path.realpath(os.path.abspath(b))


def check_not_protected(path: PathLike, protect: PathLike | None) -> None:
    """Raise InputError when ``path`` would overwrite ``protect`` (the input file)."""
    if protect is not None and same_file(path, protect):
        raise InputError(f"refusing to overwrite the input file {os.fspath(protect)}")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _prepare(path: PathLike, protect: PathLike | None) -> tuple[Path, Path]:
    dest = Path(os.fspath(path))
    check_not_protected(dest, protect)
    if dest.is_dir():
        raise InputError(f"cannot write {dest}: it is a directory")
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {dest}: folder {folder} does not exist")
    # keep the real suffix last so tools that look at it (ffmpeg, cv2) still work
    tmp = folder / f".{dest.stem}.{secrets.token_hex(4)}.tmp{dest.suffix}"
    return dest, tmp


def _commit(tmp: Path, dest: Path) -> None:
    os.replace(tmp, dest)
    _fsync_dir(str(dest.parent) or ".")


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_file(path: PathLike, protect: PathLike | None = None) -> Iterator[IO[bytes]]:
    """Context manager yielding a binary file; on normal exit its content replaces
    ``path`` atomically, on an exception nothing is left behind."""
    dest, tmp = _prepare(path, protect)
    try:
        # O_EXCL: never reuse an existing name; 0o666 lets the umask decide permissions
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except PermissionError as e:
        raise InputError(f"cannot write {dest}: permission denied") from e
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _commit(tmp, dest)
    except BaseException:
        _remove(tmp)
        raise


def atomic_write(path: PathLike, writer: Callable[[IO[bytes]], object],
                 protect: PathLike | None = None) -> Path:
    """Call ``writer(f)`` with a binary file and atomically install the result at
    ``path``. Returns the destination path."""
    with atomic_file(path, protect) as f:
        writer(f)
    return Path(os.fspath(path))


@contextlib.contextmanager
def atomic_path(path: PathLike, protect: PathLike | None = None) -> Iterator[str]:
    """Context manager yielding a temporary *path* (same folder, same suffix) for tools
    that write by name. When the block ends without error the file written there is
    fsync'ed and renamed to ``path``; a block that raises, or writes nothing, leaves no
    file."""
    dest, tmp = _prepare(path, protect)
    try:
        yield str(tmp)
        if not tmp.exists():
            raise OSError(f"nothing was written to {dest}")
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, dest)
    except BaseException:
        _remove(tmp)
        raise
