"""The crop and straighten tool (``R``, as in Lightroom) and its buttons in the panel.

While the tool is active the viewer shows the whole photo turned, flipped and straightened
(the *tool view*: the edit's settings with the crop opened to the whole photo, see
:func:`tool_view_settings`) and :class:`CropTool` draws the crop over it: the rectangle with
handles on its corners and edges, drag inside to move it, rule-of-thirds lines, the outside
dimmed, its aspect locked to the chosen preset. The straighten tool (the level button, or
a drag with Ctrl held) draws a line along the horizon; on release the photo turns so that the
line is level. Leaving the tool (``R`` again, Enter, or another tool) shows the framed photo.

Coordinates. The tool view is the *oriented* photo (turned, flipped; ``Wo×Ho`` pixels)
turned by ``straighten`` about its centre ``C``. The crop parameter is ``[x0, y0, x1, y1]``
fractions of the oriented photo, and the engine turns the photo about the crop's centre
``c`` (:mod:`kolors.core.geometry`): so a crop of centre ``c`` and half sizes ``(a, b)`` is the
rectangle of centre ``C + R(c − C)`` and the same half sizes in the tool view (``R``: the
straighten rotation, clockwise on screen). The tool keeps the rectangle inside the turned
photo, so the engine's constraint never has to shrink it: the framed photo is what was
drawn. None of this is pixel maths: it is the geometry of one rectangle; the renders come
from the worker.

:func:`turned` and :func:`flipped` give the geometry parameters of the rotate and flip
buttons: they turn or mirror the photo *as shown* (the crop and the straightening go with
it).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGridLayout, QPushButton, QToolButton, QWidget

from .widgets import NoWheelCombo

__all__ = ["ASPECTS", "CropControls", "CropTool", "flipped", "tool_view_settings", "turned"]

#: aspect presets (width / height of the crop; "Original": the photo's; "Free": none)
ASPECTS: dict[str, float | None] = {"Original": -1.0, "Free": None, "1:1": 1.0, "3:2": 3 / 2, "4:3": 4 / 3,
                                    "16:9": 16 / 9, "4:5": 4 / 5}
HANDLE = 9              # px: how near a handle the mouse must be
MIN_FRACTION = 0.02     # the smallest crop, of the photo's width or height
FULL = [0.0, 0.0, 1.0, 1.0]


def tool_view_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What the viewer renders while the crop tool is active: ``settings`` with the crop
    opened to the whole (turned, flipped, straightened) photo and no constraint."""
    out = dict(settings)
    out["crop"] = list(FULL)
    out["crop_constrain"] = False
    return out


def _geometry(settings: Mapping[str, Any]) -> tuple[int, str, float, list[float]]:
    return (int(settings.get("rotate", "0")), str(settings.get("flip", "none")),
            float(settings.get("straighten", 0.0)), [float(c) for c in settings.get("crop", FULL)])


def turned(settings: Mapping[str, Any], clockwise: bool = True) -> dict[str, Any]:
    """Geometry parameters that turn the photo as shown a quarter turn (the crop turns
    with it; straightening is unchanged). Turning after a flip is the other flip after the
    turn (the engine turns first, then flips)."""
    rot, flip, t, (x0, y0, x1, y1) = _geometry(settings)
    if flip != "none":
        flip = "vertical" if flip == "horizontal" else "horizontal"
    if clockwise:                  # a point (x, y) of the shown photo goes to (1 − y, x)
        crop = [1 - y1, x0, 1 - y0, x1]
        rot = (rot + 90) % 360
    else:                          # (x, y) → (y, 1 − x)
        crop = [y0, 1 - x1, y1, 1 - x0]
        rot = (rot + 270) % 360
    return {"rotate": str(rot), "flip": flip, "straighten": t, "crop": _clean(crop)}


