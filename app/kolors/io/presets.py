"""Presets: named settings as JSON, validated against the operation registry.

A preset file is ``{"name": str, "description": str, "version": 2, "ops": {operation:
version, ...}, "settings": {param: value, ...}}``. ``ops`` is the table of operation versions
the settings were written at; loading upgrades the values to the current versions
(:func:`kolors.core.registry.upgrade_settings`) before validating them. Version 1 files (no
``ops``: every operation at version 1) are read as they are; a version 2 file must have
``ops``. Shipped presets live in ``presets/``; user presets in the
platform's user data folder (``platformdirs``). User presets shadow shipped ones of the
same name only when saved under a new name — shipped names are refused on save."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import registry
from ..errors import InputError
from ..paths import presets_dir, user_presets_dir
from .atomic import atomic_write

__all__ = ["Preset", "load_preset_file", "list_presets", "get_preset", "save_user_preset", "SCHEMA_VERSION",
           "Imported", "ImportFailed", "import_xmp_presets"]

SCHEMA_VERSION = 2
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@dataclass
class Preset:
    name: str
    settings: dict[str, Any]
    description: str = ""
    path: Path | None = None
    user: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "version": SCHEMA_VERSION,
                "ops": registry.op_versions(self.settings), "settings": registry.settings_to_json(self.settings)}


#: parsed presets by (path, mtime, size, user): the desktop app asks for the current
#: preset on every slider event; a changed file has another key, so it is read again
_LOADED: dict[tuple, Preset] = {}


def load_preset_file(path: str | Path, user: bool = False) -> Preset:
    """Read and validate one preset file; ``InputError`` names the file and field.
    Unchanged files come from a cache; each call returns its own copy."""
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size, user)
    except OSError:
        key = None
    hit = _LOADED.get(key) if key is not None else None
    if hit is None:
        hit = _read_preset_file(path, user)
        if key is not None:
            if len(_LOADED) > 256:
                _LOADED.clear()
            _LOADED[key] = hit
    return Preset(hit.name, copy.deepcopy(hit.settings), hit.description, hit.path, hit.user, dict(hit.extra))


def _read_preset_file(path: Path, user: bool) -> Preset:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: preset file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: a preset must be a JSON object")
    name = doc.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(f"{path}: field 'name' must be lower-case letters, digits, '_' or '-', got {name!r}")
    ver = doc.get("version", 1)
    if isinstance(ver, bool) or not isinstance(ver, int) or ver < 1:
        raise InputError(f"{path}: field 'version' must be a whole number >= 1, got {ver!r}")
    if ver > SCHEMA_VERSION:
        raise InputError(f"{path}: field 'version' {ver!r} is newer than this Kolors understands ({SCHEMA_VERSION})")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise InputError(f"{path}: field 'settings' must be an object of parameter values")
    if ver >= 2 and "ops" not in doc:
        raise InputError(f"{path}: field 'ops' (the operation versions) is missing from a version {ver} preset")
    try:
        settings = registry.upgrade_settings(settings, doc.get("ops") if ver >= 2 else None)
    except ValueError as e:
        raise InputError(f"{path}: field 'ops': {e}") from None
    try:
        valid = registry.validate_settings(settings, allow_hidden=False)
    except ValueError as e:
        raise InputError(f"{path}: field 'settings': {e}") from None
    desc = doc.get("description", "")
    if not isinstance(desc, str):
        raise InputError(f"{path}: field 'description' must be a string")
    return Preset(name, valid, desc, path, user)


def _scan(folder: Path, user: bool) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


def list_presets() -> list[str]:
    """Names of the shipped presets, then the user's, sorted within each."""
    shipped = _scan(presets_dir(), False)
    user = [n for n in _scan(user_presets_dir(), True) if n not in shipped]
    return sorted(shipped) + sorted(user)


def user_preset_names() -> list[str]:
    """Names of the user's own presets (those not shadowed by a shipped one), sorted."""
    shipped = _scan(presets_dir(), False)
    return sorted(n for n in _scan(user_presets_dir(), True) if n not in shipped)


