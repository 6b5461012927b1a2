"""Checkpoints: plain tensors and numbers only, loaded with ``torch.load(weights_only=True)``.

A checkpoint is a dict: ``format`` ('kolors-model'), ``version``, ``config`` (the
:class:`~kolors.model.net.ModelConfig` as a dict), ``state_dict``, ``stage``, ``epoch``,
``history`` (per-epoch mean losses), ``meta`` (data folder, seed, batch, ...),
``residual_strength`` (task → default ``learned_strength``, from ``kolors calibrate``;
absent means 1.0) and, for
resuming, ``optimizer``/``scheduler`` states and ``extra`` (e.g. the pre-training
projection head). Shipped weights keep only what inference needs. A file that needs
pickle to load (arbitrary code) is refused.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from .net import KolorsNet, ModelConfig

__all__ = ["save_checkpoint", "load_checkpoint", "load_model", "copy_checkpoint", "ship_weights", "FORMAT"]

FORMAT = "kolors-model"


def save_checkpoint(path: str | os.PathLike, net: KolorsNet, *, stage: str = "", epoch: int = 0,
                    history: list | None = None, meta: dict | None = None, optimizer: dict | None = None,
                    scheduler: dict | None = None, extra: dict | None = None,
                    residual_strength: dict[str, float] | None = None) -> Path:
    """Write a checkpoint atomically (temporary file, then rename)."""
    from ..io.atomic import atomic_write
    ck: dict[str, Any] = {"format": FORMAT, "version": 1, "config": net.cfg.to_dict(),
                          "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
                          "stage": stage, "epoch": int(epoch), "history": list(history or []),
                          "meta": dict(meta or {})}
    if optimizer is not None:
        ck["optimizer"] = optimizer
    if scheduler is not None:
        ck["scheduler"] = scheduler
    if extra:
        ck["extra"] = extra
    if residual_strength:
        rs = {k: float(v) for k, v in residual_strength.items()}
        bad = _bad_strengths(rs)
        if bad:
            raise ValueError(f"residual_strength: {bad}")
        ck["residual_strength"] = rs
    buf = io.BytesIO()
    torch.save(ck, buf)
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True``; ``config`` comes back as a
    :class:`ModelConfig`. Raises :class:`~kolors.errors.InputError` naming the file when
    it is missing, not a Kolors checkpoint, or carries a pickle payload."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such checkpoint")
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError, RuntimeError, EOFError, zip errors...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{p}: refused: not a plain-tensor checkpoint (weights_only load failed: {first})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT or "state_dict" not in ck:
        raise InputError(f"{p}: not a Kolors model checkpoint")
    try:
        ck["config"] = ModelConfig.from_dict(ck["config"])
    except (TypeError, KeyError) as e:
        raise InputError(f"{p}: bad model config ({e})") from None
    bad = _bad_strengths(ck.get("residual_strength", {}))
    if bad:
        raise InputError(f"{p}: bad residual_strength ({bad})")
    return ck


def _bad_strengths(rs: Any) -> str:
    """What is wrong with a ``residual_strength`` dict ('' when nothing)."""
    from .net import TASK_IDS
    if not isinstance(rs, dict):
        return "not a dict of learned task → number within [0, 1]"
    for k, v in rs.items():
        if k not in TASK_IDS:
            return f"unknown task {k!r}; learned tasks: {', '.join(TASK_IDS)}"
        if not isinstance(v, float) or not 0.0 <= v <= 1.0:
            return f"{k}: {v!r} is not a number within [0, 1]"
    return ""


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu",
               checkpoint: dict | None = None) -> KolorsNet:
    """A :class:`KolorsNet` in eval mode from a checkpoint (``checkpoint``: the one
    :func:`load_checkpoint` already returned for ``path``, so it is not read twice)."""
    ck = checkpoint if checkpoint is not None else load_checkpoint(path)
    net = KolorsNet(ck["config"])
    try:
        net.load_state_dict(ck["state_dict"])
    except RuntimeError as e:
        raise InputError(f"{path}: weights do not fit the model ({str(e).splitlines()[0]})") from None
    return net.to(device).eval()


def copy_checkpoint(ck: dict, src: str | os.PathLike, dst: str | os.PathLike, *, training_state: bool = True,
                    meta: dict | None = None, residual_strength: dict[str, float] | None = None) -> Path:
    """Write ``ck`` (what :func:`load_checkpoint` returned for ``src``) to ``dst``,
    atomically, with ``meta`` and ``residual_strength`` replaced where given; without
    ``training_state`` the optimizer, scheduler and ``extra`` are left out."""
    state = {k: ck.get(k) for k in ("optimizer", "scheduler", "extra")} if training_state else {}
    return save_checkpoint(dst, load_model(src, "cpu", ck), stage=ck.get("stage", ""), epoch=ck.get("epoch", 0),
                           history=ck.get("history"), meta=ck.get("meta") if meta is None else meta,
                           residual_strength=(ck.get("residual_strength") if residual_strength is None
                                              else residual_strength), **state)


def ship_weights(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy a training checkpoint's inference part (config, weights, history, meta,
    residual strengths) to ``dst``: no optimizer state, nothing but tensors and numbers."""
    return copy_checkpoint(load_checkpoint(src), src, dst, training_state=False)
