"""One bounded, thread-safe LRU cache for every cache in Kolors (plans, decoded photos,
proxies, video analyses, tables). Pure Python: imports nothing else of the package.

``LRU(maxsize)`` bounds the number of entries; ``LRU(maxsize, weigh=f)`` bounds the sum of
``f(value)`` (e.g. bytes) instead, each value weighed once when it is stored (a value that
grows later keeps the weight it was stored with). The least recently *used* entry is evicted first; ``get``
and ``get_or_create`` count as use.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Iterator, TypeVar

__all__ = ["LRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A mapping of at most ``maxsize`` entries (or total weight, with ``weigh``).

    ``maxsize`` 0 keeps nothing (every ``put`` is dropped at once). All methods take the
    cache's own lock, so the cache can be shared between threads."""

    def __init__(self, maxsize: int, weigh: Callable[[V], int] | None = None):
        self._d: OrderedDict[K, V] = OrderedDict()
        self._w: dict[K, int] = {}
        self._lock = threading.RLock()
        self._weigh = weigh
        self._total = 0
        self.maxsize = int(maxsize)
        self.hits = 0
        self.misses = 0

    def _weight(self, v: V) -> int:
        return int(self._weigh(v)) if self._weigh is not None else 1

    _MISSING = object()

    def _lookup(self, key: K) -> object:
        """The value (counted as use) or ``_MISSING``; call with the lock held."""
        if key in self._d:
            self._d.move_to_end(key)
            self.hits += 1
            return self._d[key]
        self.misses += 1
        return self._MISSING

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            v = self._lookup(key)
            return default if v is self._MISSING else v  # type: ignore[return-value]

    def put(self, key: K, value: V) -> V:
        with self._lock:
            if key in self._d:
                del self._d[key]
                self._total -= self._w.pop(key)
            self._d[key] = value
            self._w[key] = w = self._weight(value)
            self._total += w
            self._evict()
            return value

    def get_or_create(self, key: K, make: Callable[[], V]) -> V:
        """The cached value for ``key``, else ``make()`` stored under it. ``make`` runs
        with the lock held, so two threads never build the same entry twice."""
        with self._lock:
            v = self._lookup(key)
            return self.put(key, make()) if v is self._MISSING else v  # type: ignore[return-value]

    def resize(self, maxsize: int) -> None:
        with self._lock:
            self.maxsize = max(0, int(maxsize))
            self._evict()

    def _evict(self) -> None:
        while self._d and self._total > self.maxsize:
            old, _ = self._d.popitem(last=False)
            self._total -= self._w.pop(old)

    def pop(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            if key not in self._d:
                return default
            v = self._d.pop(key)
            self._total -= self._w.pop(key)
            return v

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self._w.clear()
            self._total = 0
            self.hits = self.misses = 0

    @property
    def weight(self) -> int:
        """The sum of the entries' weights (their count without ``weigh``)."""
        return self._total

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._d

    def __len__(self) -> int:
        return len(self._d)

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._d)

    def values(self) -> list[V]:
        with self._lock:
            return list(self._d.values())

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())
