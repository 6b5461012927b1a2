"""On-canvas handles of the selected mask, the brush, and the mask overlay.

An overlay of the :class:`~kolors.gui.viewer.Viewer` (``paint(p)``, ``mouse_press/move/
release(e) -> bool``, as the crop tool). Coordinates: the viewer's image pixels are the
framed photo's full-resolution pixels; masks store fractions of the framed photo (x right,
y down), so a point is ``(x / W, y / H)``.

* Linear gradient: a handle at ``start`` (full strength, solid line across the photo) and
  at ``end`` (no effect, dashed line); drag a handle to move it, drag the middle to move both.
* Radial: drag the centre to move it, the handles on the ellipse's right and bottom edges
  to change its radii (in pixels of the photo), the inner dashed ellipse is where the
  feather starts.
* Brush: the cursor is the brush (outer circle: its size; inner: where the feather starts);
  a drag paints a stroke (Alt, or Erase in the panel: erases); ``[`` and ``]`` resize it.
  Points closer than a quarter of the brush radius are merged, as the stroke is stored.

Changes go out through ``changed(index, mask, dragging, label)``; the window makes them an
undoable edit. No pixel maths: the overlay image is the worker's.
"""
from __future__ import annotations

import copy
import math
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen

from ..core.masks import BRUSH_SIZE, COORD_RANGE, RADIUS_MAX

__all__ = ["MaskTool"]

HANDLE = 9            # px: how near a handle the mouse must be
_WHITE = QColor(250, 250, 250)
_SHADOW = QColor(0, 0, 0, 160)


