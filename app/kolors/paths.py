"""Where Kolors finds its shipped files (presets, resources) and keeps the user's."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["presets_dir", "resources_dir", "user_data_dir", "user_presets_dir"]

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    """Shipped data folder ``name``: inside the installed package (``kolors/_data/``,
    wheels and bundles), else at the repository top level (source checkouts)."""
    for cand in (_PKG / "_data" / name, _PKG.parent.parent / name):
        if cand.is_dir():
            return cand
    return _PKG.parent.parent / name


def presets_dir() -> Path:
    return _find("presets")


def resources_dir() -> Path:
    return _find("resources")


def user_data_dir() -> Path:
    """Per-user data folder (``KOLORS_USER_DIR`` overrides, e.g. for tests)."""
    env = os.environ.get("KOLORS_USER_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("kolors", appauthor=False))


def user_presets_dir() -> Path:
    return user_data_dir() / "presets"
