"""Sidecars: a photo's edit, saved next to it as ``name.ext.kolors.json``.

JSON, never pickle (a shared sidecar must not be able to run code). The schema is
versioned: ``{"schema": "kolors.sidecar", "version": 2, "source": {...}, "edit": {...}}``
where ``edit`` holds the preset, the task, its intensity, the task's result (the values
"Auto" chose, hidden parameters included), the person's own parameter values, the
reference photo of style transfer and ``ops``, the ``{operation: version}`` table the
values were written at (:class:`kolors.engine.edit.Edit`). Version 2 packs arrays (the
learned model's tables) as base64 float32 instead of nested lists of decimals (a task's
sidecar shrank from about 600 KB to about 100 KB) and adds ``ops``; version 1 files are
read as they are (their operations count as version 1). Writes are atomic (temporary file, then rename), so a
crash leaves either the old or the new sidecar. A sidecar that cannot be read is set
aside (renamed to ``….kolors.json.corrupt-YYYYmmdd-HHMMSS``) with a warning message, never
silently discarded or overwritten. The photo itself is never written.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .atomic import atomic_write

__all__ = ["SCHEMA", "VERSION", "SUFFIX", "sidecar_path", "read_sidecar", "write_sidecar", "set_aside", "SidecarResult"]

SCHEMA = "kolors.sidecar"
VERSION = 2
SUFFIX = ".kolors.json"


def sidecar_path(photo: str | os.PathLike) -> Path:
    """``/a/b/photo.jpg`` → ``/a/b/photo.jpg.kolors.json``."""
    p = Path(photo)
    return p.with_name(p.name + SUFFIX)


class SidecarResult:
    """What :func:`read_sidecar` found: ``edit`` (dict, empty when there is none),
    ``warning`` (a message for the person, '' when all is well) and ``moved_to`` (where a
    corrupt sidecar was set aside, or None)."""

    def __init__(self, edit: dict[str, Any], warning: str = "", moved_to: Path | None = None):
        self.edit, self.warning, self.moved_to = edit, warning, moved_to


def set_aside(photo: str | os.PathLike, why: str) -> SidecarResult:
    """Rename the sidecar of ``photo`` out of the way (see module docstring) and say so."""
    return _set_aside(sidecar_path(photo), why)


def _set_aside(path: Path, why: str) -> SidecarResult:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, dest)
    return SidecarResult({}, f"{path}: unreadable edit sidecar ({why}); set aside as {dest.name}, "
                             "the photo opens unedited", dest)


def read_sidecar(photo: str | os.PathLike) -> SidecarResult:
    """Read the edit saved next to ``photo``. Unknown or invalid content is set aside
    (see module docstring); a newer schema version than this program knows is refused the
    same way rather than misread."""
    path = sidecar_path(photo)
    if not path.is_file():
        return SidecarResult({})
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return _set_aside(path, f"not valid JSON: {e}")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        return _set_aside(path, "not a Kolors sidecar")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        return _set_aside(path, f"bad version {version!r}")
    if version > VERSION:
        return _set_aside(path, f"written by a newer Kolors (schema version {version}, this one reads {VERSION})")
    edit = doc.get("edit")
    if not isinstance(edit, dict):
        return _set_aside(path, "no 'edit' object")
    return SidecarResult(edit)


def write_sidecar(photo: str | os.PathLike, edit: dict[str, Any], source: dict[str, Any] | None = None) -> Path:
    """Write ``edit`` (JSON-serialisable) atomically next to ``photo``; returns the path."""
    path = sidecar_path(photo)
    doc = {"schema": SCHEMA, "version": VERSION, "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "source": dict(source or {"name": Path(photo).name}), "edit": edit}
    data = json.dumps(doc, indent=1, sort_keys=False, allow_nan=False).encode("utf-8")
    atomic_write(path, lambda f: f.write(data), protect=photo)
    return path
