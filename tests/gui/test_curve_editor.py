"""The tone-curve editor in the panel, driven with the mouse: add and drag a point (one undo
step, the tone_curve parameter written, the preview brighter), per-channel curves, the end
points, deleting by right-click and by dragging off, double-click reset."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gui_helpers import drag, idle, open_photo, send_mouse

pytestmark = pytest.mark.slow


def test_curve_editor_writes_the_tone_curves(window, photos):
    open_photo(window, photos[0])
    ed = window.controls.curve_editor
    cv = ed.canvas
    assert cv.width() >= 150 and cv.height() >= 150
    shown = window.last_preview.astype(float)
    steps = window.undo.count()
    # click at the middle of the diagonal and drag it up: one point, one undo step
    end = cv.to_widget(0.5, 0.7)
    drag(cv, cv.to_widget(0.5, 0.5), end)
    x, y = cv.to_value(end)
    assert window.edit.params["tone_curve"] == [[0.0, 0.0], [round(x, 4), round(y, 4)], [1.0, 1.0]]
    assert x == pytest.approx(0.5, abs=0.01) and y == pytest.approx(0.7, abs=0.01)
    assert window.undo.count() == steps + 1
    idle(window)
    assert window.last_preview.mean() > shown.mean() + 10              # the picture is brighter
    # an end point moves only up and down
    drag(cv, cv.to_widget(0.0, 0.0), cv.to_widget(0.3, 0.2))
    pts = window.edit.params["tone_curve"]
    assert pts[0][0] == 0.0 and pts[0][1] == pytest.approx(0.2, abs=0.01) and len(pts) == 3
    # the red channel: its own parameter, the RGB curve unchanged
    ed.buttons["tone_curve_red"].click()
    assert ed.channel == "tone_curve_red"
    drag(cv, cv.to_widget(0.5, 0.5), cv.to_widget(0.5, 0.3))
    assert len(window.edit.params["tone_curve_red"]) == 3
    assert window.edit.params["tone_curve"] == pts
    idle(window)
    now = window.last_preview.astype(float)
    assert now[..., 0].mean() < now[..., 2].mean() - 5 + (shown[..., 0].mean() - shown[..., 2].mean())
    # double-click resets the channel
    QApplication.sendEvent(cv, QMouseEvent(QEvent.Type.MouseButtonDblClick, cv.to_widget(0.2, 0.8),
                                           QPointF(cv.mapToGlobal(cv.to_widget(0.2, 0.8).toPoint())),
                                           Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
                                           Qt.KeyboardModifier.NoModifier))
    assert "tone_curve_red" not in window.edit.params
    # RGB: a right-click deletes the middle point; a point dragged off the graph goes too
    ed.buttons["tone_curve"].click()
    mx, my = window.edit.params["tone_curve"][1]
    at = cv.to_widget(mx, my)
    send_mouse(cv, QEvent.Type.MouseButtonPress, at, Qt.MouseButton.RightButton)
    send_mouse(cv, QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.RightButton)
    assert len(window.edit.params["tone_curve"]) == 2
    n = window.undo.count()
    drag(cv, cv.to_widget(0.6, 0.6), cv.to_widget(0.6, 0.6) + QPointF(0, cv.height()))
    assert len(window.edit.params["tone_curve"]) == 2 and window.undo.count() <= n + 1
    # undo walks back: the red curve again
    while "tone_curve_red" not in window.edit.params:
        window.undo.undo()
    assert len(window.edit.params["tone_curve_red"]) == 3
    assert len(ed.curves["tone_curve_red"]) == 3                      # the editor shows the undone state
    idle(window)
