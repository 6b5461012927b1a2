"""Small widgets shared by the panels: a value field and a choice that take the mouse
wheel only when they have the focus (so the wheel scrolls the panel around them)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QWidget

__all__ = ["NoWheelCombo", "NoWheelSpin", "wheel_only_focused"]


def wheel_only_focused(widget: QWidget, event) -> bool:
    """True when ``widget`` may take the wheel ``event`` (it has the focus); else the event
    is ignored, so it goes on to the scroll area around the widget."""
    if widget.hasFocus():
        return True
    event.ignore()
    return False


class _FocusedWheel:
    """Mixin for a Qt input widget: takes the keyboard focus on click or tab (not on the
    wheel) and the wheel only while it has the focus."""

    def __init__(self, *a):
        super().__init__(*a)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, e) -> None:  # noqa: N802 - Qt
        if wheel_only_focused(self, e):
            super().wheelEvent(e)


class NoWheelSpin(_FocusedWheel, QDoubleSpinBox):
    """A QDoubleSpinBox that scrolls its value only while focused."""


class NoWheelCombo(_FocusedWheel, QComboBox):
    """A QComboBox that changes its choice with the wheel only while focused."""
