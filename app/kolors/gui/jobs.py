"""Bookkeeping of the window's render jobs: which edit version a job of 100 % tiles was
asked for (tiles of an older edit are not shown), and when each recent preview was
requested and its stages painted (latency measurement: tests and bench/gui_latency.py)."""
from __future__ import annotations

import time

from ..core.lru import LRU

__all__ = ["JobLog"]


class JobLog:
    """``painted``: ``(job, stage, seconds since the job was requested)`` for every stage
    painted of the last ``keep`` requested previews."""

    def __init__(self, keep: int = 256):
        self._requested: LRU[int, float] = LRU(keep)
        self._versions: LRU[int, int] = LRU(keep)
        self.painted: list[tuple[int, str, float]] = []

    def requested(self, job: int) -> None:
        self._requested.put(job, time.perf_counter())

    def mark(self, job: int, stage: str) -> None:
        """Stage ``stage`` of preview ``job`` is on screen now."""
        t = self._requested.get(job)
        if t is not None:
            self.painted.append((job, stage, time.perf_counter() - t))

    def for_version(self, job: int, version: int) -> None:
        """Job ``job`` renders edit version ``version``."""
        self._versions.put(job, version)

    def version(self, job: int) -> int | None:
        return self._versions.get(job)
