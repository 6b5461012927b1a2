"""Kolors — colour grading for photographers with a learned, self-supervised enhancer.

``from kolors import Enhancer``; see :class:`kolors.engine.enhancer.Enhancer`.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Enhancer", "VideoPipeline", "__version__"]


def __getattr__(name: str):  # lazy: `import kolors` stays cheap for the CLI's --help
    if name == "Enhancer":
        from .engine.enhancer import Enhancer
        return Enhancer
    if name == "VideoPipeline":
        from .engine.video import VideoPipeline
        return VideoPipeline
    raise AttributeError(name)
