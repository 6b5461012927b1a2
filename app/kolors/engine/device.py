"""Device choice: ``auto`` picks CUDA when present, else the CPU."""
from __future__ import annotations

import torch

__all__ = ["resolve_device", "describe_device", "is_oom"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``'auto'`` → ``cuda:0`` when available, else ``cpu``; ``'cuda'``/``'cuda:N'``
    raise ``ValueError`` when CUDA is not available; anything else is refused."""
    if isinstance(device, torch.device):
        return device
    d = str(device).strip().lower()
    if d == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if d == "cpu":
        return torch.device("cpu")
    if d.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available here; use 'cpu' or 'auto'")
        dev = torch.device(d)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
        return dev
    raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:N")


def describe_device(device: torch.device) -> str:
    """Human-readable name for the status bar and logs."""
    if device.type == "cuda":
        return f"CUDA {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"


def is_oom(exc: BaseException) -> bool:
    """True for a CUDA out-of-memory error (the typed one or the older RuntimeError)."""
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
