"""The before/after viewer: split wipe, side by side, toggle; synced zoom and pan.

It only draws QImages the worker made: the *proxy* previews (before and after, screen
sized) and, above the proxy's resolution (e.g. 100 %), full-resolution tiles of the
visible area. Coordinates: ``zoom`` is screen pixels per full-resolution image pixel of the
photo *as framed* (cropped, turned, straightened: ``image_size`` is the framed size);
``center`` is the image point at the middle of the (each, in side by side) view.

With clipping warnings on (``clipping``), the edited side shows ``clip_after`` (the
worker's overlay of the same preview) instead of the preview. A tool that draws on the
photo (the crop tool) is an ``overlay``: it paints over the photo and gets the mouse
first; while one is set the viewer shows one pane.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

__all__ = ["Viewer", "MODES"]

MODES = ("split", "side", "toggle")


class Viewer(QWidget):
    viewChanged = Signal()                 # zoom, pan or size changed
    filesDropped = Signal(list)            # list[str]
    areaPicked = Signal(str, tuple)        # tool ('wb' | 'roi'), (x, y, w, h) in image pixels

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.mode = "split"
        self.show_before = False           # toggle mode: which side is shown
        self.divider = 0.5                 # split mode: fraction of the width
        self.fit = True
        self.zoom = 1.0
        self.center = QPointF(0, 0)
        self.image_size = (0, 0)           # (w, h) of the full-resolution photo
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.after_partial: QImage | None = None   # fine bands being assembled
        self.tiles_after: dict[tuple, QImage] = {}
        self.tiles_before: dict[tuple, QImage] = {}
        self.clipping = False              # show the clipping warning instead of the edit
        self.clip_after: QImage | None = None
        self.proofing = False              # show the soft proof instead of the edit
        self.proof_after: QImage | None = None
        self.tool: str | None = None       # None | 'wb' | 'roi'
        self.overlay = None                # e.g. the crop tool: paint(p), mouse_press/move/release(e) -> bool
        self.rois: list[tuple[int, int, int, int]] = []
        self._drag: tuple | None = None
        self._rubber: QRectF | None = None
        self.message = "Open a photo (Ctrl+O) or drop files or a folder here"

    # ------------------------------------------------------------------ state
    def set_photo(self, size: tuple[int, int]) -> None:
        self.image_size = size
        self.before = self.after = self.after_partial = None
        self.tiles_after.clear()
        self.tiles_before.clear()
        self.rois = []
        self.fit = True
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def set_image_size(self, size: tuple[int, int]) -> None:
        """The framed photo's size changed (a crop, a turn): refit, forget tiles; the
        images shown stay until the new renders replace them."""
        size = (int(size[0]), int(size[1]))
        if size == tuple(self.image_size):
            return
        self.image_size = size
        self.tiles_after.clear()
        self.tiles_before.clear()
        self.fit = True
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def view_state(self) -> tuple[str, bool]:
        """(mode, show_before): what :meth:`set_view_state` restores."""
        return self.mode, self.show_before

    def set_view_state(self, state: tuple[str, bool]) -> None:
        self.mode, self.show_before = state
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def show_after_only(self) -> None:
        """One pane with the edited photo (toggle mode, showing after)."""
        self.set_view_state(("toggle", False))

    def clear_tiles(self, before: bool = True) -> None:
        """Forget the full-resolution tiles (``before=False``: only the edited ones: the
        unedited render of the same source does not change with the edit)."""
        self.tiles_after.clear()
        if before:
            self.tiles_before.clear()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def toggle(self) -> None:
        """Lightroom's ``\\``: in toggle mode flip before/after; else enter toggle mode."""
        if self.mode != "toggle":
            self.mode = "toggle"
            self.show_before = True
        else:
            self.show_before = not self.show_before
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def _pane(self) -> QRect:
        """The rectangle one view of the photo occupies (half the widget side by side)."""
        r = self.rect()
        if self.mode == "side":
            return QRect(0, 0, r.width() // 2 - 2, r.height())
        return r

    def fit_zoom(self) -> float:
        w, h = self.image_size
        if not w or not h:
            return 1.0
        p = self._pane()
        return min((p.width() - 8) / w, (p.height() - 8) / h)

    def _update_fit(self) -> None:
        if self.fit and self.image_size[0]:
            self.zoom = self.fit_zoom()
            self.center = QPointF(self.image_size[0] / 2, self.image_size[1] / 2)

    def set_fit(self) -> None:
        self.fit = True
        self._update_fit()
        self.viewChanged.emit()
        self.update()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` (screen px per image px) keeping the image point under
        ``anchor`` (widget coordinates; default the centre) in place."""
        zoom = max(0.02, min(16.0, zoom))
        if anchor is not None:
            before = self.to_image(anchor)
            self.fit = False
            self.zoom = zoom
            after = self.to_image(anchor)
            self.center += before - after
        else:
            self.fit = False
            self.zoom = zoom
        self._clamp()
        self.viewChanged.emit()
        self.update()

    def _clamp(self) -> None:
        w, h = self.image_size
        self.center = QPointF(min(max(self.center.x(), 0), w), min(max(self.center.y(), 0), h))

    def preview_side(self) -> int:
        """Long side the proxy should have for this widget (screen pixels, device ratio)."""
        dpr = self.devicePixelRatioF()
        p = self._pane()
        return int(min(4096, max(256, (max(p.width(), p.height()) * dpr + 127) // 128 * 128)))

    # ------------------------------------------------------------------ geometry
    def _origin(self, pane: QRect) -> QPointF:
        """Widget position of image point (0, 0) within ``pane``."""
        return QPointF(pane.center().x() + 0.5 - self.center.x() * self.zoom,
                       pane.center().y() + 0.5 - self.center.y() * self.zoom)

    def to_widget(self, pt: QPointF) -> QPointF:
        """Widget position of image point ``pt`` (the single or left pane)."""
        o = self._origin(self._pane())
        return QPointF(o.x() + pt.x() * self.zoom, o.y() + pt.y() * self.zoom)

    def to_image(self, pos: QPointF) -> QPointF:
        pane = self._pane()
        x = pos.x()
        if self.mode == "side" and x > self.width() / 2:
            x -= self.width() // 2 + 2
        o = self._origin(pane)
        return QPointF((x - o.x()) / self.zoom, (pos.y() - o.y()) / self.zoom)

    def visible_rect(self) -> tuple[int, int, int, int]:
        """The part of the photo on screen, (x0, y0, x1, y1) in image pixels."""
        pane = self._pane()
        o = self._origin(pane)
        w, h = self.image_size
        x0 = max(0, int((0 - o.x()) / self.zoom))
        y0 = max(0, int((0 - o.y()) / self.zoom))
        x1 = min(w, int((pane.width() - o.x()) / self.zoom) + 1)
        y1 = min(h, int((pane.height() - o.y()) / self.zoom) + 1)
        return x0, y0, x1, y1

    def needs_full_resolution(self, proxy_scale: float) -> bool:
        """True when the screen shows more detail than the proxy has (device pixels); never
        when the proxy already is the full-resolution photo."""
        return (self.image_size[0] > 0 and proxy_scale < 1.0
                and self.zoom * self.devicePixelRatioF() > proxy_scale * 1.05)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(38, 38, 40))
        if not self.image_size[0] or self.after is None and self.before is None:
            p.setPen(QColor(170, 170, 170))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1.0)
        if self.mode == "side":
            w2 = self.width() // 2
            left = QRect(0, 0, w2 - 2, self.height())
            right = QRect(w2 + 2, 0, self.width() - w2 - 2, self.height())
            self._draw(p, left, before=True)
            self._draw(p, right, before=False)
            p.fillRect(QRect(w2 - 2, 0, 4, self.height()), QColor(20, 20, 20))
            self._label(p, left, "Before")
            self._label(p, right, "After")
        elif self.mode == "toggle":
            self._draw(p, self.rect(), before=self.show_before)
            self._label(p, self.rect(), "Before" if self.show_before else "After")
        else:
            x = int(self.width() * self.divider)
            p.save()
            p.setClipRect(QRect(0, 0, x, self.height()))
            self._draw(p, self.rect(), before=True)
            p.restore()
            p.save()
            p.setClipRect(QRect(x, 0, self.width() - x, self.height()))
            self._draw(p, self.rect(), before=False)
            p.restore()
            p.setPen(QPen(QColor(240, 240, 240), 2))
            p.drawLine(x, 0, x, self.height())
            p.setBrush(QColor(240, 240, 240))
            p.drawEllipse(QPointF(x, self.height() / 2), 7, 7)
            self._label(p, QRect(0, 0, x, self.height()), "Before")
            self._label(p, QRect(x, 0, self.width() - x, self.height()), "After", right=True)
        # ROIs and the rubber band of a tool
        o = self._origin(self._pane())
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(255, 200, 0), 1, Qt.PenStyle.DashLine))
        for (x0, y0, x1, y1) in self.rois:
            p.drawRect(QRectF(o.x() + x0 * self.zoom, o.y() + y0 * self.zoom,
                              (x1 - x0) * self.zoom, (y1 - y0) * self.zoom))
        if self._rubber is not None:
            p.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            p.drawRect(self._rubber)
        if self.overlay is not None:
            self.overlay.paint(p)

    def _label(self, p: QPainter, r: QRect, text: str, right: bool = False) -> None:
        p.setPen(QColor(230, 230, 230))
        flags = Qt.AlignmentFlag.AlignTop | (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
        p.drawText(r.adjusted(10, 8, -10, -8), flags, text)

    def _draw(self, p: QPainter, pane: QRect, before: bool) -> None:
        w, h = self.image_size
        o = self._origin(pane)
        target = QRectF(o.x(), o.y(), w * self.zoom, h * self.zoom)
        clip = not before and self.clipping and self.clip_after is not None
        proof = not before and not clip and self.proofing and self.proof_after is not None
        img = (self.before if before else self.clip_after if clip else self.proof_after if proof
               else (self.after_partial or self.after))
        p.save()
        p.setClipRect(pane, Qt.ClipOperation.IntersectClip)
        if img is not None:
            p.drawImage(target, img)
        tiles = self.tiles_before if before else self.tiles_after
        for (x, y, tw, th), t in tiles.items():
            p.drawImage(QRectF(target.x() + x * self.zoom, target.y() + y * self.zoom, tw * self.zoom,
                               th * self.zoom), t)
        p.restore()

    # ------------------------------------------------------------------ input
    def resizeEvent(self, event) -> None:  # noqa: N802
        self._update_fit()
        self.viewChanged.emit()
        super().resizeEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if not self.image_size[0]:
            return
        steps = event.angleDelta().y() / 120.0
        self.set_zoom(self.zoom * (1.25 ** steps), event.position())

    def _near_divider(self, x: float) -> bool:
        return self.mode == "split" and abs(x - self.width() * self.divider) < 8

    def mousePressEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self.overlay is not None and self.image_size[0] and self.overlay.mouse_press(event):
            return
        if event.button() != Qt.MouseButton.LeftButton or not self.image_size[0]:
            return
        if self.tool:
            self._drag = ("tool", pos)
            self._rubber = QRectF(pos, pos)
        elif self._near_divider(pos.x()):
            self._drag = ("divider", pos)
        else:
            self._drag = ("pan", pos, QPointF(self.center))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self.overlay is not None and self._drag is None and self.overlay.mouse_move(event):
            return
        if self._drag is None:
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(pos.x()) else
                           Qt.CursorShape.CrossCursor if self.tool else Qt.CursorShape.ArrowCursor)
            return
        kind = self._drag[0]
        if kind == "divider":
            self.divider = min(1.0, max(0.0, pos.x() / max(1, self.width())))
        elif kind == "pan":
            d = pos - self._drag[1]
            self.fit = False
            self.center = self._drag[2] - QPointF(d.x() / self.zoom, d.y() / self.zoom)
            self._clamp()
            self.viewChanged.emit()
        else:
            self._rubber = QRectF(self._drag[1], pos).normalized()
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.overlay is not None and self._drag is None and self.overlay.mouse_release(event):
            return
        if self._drag and self._drag[0] == "tool" and self._rubber is not None:
            a = self.to_image(self._rubber.topLeft())
            b = self.to_image(self._rubber.bottomRight())
            w, h = self.image_size
            x0, y0 = max(0, int(a.x())), max(0, int(a.y()))
            x1, y1 = min(w, int(b.x()) + 1), min(h, int(b.y()) + 1)
            if self._rubber.width() < 3 and self._rubber.height() < 3:   # a click: a small area
                c = self.to_image(self._rubber.center())
                r = max(2, int(4 / self.zoom))
                x0, y0 = max(0, int(c.x()) - r), max(0, int(c.y()) - r)
                x1, y1 = min(w, int(c.x()) + r), min(h, int(c.y()) + r)
            if x1 > x0 and y1 > y0:
                self.areaPicked.emit(self.tool, (x0, y0, x1 - x0, y1 - y0))
        self._drag = None
        self._rubber = None
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.overlay is not None:
            return
        if self.fit:
            self.set_zoom(1.0, event.position())
        else:
            self.set_fit()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.filesDropped.emit(paths)
            event.acceptProposedAction()