def flipped(settings: Mapping[str, Any], axis: str = "horizontal") -> dict[str, Any]:
    """Geometry parameters that mirror the photo as shown (``axis``: 'horizontal' = left
    and right swap, 'vertical' = top and bottom); the crop mirrors with it and the
    straightening changes sign."""
    rot, flip, t, (x0, y0, x1, y1) = _geometry(settings)
    if flip == "none":
        flip = axis
    elif flip == axis:
        flip = "none"
    else:                          # both mirrors: a half turn
        flip, rot = "none", (rot + 180) % 360
    crop = [1 - x1, y0, 1 - x0, y1] if axis == "horizontal" else [x0, 1 - y1, x1, 1 - y0]
    return {"rotate": str(rot), "flip": flip, "straighten": -t if t else 0.0, "crop": _clean(crop)}


def _clean(crop: list[float]) -> list[float]:
    return [min(1.0, max(0.0, round(c, 6))) for c in crop]


class CropTool(QObject):
    """The crop overlay of ``viewer`` (see the module docstring). ``changed(params, text)``:
    the geometry parameters a finished drag, a horizon line or an aspect choice asks for
    (``crop``, and ``straighten`` for a horizon), and what to call the change; the window
    makes them one undo step."""

    changed = Signal(dict, str)

    def __init__(self, viewer, parent: QObject | None = None):
        super().__init__(parent)
        self.viewer = viewer
        self.active = False
        self.aspect = "Original"
        self.level = False                 # the straighten tool: a drag draws the horizon
        self.source_size = (0, 0)          # (W, H) of the photo as decoded
        self.rotate, self.flip, self.straighten = 0, "none", 0.0
        self.rect = QRectF()               # the crop in tool-view pixels
        self._drag: tuple | None = None
        self._line: tuple[QPointF, QPointF] | None = None

    # ------------------------------------------------------------------ geometry
    @property
    def oriented_size(self) -> tuple[int, int]:
        W, H = self.source_size
        return (H, W) if self.rotate in (90, 270) else (W, H)

    def _rot(self) -> tuple[float, float]:
        t = math.radians(self.straighten)
        return math.cos(t), math.sin(t)

    def sync(self, settings: Mapping[str, Any], source_size: tuple[int, int]) -> None:
        """Take the geometry of ``settings`` (the rectangle follows the crop parameter,
        shrunk as the engine's constraint would)."""
        from ..core.geometry import Framing
        self.source_size = (int(source_size[0]), int(source_size[1]))
        self.rotate, self.flip, self.straighten, crop = _geometry(settings)
        f = Framing(self.source_size[0], self.source_size[1], self.rotate, self.flip, self.straighten,
                    tuple(crop), bool(settings.get("crop_constrain", True)))
        cx, cy, a, b = f.crop_box()
        Wo, Ho = self.oriented_size
        c, s = self._rot()
        dx, dy = cx - Wo / 2, cy - Ho / 2                 # oriented → tool view: C + R(c − C)
        px, py = Wo / 2 + c * dx - s * dy, Ho / 2 + s * dx + c * dy
        self.rect = QRectF(px - a, py - b, 2 * a, 2 * b)
        self.viewer.update()

    def crop_param(self, rect: QRectF | None = None) -> list[float]:
        """The crop parameter of ``rect`` (default the tool's rectangle)."""
        r = self.rect if rect is None else rect
        Wo, Ho = self.oriented_size
        c, s = self._rot()
        dx, dy = r.center().x() - Wo / 2, r.center().y() - Ho / 2      # tool view → oriented: C + Rᵀ(P − C)
        cx, cy = Wo / 2 + c * dx + s * dy, Ho / 2 - s * dx + c * dy
        a, b = r.width() / 2, r.height() / 2
        return _clean([(cx - a) / Wo, (cy - b) / Ho, (cx + a) / Wo, (cy + b) / Ho])

    def _fits(self, r: QRectF) -> bool:
        """Is ``r`` inside the turned photo (and its crop parameter inside [0, 1])?"""
        Wo, Ho = self.oriented_size
        if r.width() < MIN_FRACTION * Wo - 1e-6 or r.height() < MIN_FRACTION * Ho - 1e-6:
            return False
        c, s = self._rot()
        dx, dy = r.center().x() - Wo / 2, r.center().y() - Ho / 2
        cx, cy = Wo / 2 + c * dx + s * dy, Ho / 2 - s * dx + c * dy
        a, b = r.width() / 2, r.height() / 2
        ex, ey = min(cx, Wo - cx), min(cy, Ho - cy)
        eps = 1e-6 * max(Wo, Ho)
        return (a * abs(c) + b * abs(s) <= ex + eps and a * abs(s) + b * abs(c) <= ey + eps
                and a <= ex + eps and b <= ey + eps)

    def _fit_shrink(self, r: QRectF) -> QRectF:
        """``r`` shrunk about its centre until it fits (its centre moved inside first)."""
        Wo, Ho = self.oriented_size
        ctr = QPointF(min(max(r.center().x(), 1.0), Wo - 1.0), min(max(r.center().y(), 1.0), Ho - 1.0))
        lo, hi = 0.0, 1.0
        for _ in range(40):
            k = (lo + hi) / 2
            if self._fits(self._scaled(ctr, r, k)):
                lo = k
            else:
                hi = k
        if self._fits(self._scaled(ctr, r, 1.0)):
            lo = 1.0
        return self._scaled(ctr, r, max(lo, 1e-3))

    @staticmethod
    def _scaled(ctr: QPointF, r: QRectF, k: float) -> QRectF:
        w, h = r.width() * k, r.height() * k
        return QRectF(ctr.x() - w / 2, ctr.y() - h / 2, w, h)

    def _toward(self, old: QRectF, new: QRectF) -> QRectF:
        """The furthest rectangle on the way from ``old`` (which fits) to ``new`` that fits."""
        if self._fits(new):
            return new
        if not self._fits(old):
            return self._fit_shrink(new)
        lo, hi = 0.0, 1.0

        def at(t: float) -> QRectF:
            return QRectF(old.x() + t * (new.x() - old.x()), old.y() + t * (new.y() - old.y()),
                          old.width() + t * (new.width() - old.width()), old.height() + t * (new.height() - old.height()))
        for _ in range(30):
            m = (lo + hi) / 2
            if self._fits(at(m)):
                lo = m
            else:
                hi = m
        return at(lo)

    def ratio(self, rect: QRectF | None = None) -> float | None:
        """Width / height the aspect preset asks for, in the orientation of ``rect`` (default
        the crop); None: free."""
        rect = self.rect if rect is None else rect
        r = ASPECTS.get(self.aspect)
        if r is None:
            return None
        if r < 0:
            Wo, Ho = self.oriented_size
            r = Wo / Ho
        portrait = rect.height() > rect.width()
        return 1 / r if (portrait and r > 1) or (not portrait and r < 1) else r

    # ------------------------------------------------------------------ commands
    def set_aspect(self, name: str) -> None:
        """Choose an aspect preset: the crop becomes the largest rectangle of that aspect
        inside the current one (about its centre), and is applied."""
        if name not in ASPECTS:
            raise ValueError(f"unknown aspect {name!r}; one of {', '.join(ASPECTS)}")
        self.aspect = name
        r = self.ratio()
        if r is None or self.rect.isEmpty():
            return
        self._apply_ratio(r)

    def swap_orientation(self) -> None:
        """Portrait ↔ landscape crop of the same aspect (``X`` in Lightroom)."""
        r = self.ratio()
        if self.rect.isEmpty():
            return
        if r is None:
            r = self.rect.width() / max(1e-9, self.rect.height())
        self._apply_ratio(1 / r, force=True)

    def _apply_ratio(self, r: float, force: bool = False) -> None:
        c = self.rect.center()
        w, h = self.rect.width(), self.rect.height()
        if force:                          # keep the area, take the new shape
            area = w * h
            w, h = math.sqrt(area * r), math.sqrt(area / r)
        elif w / h > r:
            w = h * r
        else:
            h = w / r
        self.rect = self._fit_shrink(QRectF(c.x() - w / 2, c.y() - h / 2, w, h))
        self.viewer.update()
        self.changed.emit({"crop": self.crop_param()}, f"Crop {self.aspect}")

    def reset(self) -> None:
        """The whole photo, level."""
        self.changed.emit({"crop": list(FULL), "straighten": 0.0}, "Reset crop")

    def level_params(self, p0: QPointF, p1: QPointF) -> dict[str, Any] | None:
        """The geometry that makes the line from ``p0`` to ``p1`` (tool-view pixels) level
        (or plumb, for a line nearer vertical): the new straighten angle, and the crop
        rectangle kept where it is on screen, shrunk to fit the newly turned photo."""
        dx, dy = p1.x() - p0.x(), p1.y() - p0.y()
        if math.hypot(dx, dy) < 3:
            return None
        alpha = math.degrees(math.atan2(dy, dx))          # y down: a horizon rising to the right is < 0
        if alpha > 90:
            alpha -= 180
        elif alpha <= -90:
            alpha += 180
        if abs(alpha) > 45:                                # a vertical: make it plumb
            alpha -= math.copysign(90, alpha)
        t = min(45.0, max(-45.0, round(self.straighten - alpha, 3)))
        old = self.straighten
        self.straighten = t
        rect = self._fit_shrink(self.rect)
        crop = self.crop_param(rect)
        self.straighten = old
        return {"straighten": t, "crop": crop}

    # ------------------------------------------------------------------ painting
    def _widget_rect(self) -> QRectF:
        v = self.viewer
        return QRectF(v.to_widget(self.rect.topLeft()), v.to_widget(self.rect.bottomRight()))

    def paint(self, p: QPainter) -> None:
        if not self.active or self.rect.isEmpty():
            return
        v = self.viewer
        r = self._widget_rect()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        dim = QColor(0, 0, 0, 150)                 # the outside of the crop, dimmed
        W, H = float(v.width()), float(v.height())
        for part in (QRectF(0, 0, W, max(0.0, r.top())), QRectF(0, r.bottom(), W, max(0.0, H - r.bottom())),
                     QRectF(0, r.top(), max(0.0, r.left()), r.height()),
                     QRectF(r.right(), r.top(), max(0.0, W - r.right()), r.height())):
            p.fillRect(part, dim)
        # the turned photo's outline (straightened: where its edges are)
        if self.straighten:
            Wo, Ho = self.oriented_size
            c, s = self._rot()
            pts = []
            for ox, oy in ((0, 0), (Wo, 0), (Wo, Ho), (0, Ho)):
                dx, dy = ox - Wo / 2, oy - Ho / 2
                pts.append(v.to_widget(QPointF(Wo / 2 + c * dx - s * dy, Ho / 2 + s * dx + c * dy)))
            p.setPen(QPen(QColor(255, 255, 255, 90), 1, Qt.PenStyle.DotLine))
            p.drawPolygon(QPolygonF(pts))
        # rule of thirds
        p.setPen(QPen(QColor(255, 255, 255, 150), 1))
        for k in (1, 2):
            x = r.left() + r.width() * k / 3
            y = r.top() + r.height() * k / 3
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        p.setPen(QPen(QColor(250, 250, 250), 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r)
        p.setBrush(QColor(250, 250, 250))
        for h in self._handles(r).values():
            p.drawRect(QRectF(h.x() - 4, h.y() - 4, 8, 8))
        if self._line is not None:
            p.setPen(QPen(QColor(255, 210, 0), 2))
            p.drawLine(*self._line)
        label = f"{self.aspect} · {round(self.rect.width())}×{round(self.rect.height())}"
        if self.level:
            label += " · drag along the horizon"
        p.setPen(QColor(235, 235, 235))
        p.drawText(QRectF(10, v.height() - 28, v.width() - 20, 20), Qt.AlignmentFlag.AlignLeft, label)
        p.restore()

    @staticmethod
    def _handles(r: QRectF) -> dict[str, QPointF]:
        cx, cy = r.center().x(), r.center().y()
        return {"tl": r.topLeft(), "tr": r.topRight(), "bl": r.bottomLeft(), "br": r.bottomRight(),
                "t": QPointF(cx, r.top()), "b": QPointF(cx, r.bottom()), "l": QPointF(r.left(), cy),
                "r": QPointF(r.right(), cy)}

    def hit(self, pos: QPointF) -> str | None:
        """'tl', 't', … for a handle under ``pos`` (widget pixels), 'move' inside, else None."""
        r = self._widget_rect()
        for name, h in self._handles(r).items():
            if abs(pos.x() - h.x()) <= HANDLE and abs(pos.y() - h.y()) <= HANDLE:
                return name
        return "move" if r.contains(pos) else None

    # ------------------------------------------------------------------ mouse
    _CURSORS = {"tl": Qt.CursorShape.SizeFDiagCursor, "br": Qt.CursorShape.SizeFDiagCursor,
                "tr": Qt.CursorShape.SizeBDiagCursor, "bl": Qt.CursorShape.SizeBDiagCursor,
                "t": Qt.CursorShape.SizeVerCursor, "b": Qt.CursorShape.SizeVerCursor,
                "l": Qt.CursorShape.SizeHorCursor, "r": Qt.CursorShape.SizeHorCursor,
                "move": Qt.CursorShape.SizeAllCursor}

    def mouse_press(self, e) -> bool:
        if not self.active or e.button() != Qt.MouseButton.LeftButton:
            return False
        pos = e.position()
        if self.level or e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._drag = ("level",)
            self._line = (pos, pos)
            return True
        what = self.hit(pos)
        if what is None:
            return False                    # outside: the viewer pans
        self._drag = (what, self.viewer.to_image(pos), QRectF(self.rect))
        return True

    def mouse_move(self, e) -> bool:
        if not self.active:
            return False
        pos = e.position()
        if self._drag is None:
            what = None if self.level else self.hit(pos)
            self.viewer.setCursor(Qt.CursorShape.CrossCursor if self.level else
                                  self._CURSORS.get(what, Qt.CursorShape.OpenHandCursor))
            return True
        if self._drag[0] == "level":
            self._line = (self._line[0], pos)
            self.viewer.update()
            return True
        what, start, old = self._drag
        cur = self.viewer.to_image(pos)
        d = cur - start
        if what == "move":
            new = old.translated(d)
        else:
            new = self._resized(old, what, cur)
        self.rect = self._toward(old if self._fits(old) else self._fit_shrink(old), new)
        self.viewer.update()
        return True

    def _resized(self, old: QRectF, what: str, cur: QPointF) -> QRectF:
        """``old`` with handle ``what`` dragged to ``cur`` (tool-view pixels), the opposite
        corner or edge fixed, the aspect kept."""
        Wo, Ho = self.oriented_size
        mw, mh = MIN_FRACTION * Wo, MIN_FRACTION * Ho
        ratio = self.ratio(old)
        left, top, right, bottom = old.left(), old.top(), old.right(), old.bottom()
        if len(what) == 2:                              # a corner: the opposite one stays
            fx = right if "l" in what else left
            fy = bottom if "t" in what else top
            w = max(mw, (fx - cur.x()) if "l" in what else (cur.x() - fx))
            h = max(mh, (fy - cur.y()) if "t" in what else (cur.y() - fy))
            if ratio is not None:
                if w / h > ratio:
                    h = w / ratio
                else:
                    w = h * ratio
            x0 = fx - w if "l" in what else fx
            y0 = fy - h if "t" in what else fy
            return QRectF(x0, y0, w, h)
        cx, cy = old.center().x(), old.center().y()
        if what in ("l", "r"):
            fx = right if what == "l" else left
            w = max(mw, (fx - cur.x()) if what == "l" else (cur.x() - fx))
            h = w / ratio if ratio is not None else old.height()
            return QRectF(fx - w if what == "l" else fx, cy - h / 2 if ratio is not None else top, w, h)
        fy = bottom if what == "t" else top
        h = max(mh, (fy - cur.y()) if what == "t" else (cur.y() - fy))
        w = h * ratio if ratio is not None else old.width()
        return QRectF(cx - w / 2 if ratio is not None else left, fy - h if what == "t" else fy, w, h)

    def mouse_release(self, e) -> bool:
        if not self.active or self._drag is None:
            return False
        kind = self._drag[0]
        self._drag = None
        if kind == "level":
            p0, p1 = self._line
            self._line = None
            v = self.viewer
            params = self.level_params(v.to_image(p0), v.to_image(p1))
            v.update()
            if params is not None:
                self.changed.emit(params, f"Straighten {params['straighten']:.2f}°")
            return True
        self.viewer.update()
        self.changed.emit({"crop": self.crop_param()}, "Crop")
        return True


class CropControls(QWidget):
    """The crop tool's buttons in the panel's geometry group. Signals: ``toolToggled(on)``,
    ``aspectChosen(name)``, ``swapRequested()``, ``levelToggled(on)``, ``turnRequested(clockwise)``,
    ``flipRequested(axis)``, ``resetRequested()``."""

    toolToggled = Signal(bool)
    aspectChosen = Signal(str)
    swapRequested = Signal()
    levelToggled = Signal(bool)
    turnRequested = Signal(bool)
    flipRequested = Signal(str)
    resetRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        g = QGridLayout(self)
        g.setContentsMargins(0, 0, 0, 0)
        g.setSpacing(3)
        self.crop = QPushButton("Crop (R)")
        self.crop.setCheckable(True)
        self.crop.setToolTip("Crop tool: drag the handles, drag inside to move; Enter or R applies")
        self.aspect = NoWheelCombo()
        self.aspect.addItems(list(ASPECTS))
        self.aspect.setToolTip("Aspect ratio of the crop")
        self.swap = QToolButton()
        self.swap.setText("⟲ Swap")
        self.swap.setToolTip("Portrait ↔ landscape crop (X)")
        self.level = QPushButton("Straighten")
        self.level.setCheckable(True)
        self.level.setToolTip("Draw a line along the horizon (or hold Ctrl and drag in the crop tool)")
        self.left = QToolButton()
        self.left.setText("⟲ 90°")
        self.left.setToolTip("Rotate left (counter-clockwise)")
        self.right = QToolButton()
        self.right.setText("⟳ 90°")
        self.right.setToolTip("Rotate right (clockwise)")
        self.flip_h = QToolButton()
        self.flip_h.setText("⇋ Flip")
        self.flip_h.setToolTip("Flip horizontally (mirror left and right)")
        self.flip_v = QToolButton()
        self.flip_v.setText("⇅ Flip")
        self.flip_v.setToolTip("Flip vertically")
        self.reset = QToolButton()
        self.reset.setText("Reset")
        self.reset.setToolTip("Whole photo, level")
        g.addWidget(self.crop, 0, 0)
        g.addWidget(self.aspect, 0, 1)
        g.addWidget(self.swap, 0, 2)
        g.addWidget(self.level, 1, 0)
        g.addWidget(self.left, 1, 1)
        g.addWidget(self.right, 1, 2)
        g.addWidget(self.reset, 2, 0)
        g.addWidget(self.flip_h, 2, 1)
        g.addWidget(self.flip_v, 2, 2)
        self.crop.toggled.connect(self.toolToggled.emit)
        self.aspect.currentTextChanged.connect(self.aspectChosen.emit)
        self.swap.clicked.connect(self.swapRequested.emit)
        self.level.toggled.connect(self.levelToggled.emit)
        self.left.clicked.connect(lambda: self.turnRequested.emit(False))
        self.right.clicked.connect(lambda: self.turnRequested.emit(True))
        self.flip_h.clicked.connect(lambda: self.flipRequested.emit("horizontal"))
        self.flip_v.clicked.connect(lambda: self.flipRequested.emit("vertical"))
        self.reset.clicked.connect(self.resetRequested.emit)

    def show_state(self, active: bool, level: bool) -> None:
        """Show whether the tool and the straighten tool are on (no signals)."""
        for b, on in ((self.crop, active), (self.level, level)):
            b.blockSignals(True)
            b.setChecked(on)
            b.blockSignals(False)
