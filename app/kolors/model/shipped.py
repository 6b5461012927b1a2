"""Where the shipped weights live (imports nothing else of :mod:`kolors.model`, so every
module of it can ask)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["shipped_path"]


def shipped_path(model_type: str) -> Path:
    """Where the shipped weights of ``model_type`` ('general' or 'lite', or 'illuminant':
    the estimator both share) live: ``resources/models/kolors_<type>.pt``."""
    from ..paths import resources_dir
    return resources_dir() / "models" / f"kolors_{model_type}.pt"
