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


def open_photo(window, path) -> None:
    """Open a photo, or a folder (its first PNG), and wait for its preview of the current edit."""
    window.open_path(path)
    if path.is_dir():
        path = sorted(p for p in path.iterdir() if p.suffix == ".png")[0]
    wait_until(lambda: window.path == path and window.last_preview is not None, 60, f"opening {path.name}")
    idle(window)


def send_mouse(widget, kind, pos, button=None, modifiers=None) -> None:
    """Send one mouse event of ``kind`` (press, move, release) at widget position ``pos``
    (QPointF); ``button`` is held for press and move, left unless told."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication
    button = Qt.MouseButton.LeftButton if button is None else button
    modifiers = Qt.KeyboardModifier.NoModifier if modifiers is None else modifiers
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, QPointF(widget.mapToGlobal(pos.toPoint())), button,
                                               buttons, modifiers))


def drag(widget, a, b, steps: int = 12, modifiers=None) -> None:
    """Press at ``a``, move to ``b`` in ``steps`` steps and release (widget positions, QPointF)."""
    from PySide6.QtCore import QEvent
    send_mouse(widget, QEvent.Type.MouseButtonPress, a, modifiers=modifiers)
    for k in range(1, steps + 1):
        send_mouse(widget, QEvent.Type.MouseMove, a + (b - a) * (k / steps), modifiers=modifiers)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, b, modifiers=modifiers)
