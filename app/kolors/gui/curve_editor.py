"""The tone-curve editor of the panel: Lightroom's point curve, RGB and per channel.

A channel selector (RGB, R, G, B) chooses which parameter is edited: ``tone_curve``,
``tone_curve_red``, ``tone_curve_green``, ``tone_curve_blue`` (points ``[[x, y], ...]`` in the
sRGB-encoded [0, 1], strictly increasing x, the ends at x = 0 and x = 1). On the graph: a
click adds a point there and drags it, a drag moves a point (x kept strictly between its
neighbours; the end points move only up and down), a right-click on a point or dragging it
off the graph deletes it, a double-click resets the channel's curve. ``curveChanged(name,
points, dragging)`` is sent as the curve changes and ``dragFinished`` when the button is let
go, so a drag is one undo step (as a slider's). The curve is drawn through the engine's own
evaluation (:func:`kolors.core.ops.tone_curve.eval_curve`), so it is the curve rendered.
"""
from __future__ import annotations

from typing import Any, Mapping

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

__all__ = ["CHANNELS", "CurveEditor", "CurveCanvas"]

#: channel label → parameter
CHANNELS = {"RGB": "tone_curve", "R": "tone_curve_red", "G": "tone_curve_green", "B": "tone_curve_blue"}
COLOURS = {"tone_curve": QColor(235, 235, 235), "tone_curve_red": QColor(240, 90, 90),
           "tone_curve_green": QColor(90, 220, 110), "tone_curve_blue": QColor(100, 150, 255)}
IDENTITY = [[0.0, 0.0], [1.0, 1.0]]
MAX_POINTS = 32
MIN_GAP = 0.01          # the closest two points may be in x
PICK = 8                # px: how near a point a click must be to take it
OFF = 24                # px: dragging an inner point this far off the graph deletes it
MARGIN = 6


def _curve_values(points, n: int = 129) -> list[tuple[float, float]]:
    """(x, y) samples of the curve through ``points`` (the engine's evaluation, in core)."""
    from ..core.ops.tone_curve import curve_samples
    return curve_samples(points, n)


class CurveCanvas(QWidget):
    """The graph of one curve (see the module docstring)."""

    changed = Signal(object, bool)          # points, dragging
    finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(200, 200)
        self.setMouseTracking(True)
        self.points: list[list[float]] = [list(p) for p in IDENTITY]
        self.colour = COLOURS["tone_curve"]
        self.others: list[tuple[QColor, list[list[float]]]] = []     # the other channels, faint
        self._drag: int | None = None
        self._off = False

    def heightForWidth(self, w: int) -> int:  # noqa: N802 - Qt
        return w

    # ------------------------------------------------------------------ mapping
    def _area(self) -> QRectF:
        side = min(self.width(), self.height()) - 2 * MARGIN
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_widget(self, x: float, y: float) -> QPointF:
        a = self._area()
        return QPointF(a.left() + x * a.width(), a.bottom() - y * a.height())

    def to_value(self, pos: QPointF) -> tuple[float, float]:
        """(x, y) of the curve at widget position ``pos``, clamped to [0, 1]."""
        a = self._area()
        x = (pos.x() - a.left()) / a.width()
        y = (a.bottom() - pos.y()) / a.height()
        return min(1.0, max(0.0, x)), min(1.0, max(0.0, y))

    def _outside(self, pos: QPointF) -> bool:
        return not self._area().adjusted(-OFF, -OFF, OFF, OFF).contains(pos)

    def point_at(self, pos: QPointF) -> int | None:
        best, bd = None, PICK ** 2
        for i, (x, y) in enumerate(self.points):
            p = self.to_widget(x, y)
            d = (p.x() - pos.x()) ** 2 + (p.y() - pos.y()) ** 2
            if d <= bd:
                best, bd = i, d
        return best

    # ------------------------------------------------------------------ editing
    def set_points(self, points) -> None:
        if self._drag is None:
            self.points = [[float(x), float(y)] for x, y in points]
            self.update()

    def _emit(self, dragging: bool) -> None:
        self.changed.emit([[round(x, 4), round(y, 4)] for x, y in self.points], dragging)

    def mousePressEvent(self, e) -> None:  # noqa: N802 - Qt
        pos = e.position()
        i = self.point_at(pos)
        if e.button() == Qt.MouseButton.RightButton:
            if i is not None and 0 < i < len(self.points) - 1:
                del self.points[i]
                self._emit(False)
                self.finished.emit()
                self.update()
            return
        if e.button() != Qt.MouseButton.LeftButton:
            return
        if i is None:                                    # a new point where the click is
            x, y = self.to_value(pos)
            if len(self.points) >= MAX_POINTS:
                return
            k = next(j for j, p in enumerate(self.points) if p[0] > x) if x < 1.0 else len(self.points) - 1
            if k == 0 or x - self.points[k - 1][0] < MIN_GAP or self.points[k][0] - x < MIN_GAP:
                return
            self.points.insert(k, [x, y])
            self._drag, self._off = k, False      # before the change is sent: the edit's echo must not
            self._emit(True)                      # replace the points being dragged (a point on the
            self.update()                         # diagonal is still the identity curve)
            return
        self._drag, self._off = i, False
        self.update()

    def mouseMoveEvent(self, e) -> None:  # noqa: N802 - Qt
        if self._drag is None:
            self.setCursor(Qt.CursorShape.PointingHandCursor if self.point_at(e.position()) is not None
                           else Qt.CursorShape.CrossCursor)
            return
        i, pos = self._drag, e.position()
        x, y = self.to_value(pos)
        n = len(self.points)
        if 0 < i < n - 1:
            self._off = self._outside(pos)
            x = min(self.points[i + 1][0] - MIN_GAP, max(self.points[i - 1][0] + MIN_GAP, x))
            self.points[i] = [x, y]
        else:                                           # the ends move only up and down
            self.points[i] = [self.points[i][0], y]
        self._emit(True)
        self.update()

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802 - Qt
        if self._drag is None:
            return
        i, self._drag = self._drag, None
        if self._off and 0 < i < len(self.points) - 1:   # dragged off the graph: gone
            del self.points[i]
            self._emit(True)
        self._off = False
        self.finished.emit()
        self.update()

    def mouseDoubleClickEvent(self, e) -> None:  # noqa: N802 - Qt
        self._drag = None
        self.points = [list(p) for p in IDENTITY]
        self._emit(False)
        self.finished.emit()
        self.update()

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        a = self._area()
        p.fillRect(self.rect(), QColor(30, 30, 32))
        p.fillRect(a, QColor(44, 44, 47))
        p.setPen(QPen(QColor(70, 70, 74), 1))
        for k in (1, 2, 3):
            x = a.left() + a.width() * k / 4
            y = a.top() + a.height() * k / 4
            p.drawLine(QPointF(x, a.top()), QPointF(x, a.bottom()))
            p.drawLine(QPointF(a.left(), y), QPointF(a.right(), y))
        p.setPen(QPen(QColor(90, 90, 95), 1, Qt.PenStyle.DashLine))
        p.drawLine(a.bottomLeft(), a.topRight())
        for colour, pts in self.others:
            faint = QColor(colour)
            faint.setAlpha(170)
            self._draw_curve(p, pts, faint, 1.0)
        self._draw_curve(p, self.points, self.colour, 2.0)
        p.setPen(QPen(QColor(20, 20, 20), 1))
        for i, (x, y) in enumerate(self.points):
            gone = self._off and i == self._drag
            p.setBrush(QColor(120, 120, 120) if gone else self.colour)
            p.drawEllipse(self.to_widget(x, y), 4.5, 4.5)
        p.end()

    def _draw_curve(self, p: QPainter, points, colour: QColor, width: float) -> None:
        path = QPainterPath()
        for k, (x, y) in enumerate(_curve_values(points)):
            pt = self.to_widget(x, min(1.0, max(0.0, y)))
            if k == 0:
                path.moveTo(pt)
            else:
                path.lineTo(pt)
        p.setPen(QPen(colour, width))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)


