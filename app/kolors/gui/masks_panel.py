"""The masks panel: the list of local adjustments and the selected mask's sliders.

The list shows every mask of the edit (tick: visible; double-click: rename); the buttons add
one (linear gradient, radial, brush, luminance range, colour range, a grey-scale file),
delete, move up and down, and switch the overlay (``O``: the selected mask shown in red on
the photo). Below: the selected mask's shape (opacity, invert, feather; the brush's size,
feather, flow and erase for the next strokes; the range of a luminance or colour mask) and
its adjustments (exposure, white balance, tone, presence, sharpening), each a slider of the
registry's own parameter.

The panel holds a copy of the masks (validated JSON data, :mod:`kolors.core.masks`) and
emits the whole new list with ``masksChanged(masks, dragging, label)`` on every change;
the window turns that into an undoable edit of the ``masks`` parameter, so undo/redo and
copy/paste carry masks like any other setting. No pixel maths here: the overlay is
rendered by the worker (:meth:`kolors.engine.session.PhotoSession.mask_overlay`).
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget)

from ..core import registry
from ..core.masks import BRUSH_SIZE
from ..core.params import Float

__all__ = ["MasksPanel", "NEW_MASKS", "MASK_SLIDERS"]

#: a new mask of each kind, as the Add menu makes it (fractions of the framed photo)
NEW_MASKS: dict[str, dict[str, Any]] = {
    "linear": {"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5]},
    "radial": {"kind": "radial", "center": [0.5, 0.5], "radius": [0.25, 0.25], "feather": 0.5},
    "brush": {"kind": "brush", "strokes": []},
    "luminance": {"kind": "luminance", "range": [0.7, 1.0], "soft": 0.15},
    "color": {"kind": "color", "hue": [60.0, 50.0], "hue_soft": 20.0, "saturation": [0.1, 1.0]},
}
KIND_LABELS = {"linear": "Linear gradient", "radial": "Radial", "brush": "Brush", "luminance": "Luminance range",
               "color": "Colour range", "file": "Grey-scale file…", "rect": "Rectangle"}
#: the adjustments a mask's sliders set (registry parameters; local contrast's switch goes
#: with its amount)
MASK_SLIDERS = ("exposure", "temperature", "tint", "contrast", "highlights", "shadows", "whites", "blacks",
                "vibrance", "chroma_boost", "local_contrast_amount", "sharpen_amount")

_LABELS = {"local_contrast_amount": "Local contrast", "sharpen_amount": "Sharpening"}

#: the shape sliders: (key, label, lo, hi, default, which kinds)
_SHAPE = [("opacity", "Opacity", 0.0, 1.0, 1.0, None),
          ("feather", "Feather", 0.0, 1.0, 0.5, ("radial",)),
          ("lum_lo", "Range low", 0.0, 1.0, 0.7, ("luminance",)),
          ("lum_hi", "Range high", 0.0, 1.0, 1.0, ("luminance",)),
          ("soft", "Softness", 0.0, 1.0, 0.1, ("luminance", "color")),
          ("hue", "Hue", 0.0, 360.0, 60.0, ("color",)),
          ("hue_width", "Hue width", 0.0, 360.0, 50.0, ("color",)),
          ("brush_size", "Brush size", BRUSH_SIZE[0], BRUSH_SIZE[1], 0.05, ("brush",)),
          ("brush_feather", "Brush feather", 0.0, 1.0, 0.5, ("brush",)),
          ("brush_flow", "Brush flow", 0.05, 1.0, 1.0, ("brush",))]


def _range_target(m: dict[str, Any]) -> dict[str, Any] | None:
    """The part of mask ``m`` whose range the range sliders set: the mask itself when it is a
    luminance or colour range, else its last range component (a refinement), else None."""
    if m["kind"] in ("luminance", "color"):
        return m
    for c in reversed(m.get("combine", [])):
        if c["kind"] in ("luminance", "color"):
            return c
    return None


class MasksPanel(QWidget):
    """See the module docstring. ``selectionChanged(index)`` (-1: none), ``overlayToggled(on)``,
    ``brushChanged()`` when the brush settings change, ``dragFinished()`` when a slider is released."""

    masksChanged = Signal(list, bool, str)
    selectionChanged = Signal(int)
    overlayToggled = Signal(bool)
    brushChanged = Signal()
    dragFinished = Signal()

    def __init__(self, slider: type, parent: QWidget | None = None):
        """``slider``: the slider widget class of one Float parameter (the controls'
        ``ParamSlider``: ``slider(name, param)`` with ``changed(name, value, dragging)``,
        ``released()`` and ``set_value(v)``)."""
        ParamSlider = slider  # noqa: N806 - a class
        super().__init__(parent)
        self.masks: list[dict[str, Any]] = []
        self.brush: dict[str, Any] = {"size": 0.05, "feather": 0.5, "flow": 1.0, "erase": False}
        self._quiet = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        self.list.setToolTip("Tick: visible. Double-click to rename.")
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemChanged.connect(self._on_item)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_actions = {}
        for kind in ("linear", "radial", "brush", "luminance", "color", "file"):
            a = menu.addAction(KIND_LABELS[kind])
            a.triggered.connect(lambda _=False, k=kind: self.add(k))
            self.add_actions[kind] = a
        self.add_button.setMenu(menu)
        self.refine_button = QToolButton()
        self.refine_button.setText("Refine")
        self.refine_button.setToolTip("Limit the mask to a luminance or colour range (intersect)")
        self.refine_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        rmenu = QMenu(self.refine_button)
        for kind in ("luminance", "color"):
            a = rmenu.addAction(f"Intersect with {KIND_LABELS[kind].lower()}")
            a.triggered.connect(lambda _=False, k=kind: self.refine(k))
        self.unrefine_action = rmenu.addAction("Remove refinements")
        self.unrefine_action.triggered.connect(self.unrefine)
        self.refine_button.setMenu(rmenu)
        self.delete_button = QPushButton("Delete")
        self.up_button = QToolButton()
        self.up_button.setText("▲")
        self.up_button.setToolTip("Move up (applied earlier)")
        self.down_button = QToolButton()
        self.down_button.setText("▼")
        self.down_button.setToolTip("Move down (applied later)")
        self.overlay_button = QPushButton("Overlay (O)")
        self.overlay_button.setCheckable(True)
        self.overlay_button.setToolTip("Show the selected mask in red on the photo (O)")
        self.delete_button.clicked.connect(self.delete)
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button.clicked.connect(lambda: self.move(1))
        self.overlay_button.toggled.connect(self.overlayToggled.emit)
        for w in (self.add_button, self.refine_button, self.overlay_button):    # two rows: the panel
            row.addWidget(w)                                                 # stays as narrow as
        lay.addLayout(row)                                                   # the others
        row2 = QHBoxLayout()
        for w in (self.delete_button, self.up_button, self.down_button):
            row2.addWidget(w)
        row2.addStretch(1)
        lay.addLayout(row2)
        # the selected mask's shape
        self.shape = QWidget()
        g = QGridLayout(self.shape)
        g.setContentsMargins(0, 0, 0, 0)
        self.shape_sliders: dict[str, Any] = {}
        self._shape_rows: dict[str, tuple[QLabel, Any, tuple | None]] = {}
        for r, (key, label, lo, hi, dflt, kinds) in enumerate(_SHAPE):
            prm = Float(lo, hi, dflt, label=label)
            s = ParamSlider(key, prm)
            s.changed.connect(self._on_shape)
            s.released.connect(self.dragFinished.emit)
            lab = QLabel(label)
            g.addWidget(lab, r, 0)
            g.addWidget(s, r, 1)
            self.shape_sliders[key] = s
            self._shape_rows[key] = (lab, s, kinds)
        r = len(_SHAPE)
        self.invert_box = QCheckBox("Invert")
        self.invert_box.toggled.connect(self._on_invert)
        self.erase_box = QCheckBox("Erase (Alt)")
        self.erase_box.setToolTip("Brush strokes erase the mask (or hold Alt while painting)")
        self.erase_box.toggled.connect(self._on_erase)
        g.addWidget(self.invert_box, r, 0)
        g.addWidget(self.erase_box, r, 1)
        lay.addWidget(self.shape)
        # the selected mask's adjustments
        self.adjust = QWidget()
        ga = QGridLayout(self.adjust)
        ga.setContentsMargins(0, 0, 0, 0)
        self.sliders: dict[str, Any] = {}
        for r, name in enumerate(MASK_SLIDERS):
            prm = registry.get_param(name)
            s = ParamSlider(name, prm)
            s.changed.connect(self._on_adjust)
            s.released.connect(self.dragFinished.emit)
            ga.addWidget(QLabel(_LABELS.get(name, prm.label or name)), r, 0)
            ga.addWidget(s, r, 1)
            self.sliders[name] = s
        lay.addWidget(self.adjust)
        self.hint = QLabel("")
        self.hint.setObjectName("dim")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self._refresh()

    # ------------------------------------------------------------------ state → widgets
    def selected(self) -> int:
        i = self.list.currentRow()
        return i if 0 <= i < len(self.masks) else -1

    def current(self) -> dict[str, Any] | None:
        i = self.selected()
        return self.masks[i] if i >= 0 else None

    def show_masks(self, masks: list[dict[str, Any]] | None) -> None:
        """Show ``masks`` (the edit's effective list) without emitting changes; the
        selection stays on the same row where it can."""
        masks = copy.deepcopy(list(masks or []))
        keep = self.selected()
        self.masks = masks
        self._quiet = True
        self.list.blockSignals(True)
        if self.list.count() != len(masks):   # else the items are updated in place (a signal of
            self.list.clear()                 # one of them may be what brought us here)
            for _ in masks:
                it = QListWidgetItem()
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
                self.list.addItem(it)
        for i, m in enumerate(masks):
            it = self.list.item(i)
            it.setText(m.get("name") or KIND_LABELS.get(m["kind"], m["kind"]))
            it.setCheckState(Qt.CheckState.Checked if m.get("visible", True) else Qt.CheckState.Unchecked)
            it.setToolTip(KIND_LABELS.get(m["kind"], m["kind"]).rstrip("…"))
        if masks:
            self.list.setCurrentRow(min(max(keep, 0), len(masks) - 1) if keep >= 0 else -1)
        self.list.blockSignals(False)
        self._quiet = False
        self._refresh()

    def _refresh(self) -> None:
        m = self.current()
        on = m is not None
        for w in (self.delete_button, self.up_button, self.down_button, self.overlay_button, self.refine_button):
            w.setEnabled(on)
        self.shape.setVisible(on)
        self.adjust.setVisible(on)
        if not on:
            self.hint.setText("Add a mask: a linear gradient, a radial, a brush or a range; each has its own "
                              "adjustments." if not self.masks else "Select a mask to edit it.")
            return
        kind = m["kind"]
        self.hint.setText({"linear": "Drag the handles on the photo: full strength at the solid line, none at "
                                     "the dashed one.",
                           "radial": "Drag the centre to move, the edge handles to size it.",
                           "brush": "Paint on the photo; Alt paints with the eraser. [ and ] change the size."}
                          .get(kind, ""))
        self.blockSignals(True)
        r = _range_target(m) or {}
        vals = {"opacity": m.get("opacity", 1.0), "feather": m.get("feather", 0.5),
                "lum_lo": (r.get("range") or [0.7, 1.0])[0], "lum_hi": (r.get("range") or [0.7, 1.0])[1],
                "soft": r.get("soft", 0.1), "hue": (r.get("hue") or [60.0, 50.0])[0],
                "hue_width": (r.get("hue") or [60.0, 50.0])[1], "brush_size": self.brush["size"],
                "brush_feather": self.brush["feather"], "brush_flow": self.brush["flow"]}
        kinds_shown = {kind, r.get("kind")}
        self.refine_button.setEnabled(kind not in ("luminance", "color"))
        self.unrefine_action.setEnabled(bool(m.get("combine")))
        for key, (lab, s, kinds) in self._shape_rows.items():
            if kinds is None:
                vis = True
            elif key == "feather":                 # the mask's own feather, not a range's
                vis = kind in kinds
            else:
                vis = bool(kinds_shown & set(kinds))
            lab.setVisible(vis)
            s.setVisible(vis)
            s.set_value(float(vals[key]))
        self.erase_box.setVisible(kind == "brush")
        self.invert_box.blockSignals(True)
        self.invert_box.setChecked(bool(m.get("invert")))
        self.invert_box.blockSignals(False)
        self.erase_box.blockSignals(True)
        self.erase_box.setChecked(bool(self.brush["erase"]))
        self.erase_box.blockSignals(False)
        adj = m.get("adjustments", {})
        for name, s in self.sliders.items():
            v = adj.get(name, registry.get_param(name).default)
            if name == "local_contrast_amount" and not adj.get("local_contrast"):
                v = 0.0
            s.set_value(float(v))
        self.blockSignals(False)

    # ------------------------------------------------------------------ edits
    def _emit(self, label: str, dragging: bool = False) -> None:
        self.masksChanged.emit(copy.deepcopy(self.masks), dragging, label)

    def add(self, kind: str, path: str | None = None) -> None:
        """Add a new mask of ``kind`` (``file``: asks for the grey-scale image unless
        ``path`` is given) after the others and select it."""
        if kind == "file":
            if path is None:
                path, _ = QFileDialog.getOpenFileName(self, "Grey-scale mask", "",
                                                      "Masks (*.png *.tif *.tiff);;All files (*)")
            if not path:
                return
            m = {"kind": "file", "path": path}
        else:
            m = copy.deepcopy(NEW_MASKS[kind])
        n = sum(1 for x in self.masks if x["kind"] == kind) + 1
        m["name"] = f"{KIND_LABELS[kind].rstrip('…')} {n}"
        m["adjustments"] = {}
        self.masks.append(m)
        self._show_and_select(len(self.masks) - 1)
        self._emit(f"Add {KIND_LABELS[kind].rstrip('…').lower()} mask")

    def refine(self, kind: str) -> None:
        """Intersect the selected mask with a luminance or colour range (its sliders then set
        the range): e.g. a gradient over the sky that leaves dark trees alone."""
        m = self.current()
        if m is None or kind not in ("luminance", "color"):
            return
        comp = {k: copy.deepcopy(v) for k, v in NEW_MASKS[kind].items()}
        m["combine"] = [c for c in m.get("combine", []) if c["kind"] not in ("luminance", "color")] + \
            [{**comp, "mode": "intersect", "invert": False}]
        self._refresh()
        self._emit(f"Intersect with {KIND_LABELS[kind].lower()}")

    def unrefine(self) -> None:
        m = self.current()
        if m is None or not m.get("combine"):
            return
        m["combine"] = []
        self._refresh()
        self._emit("Remove refinements")

    def delete(self) -> None:
        i = self.selected()
        if i < 0:
            return
        name = self.masks[i].get("name", "mask")
        del self.masks[i]
        self._show_and_select(min(i, len(self.masks) - 1))
        self._emit(f"Delete {name}")

    def move(self, step: int) -> None:
        i = self.selected()
        j = i + step
        if i < 0 or not 0 <= j < len(self.masks):
            return
        self.masks[i], self.masks[j] = self.masks[j], self.masks[i]
        self._show_and_select(j)
        self._emit("Reorder masks")

    def _show_and_select(self, row: int) -> None:
        """Show the panel's own list with ``row`` selected (the selection signal follows)."""
        self.show_masks(self.masks)
        self._quiet = True
        self.list.setCurrentRow(row)
        self._quiet = False
        self._refresh()
        self.selectionChanged.emit(self.selected())

    def set_mask(self, index: int, mask: dict[str, Any], label: str, dragging: bool = False) -> None:
        """Replace mask ``index`` (the canvas tool's drags and strokes) and emit."""
        self.masks[index] = copy.deepcopy(mask)
        self._emit(label, dragging)

    def _on_row(self, row: int) -> None:
        self._refresh()
        if not self._quiet:
            self.selectionChanged.emit(self.selected())

    def _on_item(self, it: QListWidgetItem) -> None:
        i = self.list.row(it)
        if self._quiet or not 0 <= i < len(self.masks):
            return
        m = self.masks[i]
        vis = it.checkState() == Qt.CheckState.Checked
        name = it.text().strip() or m.get("name", "")
        if vis != m.get("visible", True):
            m["visible"] = vis
            self._emit(f"{'Show' if vis else 'Hide'} {name}")
        elif name != m.get("name"):
            m["name"] = name
            self._emit(f"Rename mask to {name}")

    def _on_shape(self, key: str, v: float, dragging: bool) -> None:
        if key.startswith("brush_"):
            self.brush[key[6:]] = float(v)
            self.brushChanged.emit()
            return
        m = self.current()
        if m is None:
            return
        r = _range_target(m)
        if key in ("opacity", "feather"):
            m[key] = float(v)
        elif r is None:
            return
        elif key == "soft":
            r[key] = float(v)
        elif key in ("lum_lo", "lum_hi"):
            lo, hi = r["range"]
            lo, hi = (min(v, hi), hi) if key == "lum_lo" else (lo, max(v, lo))
            r["range"] = [float(lo), float(hi)]
        elif key == "hue":
            r["hue"] = [float(v), r["hue"][1]]
        elif key == "hue_width":
            r["hue"] = [r["hue"][0], float(v)]
        self._emit(f"Mask {key.replace('_', ' ')}", dragging)

    def _on_invert(self, on: bool) -> None:
        m = self.current()
        if m is not None:
            m["invert"] = bool(on)
            self._emit("Invert mask")

    def _on_erase(self, on: bool) -> None:
        self.brush["erase"] = bool(on)
        self.brushChanged.emit()

    def _on_adjust(self, name: str, v: float, dragging: bool) -> None:
        m = self.current()
        if m is None:
            return
        adj = dict(m.get("adjustments", {}))
        prm = registry.get_param(name)
        if name == "local_contrast_amount":
            if v > 0:
                adj["local_contrast"], adj[name] = True, float(v)
            else:
                adj.pop("local_contrast", None)
                adj.pop(name, None)
        elif prm.is_default(v):
            adj.pop(name, None)
        else:
            adj[name] = float(v)
        m["adjustments"] = adj
        self._emit(f"Mask {prm.label or name} {v:.3g}", dragging)
