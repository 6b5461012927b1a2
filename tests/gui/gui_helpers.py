"""Waiting helpers of the GUI tests (see conftest.py for why not qtbot.waitUntil)."""
from __future__ import annotations

import time


def wait_until(cond, timeout: float = 60.0, what: str = "condition") -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    t0 = time.monotonic()
    if cond():
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() - t0 > timeout else None)
    timer.start(10)
    loop.exec()
    timer.stop()
    if not cond():
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def idle(window, timeout: float = 120.0) -> None:
    """Until the worker has nothing waiting and the preview shows the current edit."""
    wait_until(lambda: window.preview_is_current() and not window.worker.busy(), timeout,
               "the preview of the current edit")