class CurveEditor(QWidget):
    """Channel buttons and the graph. ``curveChanged(param, points, dragging)``,
    ``dragFinished()``."""

    curveChanged = Signal(str, object, bool)
    dragFinished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for label, name in CHANNELS.items():
            b = QToolButton()
            b.setText(label)
            b.setCheckable(True)
            b.setToolTip(f"Edit the {'RGB' if label == 'RGB' else label} curve ({name})")
            b.clicked.connect(lambda _=False, n=name: self.set_channel(n))
            group.addButton(b)
            row.addWidget(b)
            self.buttons[name] = b
        row.addStretch(1)
        lay.addLayout(row)
        self.canvas = CurveCanvas()
        self.canvas.setToolTip("Click to add a point, drag to move it, right-click or drag it off to delete, "
                               "double-click to reset the curve")
        lay.addWidget(self.canvas)
        self.curves: dict[str, list[list[float]]] = {n: [list(p) for p in IDENTITY] for n in CHANNELS.values()}
        self.channel = "tone_curve"
        self.buttons[self.channel].setChecked(True)
        self.canvas.changed.connect(self._changed)
        self.canvas.finished.connect(self.dragFinished.emit)

    def set_channel(self, name: str) -> None:
        if name not in self.curves:
            raise ValueError(f"unknown curve {name!r}")
        self.channel = name
        self.buttons[name].setChecked(True)
        self.canvas.colour = COLOURS[name]
        self._show()

    def _show(self) -> None:
        self.canvas.others = [(COLOURS[n], pts) for n, pts in self.curves.items()
                              if n != self.channel and pts != IDENTITY]
        self.canvas.set_points(self.curves[self.channel])
        self.canvas.update()

    def show_settings(self, settings: Mapping[str, Any]) -> None:
        """Show the curves of ``settings`` (no signals)."""
        for n in self.curves:
            self.curves[n] = [[float(x), float(y)] for x, y in settings.get(n, IDENTITY)]
        self._show()

    def _changed(self, points, dragging: bool) -> None:
        self.curves[self.channel] = [list(p) for p in points]
        self.curveChanged.emit(self.channel, points, dragging)