def get_preset(name: str) -> Preset:
    """Load a preset by name (shipped first, then user) or from a ``.json`` path."""
    if name.endswith(".json") and Path(name).is_file():
        return load_preset_file(name)
    shipped = _scan(presets_dir(), False)
    if name in shipped:
        return load_preset_file(shipped[name])
    user = _scan(user_presets_dir(), True)
    if name in user:
        return load_preset_file(user[name], user=True)
    raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(list_presets())}")


def save_user_preset(name: str, settings: dict[str, Any], description: str = "") -> Path:
    """Save ``settings`` (visible parameters only) as a user preset; returns its path."""
    if not _NAME.match(name):
        raise ValueError(f"preset name {name!r}: use lower-case letters, digits, '_' or '-'")
    if name in _scan(presets_dir(), False):
        raise ValueError(f"preset name {name!r} is a shipped preset; choose another name")
    visible = {k: v for k, v in settings.items() if not registry.get_param(k).hidden}
    valid = registry.validate_settings(visible, allow_hidden=False)
    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    data = json.dumps(Preset(name, valid, description).to_json(), indent=2).encode()
    atomic_write(path, lambda f: f.write(data))
    return path


@dataclass
class Imported:
    """One Lightroom / Camera Raw preset imported: its Kolors ``name``, the ``source`` file,
    the saved ``path`` and the ``warning`` naming what had no counterpart ('' if none)."""

    name: str
    source: Path
    path: Path
    warning: str = ""


def import_xmp_presets(src: str | Path) -> list[Imported]:
    """Import a Lightroom or Camera Raw preset (``.xmp``) or every ``.xmp`` under a folder as
    user presets, named after the preset's own name (else the file's stem; ``_lr`` is added
    to a shipped preset's name). A preset of that name saved before is replaced (importing
    again updates it). Raises ``InputError`` naming the file for one that cannot be read or
    holds no Camera Raw settings (for a folder: after importing the others)."""
    from .xmp import crs_to_settings, preset_name, read_xmp
    src = Path(src)
    if src.is_dir():
        files = sorted(p for p in src.rglob("*") if p.suffix.lower() == ".xmp" and p.is_file())
        if not files:
            raise InputError(f"{src}: no .xmp presets in this folder")
    elif src.is_file():
        files = [src]
    else:
        raise InputError(f"{src}: no such file or folder")
    shipped = _scan(presets_dir(), False)
    users = _scan(user_presets_dir(), True)
    taken: set[str] = set()
    out, errors = [], []
    for f in files:
        try:
            doc = read_xmp(f)
            if not doc.crs:
                raise InputError(f"{f}: no Camera Raw (crs:) settings in it")
            settings, lost = crs_to_settings(doc.crs)
            base = preset_name(doc, f)
            if base in shipped:
                base = f"{base[:61]}_lr"
            name, k = base, 2
            # a name another preset of this import took, or a user preset not imported from
            # this file, is kept: this one gets a number
            while name in taken or (name in users and not _imported_from(users[name], f)):
                name, k = f"{base[:60]}_{k}", k + 1
            taken.add(name)
            try:
                valid = registry.validate_settings(settings, allow_hidden=False)
            except ValueError as e:
                raise InputError(f"{f}: {e}") from None
            desc = f"Imported from {f.name}"
            path = save_user_preset(name, valid, desc)
            warning = f"{f}: no counterpart in Kolors for: {', '.join(lost)}" if lost else ""
            out.append(Imported(name, f, path, warning))
        except InputError as e:
            errors.append(str(e))
    if errors:
        msg = "; ".join(errors) if len(errors) < 4 else f"{errors[0]} (and {len(errors) - 1} more files)"
        raise ImportFailed(msg, out)
    return out


def _imported_from(path: Path, src: Path) -> bool:
    """True when the user preset at ``path`` was imported from a file named like ``src``."""
    try:
        return load_preset_file(path, user=True).description == f"Imported from {src.name}"
    except InputError:
        return False


class ImportFailed(InputError):
    """Some presets could not be imported: the message names them; ``imported`` holds
    the ones that were."""

    def __init__(self, msg: str, imported: list[Imported]):
        super().__init__(msg)
        self.imported = imported
