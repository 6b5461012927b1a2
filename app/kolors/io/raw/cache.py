"""The RAW decode cache: developed :class:`~kolors.io.raw.photo.RawPhoto` objects kept in
one :class:`kolors.core.lru.LRU` bounded in bytes (``KOLORS_RAW_CACHE_MB``, default 1024 MB),
keyed by the file (resolved path, mtime, size), the options and the mode, so re-rendering
the same file does not decode it again. A cached photo is shared: copy its arrays before
modifying them in place.

An entry weighs the bytes it can come to hold — its 16-bit pixels plus the float32 copy
``RawPhoto.data`` makes on first use — so that its weight stays the same while cached (the
LRU subtracts the weight of what it evicts). A photo heavier than the whole limit is not
kept. :func:`cache_info` reports the bytes actually held.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...core.lru import LRU
from .photo import RawPhoto

__all__ = ["set_cache_limit", "clear_cache", "cache_info"]


def _weight(photo: RawPhoto) -> int:
    """The most bytes ``photo`` holds: 16-bit pixels plus their float32 copy."""
    return int(photo.linear16.nbytes + photo.linear16.size * 4)


_CACHE: LRU[tuple, RawPhoto] = LRU(int(float(os.environ.get("KOLORS_RAW_CACHE_MB", "1024")) * 2 ** 20),
                                   weigh=_weight)


def _key(p: Path, options_key: tuple, mode: str) -> tuple[Any, ...]:
    """The cache key of decoding ``p`` with options (``RawOptions._key()``) in ``mode``."""
    st = p.stat()
    return (str(p.resolve()), st.st_mtime_ns, st.st_size, options_key, mode)


def _lookup(key: tuple) -> RawPhoto | None:
    """The cached photo of ``key`` (a hit or a miss counted), or None."""
    return _CACHE.get(key)


def _keep(key: tuple, photo: RawPhoto) -> None:
    """Keep ``photo`` under ``key`` unless it alone is heavier than the limit."""
    if _weight(photo) <= _CACHE.maxsize:
        _CACHE.put(key, photo)


def set_cache_limit(nbytes: int) -> None:
    """Bound the decode cache to ``nbytes`` (0 disables it); evicts to fit."""
    _CACHE.resize(max(0, int(nbytes)))


def clear_cache() -> None:
    """Drop every cached decode and reset the hit/miss counts."""
    _CACHE.clear()


def cache_info() -> dict[str, int]:
    """{'entries', 'bytes', 'limit', 'hits', 'misses'} of the decode cache ('bytes': the
    memory its photos hold now)."""
    photos = _CACHE.values()
    return {"entries": len(photos), "bytes": sum(v.nbytes for v in photos), "limit": _CACHE.maxsize,
            "hits": _CACHE.hits, "misses": _CACHE.misses}
