"""The learned, self-supervised colour enhancer (see ``shared/DESIGN.md`` section 4).

* :mod:`.net` — the network (dual encoder, attention, heads) and its two sizes;
* :mod:`kolors.core.residual` — the learned residual and its one-pass apply step (colour maths, in core);
* :mod:`.degrade` — the seeded degradations each task learns to undo;
* :mod:`.train` — ``kolors train`` (pre-training, multi-task, fine-tuning);
* :mod:`.infer` — what :class:`~kolors.Enhancer` calls: thumbnail → settings;
* :mod:`.io` — checkpoints (``torch.load(weights_only=True)`` only).

Shipped weights live in ``resources/models/kolors_<type>.pt``.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["shipped_path", "load_shipped"]


def shipped_path(model_type: str) -> Path:
    """Where the shipped weights of ``model_type`` ('general' or 'lite', or 'illuminant':
    the estimator both share) live."""
    from ..paths import resources_dir
    return resources_dir() / "models" / f"kolors_{model_type}.pt"


def load_shipped(model_type: str, device=None):
    """The shipped model of ``model_type`` (a :class:`~kolors.model.infer.LearnedModel`)."""
    from .infer import LearnedModel
    return LearnedModel.from_file(shipped_path(model_type), device)