class MaskTool(QObject):
    changed = Signal(int, dict, bool, str)
    finished = Signal()

    def __init__(self, viewer):
        super().__init__()
        self.viewer = viewer
        self.masks: list[dict[str, Any]] = []
        self.index = -1
        self.brush: dict[str, Any] = {"size": 0.05, "feather": 0.5, "flow": 1.0, "erase": False}
        self.overlay = None            # QImage of the selected mask's weight (RGBA), or None
        self.show_overlay = False
        self._drag: tuple | None = None
        self._hover: QPointF | None = None

    # ------------------------------------------------------------------ state
    def set_state(self, masks: list[dict[str, Any]], index: int) -> None:
        if self._drag is None:           # mid-drag the tool's own copy is the newest
            self.masks = copy.deepcopy(list(masks or []))
        self.index = index if 0 <= index < len(self.masks) else -1

    def current(self) -> dict[str, Any] | None:
        return self.masks[self.index] if 0 <= self.index < len(self.masks) else None

    def _size(self) -> tuple[float, float]:
        w, h = self.viewer.image_size
        return float(max(1, w)), float(max(1, h))

    def _to_widget(self, fx: float, fy: float) -> QPointF:
        W, H = self._size()
        return self.viewer.to_widget(QPointF(fx * W, fy * H))

    def _to_fraction(self, pos: QPointF) -> tuple[float, float]:
        W, H = self._size()
        p = self.viewer.to_image(pos)
        return p.x() / W, p.y() / H

    def _brush_radius_px(self) -> float:
        """The brush radius on screen (widget pixels)."""
        W, H = self._size()
        return 0.5 * self.brush["size"] * max(W, H) * self.viewer.zoom

    # ------------------------------------------------------------------ painting
    def paint(self, p: QPainter) -> None:
        v = self.viewer
        if self.show_overlay and self.overlay is not None:
            W, H = self._size()
            o = v.to_widget(QPointF(0, 0))
            p.drawImage(QRectF(o.x(), o.y(), W * v.zoom, H * v.zoom), self.overlay)
        m = self.current()
        if m is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        kind = m["kind"]
        if kind == "linear":
            self._paint_linear(p, m)
        elif kind == "radial":
            self._paint_radial(p, m)
        elif kind == "brush" and self._hover is not None:
            r = self._brush_radius_px()
            for rad, style in ((r, Qt.PenStyle.SolidLine), (r * (1 - self.brush["feather"]), Qt.PenStyle.DashLine)):
                if rad > 1:
                    p.setPen(QPen(_SHADOW, 3))
                    p.drawEllipse(self._hover, rad, rad)
                    p.setPen(QPen(_WHITE, 1, style))
                    p.drawEllipse(self._hover, rad, rad)
            if self.brush["erase"]:
                p.drawLine(self._hover - QPointF(4, 0), self._hover + QPointF(4, 0))

    def _handle(self, p: QPainter, pt: QPointF, filled: bool = True) -> None:
        p.setPen(QPen(_SHADOW, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(pt, 6, 6)
        p.setPen(QPen(_WHITE, 1.5))
        p.setBrush(_WHITE if filled else Qt.BrushStyle.NoBrush)
        p.drawEllipse(pt, 5, 5)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_linear(self, p: QPainter, m: dict) -> None:
        a, b = self._to_widget(*m["start"]), self._to_widget(*m["end"])
        d = b - a
        n = math.hypot(d.x(), d.y()) or 1.0
        perp = QPointF(-d.y() / n, d.x() / n) * 4000.0        # lines across the whole photo
        for c, style in ((a, Qt.PenStyle.SolidLine), (b, Qt.PenStyle.DashLine)):
            p.setPen(QPen(_SHADOW, 3))
            p.drawLine(c - perp, c + perp)
            p.setPen(QPen(_WHITE, 1, style))
            p.drawLine(c - perp, c + perp)
        p.setPen(QPen(_WHITE, 1, Qt.PenStyle.DotLine))
        p.drawLine(a, b)
        self._handle(p, a)
        self._handle(p, b, filled=False)

    def _radial_geometry(self, m: dict) -> tuple[QPointF, float, float, float]:
        W, H = self._size()
        z = self.viewer.zoom
        return self._to_widget(*m["center"]), m["radius"][0] * W * z, m["radius"][1] * H * z, float(m.get("angle", 0))

    def _paint_radial(self, p: QPainter, m: dict) -> None:
        c, rx, ry, ang = self._radial_geometry(m)
        inner = 1.0 - float(m.get("feather", 0.5))
        p.save()
        p.translate(c)
        p.rotate(ang)
        for k, style in ((1.0, Qt.PenStyle.SolidLine), (inner, Qt.PenStyle.DashLine)):
            if k * min(rx, ry) > 1:
                p.setPen(QPen(_SHADOW, 3))
                p.drawEllipse(QPointF(0, 0), rx * k, ry * k)
                p.setPen(QPen(_WHITE, 1, style))
                p.drawEllipse(QPointF(0, 0), rx * k, ry * k)
        p.restore()
        for pt in self._radial_handles(m).values():
            self._handle(p, pt, filled=False)
        self._handle(p, c)

    def _radial_handles(self, m: dict) -> dict[str, QPointF]:
        c, rx, ry, ang = self._radial_geometry(m)
        a = math.radians(ang)
        ca, sa = math.cos(a), math.sin(a)
        return {"rx": c + QPointF(rx * ca, rx * sa), "ry": c + QPointF(-ry * sa, ry * ca)}

    # ------------------------------------------------------------------ mouse
    @staticmethod
    def _near(a: QPointF, b: QPointF) -> bool:
        return math.hypot(a.x() - b.x(), a.y() - b.y()) <= HANDLE

    def mouse_press(self, e) -> bool:
        m = self.current()
        if m is None or e.button() != Qt.MouseButton.LeftButton:
            return False
        pos = e.position()
        kind = m["kind"]
        if kind == "linear":
            a, b = self._to_widget(*m["start"]), self._to_widget(*m["end"])
            if self._near(pos, a):
                self._drag = ("start",)
            elif self._near(pos, b):
                self._drag = ("end",)
            elif self._on_segment(pos, a, b):
                self._drag = ("move", self._to_fraction(pos), list(m["start"]), list(m["end"]))
            else:
                return False
            return True
        if kind == "radial":
            c = self._radial_geometry(m)[0]
            hs = self._radial_handles(m)
            if self._near(pos, hs["rx"]):
                self._drag = ("rx",)
            elif self._near(pos, hs["ry"]):
                self._drag = ("ry",)
            elif self._near(pos, c) or self._inside(pos, m):
                self._drag = ("center", self._to_fraction(pos), list(m["center"]))
            else:
                return False
            return True
        if kind == "brush":
            erase = bool(self.brush["erase"] or e.modifiers() & Qt.KeyboardModifier.AltModifier)
            stroke = {"points": [list(self._to_fraction(pos))], "size": float(self.brush["size"]),
                      "feather": float(self.brush["feather"]), "flow": float(self.brush["flow"]), "erase": erase}
            m["strokes"] = list(m.get("strokes", [])) + [stroke]
            self._drag = ("paint",)
            self._emit(True, "Erase" if erase else "Brush")
            return True
        return False

    def _on_segment(self, pos: QPointF, a: QPointF, b: QPointF) -> bool:
        d = b - a
        n2 = d.x() ** 2 + d.y() ** 2
        if n2 < 1:
            return False
        t = ((pos.x() - a.x()) * d.x() + (pos.y() - a.y()) * d.y()) / n2
        q = a + d * min(1.0, max(0.0, t))
        return 0 < t < 1 and self._near(pos, q)

    def _inside(self, pos: QPointF, m: dict) -> bool:
        c, rx, ry, ang = self._radial_geometry(m)
        a = math.radians(ang)
        u, v = pos.x() - c.x(), pos.y() - c.y()
        ur, vr = u * math.cos(a) + v * math.sin(a), -u * math.sin(a) + v * math.cos(a)
        return rx > 0 and ry > 0 and (ur / rx) ** 2 + (vr / ry) ** 2 <= 0.25   # the inner half: move

    def mouse_move(self, e) -> bool:
        pos = e.position()
        m = self.current()
        if self._drag is None:
            if m is not None and m["kind"] == "brush":
                self._hover = pos
                self.viewer.setCursor(Qt.CursorShape.BlankCursor)
                self.viewer.update()
                return True
            self._hover = None
            return False
        fx, fy = self._to_fraction(pos)
        kind = self._drag[0]
        if kind in ("start", "end"):
            m[kind] = [fx, fy]
        elif kind == "move":
            (x0, y0), s, t = self._drag[1], self._drag[2], self._drag[3]
            m["start"] = [s[0] + fx - x0, s[1] + fy - y0]
            m["end"] = [t[0] + fx - x0, t[1] + fy - y0]
        elif kind == "center":
            (x0, y0), c = self._drag[1], self._drag[2]
            m["center"] = [c[0] + fx - x0, c[1] + fy - y0]
        elif kind in ("rx", "ry"):
            W, H = self._size()
            cx, cy = m["center"]
            d = math.hypot((fx - cx) * W, (fy - cy) * H)
            r = list(m["radius"])
            if kind == "rx":
                r[0] = max(1e-3, d / W)
            else:
                r[1] = max(1e-3, d / H)
            m["radius"] = r
        elif kind == "paint":
            self._hover = pos
            pts = m["strokes"][-1]["points"]
            W, H = self._size()
            last = pts[-1]
            step = 0.25 * 0.5 * self.brush["size"] * max(W, H)
            if math.hypot((fx - last[0]) * W, (fy - last[1]) * H) < step:
                self.viewer.update()
                return True
            pts.append([fx, fy])
        self._clamp(m)
        self._emit(True, {"paint": "Brush"}.get(kind, "Move mask"))
        return True

    @staticmethod
    def _clamp(m: dict) -> None:
        """Keep points within the range the masks accept (a little outside the photo)."""
        lo, hi = COORD_RANGE

        def cl(p):
            return [min(hi, max(lo, float(c))) for c in p]
        for k in ("start", "end", "center"):
            if k in m:
                m[k] = cl(m[k])
        if "radius" in m:
            m["radius"] = [min(RADIUS_MAX, max(1e-3, float(r))) for r in m["radius"]]
        if m.get("start") is not None and m.get("start") == m.get("end"):
            m["end"] = [m["end"][0], m["end"][1] + 1e-3]     # a gradient needs two points

    def mouse_release(self, e) -> bool:
        if self._drag is None:
            return False
        kind = self._drag[0]
        self._drag = None
        self._emit(False, "Brush" if kind == "paint" else "Move mask")
        self.finished.emit()
        return True

    def _emit(self, dragging: bool, label: str) -> None:
        self.changed.emit(self.index, copy.deepcopy(self.masks[self.index]), dragging, label)
        self.viewer.update()

    def resize_brush(self, factor: float) -> None:
        self.brush["size"] = min(BRUSH_SIZE[1], max(BRUSH_SIZE[0], self.brush["size"] * factor))
        self.viewer.update()
