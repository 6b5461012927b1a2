"""Waiting helpers of the GUI tests (see conftest.py for why not qtbot.waitUntil)."""
from __future__ import annotations


def wait_until(cond, timeout: float = 60.0, what: str = "condition") -> None:
    from kolors.gui.app import wait_until as loop_until
    if not loop_until(cond, timeout):
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def idle(window, timeout: float = 120.0) -> None:
    """Until the worker has nothing waiting and the preview shows the current edit."""
    wait_until(lambda: window.preview_is_current() and not window.worker.busy(), timeout,
               "the preview of the current edit")


def cancel_midway(window, job: int, timeout: float = 180.0):
    """Cancel export ``job`` from the GUI thread once it is under way and wait for its end;
    returns the progress it had reached when cancelled (None if it finished first)."""
    wait_until(lambda: 0 < window._export_jobs.get(job, {}).get("progress", 0) < 1
               or getattr(window, "last_export", (0,))[0] == job, timeout, "export progress")
    seen = window._export_jobs.get(job, {}).get("progress")
    window.cancel_export(job)
    wait_until(lambda: getattr(window, "last_export", (0,))[0] == job, timeout, "the cancelled export")
    return seen
