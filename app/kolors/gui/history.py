"""The undo history of the open photo's edit: one :class:`EditCommand` per change on a
``QUndoStack``; the changes of one slider drag (or within :data:`MERGE_WINDOW_S`) merge
into one step."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..engine.edit import Edit

__all__ = ["EditCommand", "MERGE_WINDOW_S"]

MERGE_WINDOW_S = 0.8


class EditCommand(QUndoCommand):
    """One undoable change of the edit of ``window`` (which has ``_set_edit(edit)`` and
    ``_dragging``: whether a slider is being dragged). Consecutive changes of the same
    control (``key``) within a drag, or :data:`MERGE_WINDOW_S`, merge into one step."""

    def __init__(self, window: Any, old: Edit, new: Edit, text: str, key: str | None):
        super().__init__(text)
        self.window, self.old, self.new, self.key = window, old, new, key
        self.stamp = time.monotonic()
        self.open = True

    def id(self) -> int:  # noqa: A003 - Qt
        return (abs(hash(self.key)) % 1_000_000 + 1) if self.key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, EditCommand) or other.key != self.key or not self.open:
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S and not self.window._dragging:
            return False
        self.new, self.stamp = other.new, other.stamp
        return True

    def redo(self) -> None:
        self.window._set_edit(self.new)

    def undo(self) -> None:
        self.window._set_edit(self.old)
