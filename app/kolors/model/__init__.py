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

from .shipped import shipped_path

__all__ = ["shipped_path", "load_shipped"]


def load_shipped(model_type: str, device=None):
    """The shipped model of ``model_type`` (a :class:`~kolors.model.infer.LearnedModel`)."""
    from .infer import LearnedModel
    return LearnedModel.from_file(shipped_path(model_type), device)
