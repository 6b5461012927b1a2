"""Autosave of the open photo's edit to its sidecar: debounced after each change, and at
once before another photo opens or the window closes, through
:func:`kolors.engine.edit.save_edit` (atomic). A failure is reported once per photo, not
after every change."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from ..engine.edit import Edit, save_edit

__all__ = ["Autosave"]


class Autosave(QObject):
    """``current()`` gives ``(photo, edit, (width, height))`` of what is open, or None;
    ``warn(message)`` shows a failure."""

    def __init__(self, parent: QObject, current: Callable[[], tuple[Path, Edit, tuple[int, int]] | None],
                 warn: Callable[[str], None], delay_ms: int = 400):
        super().__init__(parent)
        self._current, self._warn = current, warn
        self._warned: set[Path] = set()
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.save)

    def schedule(self) -> None:
        """The edit changed: save it once changes pause."""
        self._timer.start()

    def flush(self) -> None:
        """Save now what is waiting (before the open photo changes)."""
        self._timer.stop()
        self.save()

    def stop(self) -> None:
        self._timer.stop()

    def opened(self) -> None:
        """Another photo is open: its failures are reported again."""
        self._warned = set()

    def save(self) -> None:
        """Write the edit next to the photo. Unedited photos get none (an old one is
        updated to the unedited state, so reopening matches)."""
        cur = self._current()
        if cur is None:
            return
        from ..io.sidecar import sidecar_path
        path, edit, size = cur
        if edit.is_unedited() and not sidecar_path(path).exists():
            return
        try:
            save_edit(path, edit, size)
        except (OSError, ValueError) as e:
            if path not in self._warned:
                self._warned.add(path)
                self._warn(f"could not save the edit of {path.name}: {e}")
