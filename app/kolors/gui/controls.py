"""The controls panel, generated from the operation registry.

One row per visible parameter: label, slider, value field; double-click the slider (or
the label) to reset it to its default. Groups are collapsible. Numbers, switches and
choices get widgets; a LUT file gets a file button; the tone curves get the curve editor
(:mod:`kolors.gui.curve_editor`); the framing (crop, turns, flips) is the crop tool's
(:mod:`kolors.gui.crop_tool`), whose buttons stand in the geometry group; regions are set by
the ROI tool and shown as text. Above them: the task buttons with their intensity slider and
the reference picker of style transfer.

Sliders, value fields and choices take the mouse wheel only when they have the focus (a
click or Tab gives it), so the wheel scrolls the panel. A slider has at least ten
positions per step of its parameter (exposure: 0.005 EV), the arrow keys move it one step,
and a drag with Shift held moves it ten times less per pixel.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSlider, QStyle, QStyleOptionSlider, QToolButton,
                               QVBoxLayout, QWidget)

from ..core import registry
from ..core.params import Bool, Choice, FilePath, Float
from ..engine.task_table import TASK_LABELS
from ..engine.tasks import INTENSITY
from .crop_tool import CropControls
from .curve_editor import CurveEditor
from .masks_panel import MasksPanel
from .widgets import NoWheelCombo, NoWheelSpin, wheel_only_focused

__all__ = ["ControlsPanel", "ParamSlider", "TASK_LABELS", "slider_steps"]

SLIDER_STEPS = 1000          # the fewest positions a slider has
FINE = 0.1                   # Shift-drag: this much of a plain drag's movement per pixel
#: parameters the panel shows no generic widget for (the crop tool and the curve editor own them)
OWN_WIDGETS = ("crop", "rotate", "flip", "tone_curve", "tone_curve_red", "tone_curve_green", "tone_curve_blue",
               "masks")
GROUP_LABELS = {"light": "Light", "color": "Colour", "tone": "Tone", "detail": "Detail", "look": "Look",
                "effects": "Effects", "industrial": "Industrial", "masks": "Masks", "task": "Learned", "geometry": "Crop & straighten"}


def slider_steps(param: Float) -> int:
    """Positions of a slider of ``param``: ten per step of the parameter, at least
    :data:`SLIDER_STEPS`, at most 100 000."""
    span = param.hi - param.lo
    return int(min(100_000, max(SLIDER_STEPS, round(10 * span / max(param.step, 1e-9)))))


class _ResetSlider(QSlider):
    """A horizontal slider: double-click resets, the wheel only when focused, and the
    handle follows a drag by its own arithmetic so that Shift can make it :data:`FINE`."""

    reset = Signal()

    def __init__(self, *a):
        super().__init__(*a)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._anchor: tuple[float, float, bool] | None = None     # (mouse x, position, fine)
        self._pos = 0.0                                            # the exact position during a drag

    def mouseDoubleClickEvent(self, e) -> None:  # noqa: N802
        self.reset.emit()

    def wheelEvent(self, e) -> None:  # noqa: N802
        if wheel_only_focused(self, e):
            super().wheelEvent(e)

    def _px_span(self) -> float:
        """Pixels the handle travels from minimum to maximum."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        st = self.style()
        groove = st.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
        handle = st.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        return float(max(1, groove.width() - handle.width()))

    def mousePressEvent(self, e) -> None:  # noqa: N802
        super().mousePressEvent(e)
        fine = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._pos = float(self.sliderPosition())
        self._anchor = (e.position().x(), self._pos, fine) if self.isSliderDown() else None

    def mouseMoveEvent(self, e) -> None:  # noqa: N802
        if self._anchor is None or not self.isSliderDown():
            super().mouseMoveEvent(e)
            return
        x = e.position().x()
        fine = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        x0, pos0, was_fine = self._anchor
        if fine != was_fine:                     # Shift pressed or let go mid-drag: continue from here
            x0, pos0 = x, self._pos
            self._anchor = (x0, pos0, fine)
        per_px = (self.maximum() - self.minimum()) / self._px_span() * (FINE if fine else 1.0)
        self._pos = min(self.maximum(), max(self.minimum(), pos0 + (x - x0) * per_px))
        self.setSliderPosition(round(self._pos))
        e.accept()

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        self._anchor = None
        super().mouseReleaseEvent(e)


class _ResetLabel(QLabel):
    reset = Signal()

    def mouseDoubleClickEvent(self, e) -> None:  # noqa: N802
        self.reset.emit()


class ParamSlider(QWidget):
    """Slider + value field of one Float parameter. ``changed(name, value, dragging)``."""

    changed = Signal(str, float, bool)
    released = Signal()

    def __init__(self, name: str, param: Float, parent: QWidget | None = None):
        super().__init__(parent)
        self.name, self.param = name, param
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.steps = slider_steps(param)
        self.slider = _ResetSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.steps)
        one = max(1, round(param.step / (param.hi - param.lo) * self.steps))     # the arrow keys: one step
        self.slider.setSingleStep(one)
        self.slider.setPageStep(10 * one)
        self.slider.setToolTip(f"{param.help or param.label}\nDouble-click to reset; Shift-drag for fine "
                               "control; click, then the arrow keys step it")
        self.spin = NoWheelSpin()
        span = param.hi - param.lo
        decimals = 0 if span >= 1000 else 1 if span >= 100 else 2
        self.spin.setDecimals(decimals)
        self.spin.setRange(param.lo, param.hi)
        self.spin.setSingleStep(max(10 ** -decimals, param.step))
        self.spin.setFixedWidth(70)
        self.spin.setKeyboardTracking(False)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self._quiet = False
        self.slider.valueChanged.connect(self._from_slider)
        self.slider.reset.connect(self.reset)
        self.slider.sliderReleased.connect(self.released.emit)
        self.spin.valueChanged.connect(self._from_spin)
        self.set_value(param.default)

    def _to_pos(self, v: float) -> int:
        p = self.param
        return round((v - p.lo) / (p.hi - p.lo) * self.steps)

    def _to_value(self, pos: int) -> float:
        p = self.param
        v = p.lo + (p.hi - p.lo) * pos / self.steps
        # land exactly on the default when the slider is at its position
        return p.default if pos == self._to_pos(p.default) else round(v, 6)

    def value(self) -> float:
        return self._to_value(self.slider.value()) if not self._exact else self._exact_v

    def set_value(self, v: float) -> None:
        """Show ``v`` without emitting ``changed``."""
        self._quiet = True
        self._exact, self._exact_v = True, float(v)
        self.slider.setValue(self._to_pos(v))
        self.spin.setValue(v)
        self._quiet = False

    def _from_slider(self, pos: int) -> None:
        if self._quiet:
            return
        v = self._to_value(pos)
        self._exact, self._exact_v = False, v
        self._quiet = True
        self.spin.setValue(v)
        self._quiet = False
        self.changed.emit(self.name, v, self.slider.isSliderDown())

    def _from_spin(self, v: float) -> None:
        if self._quiet:
            return
        self._exact, self._exact_v = True, float(v)
        self._quiet = True
        self.slider.setValue(self._to_pos(v))
        self._quiet = False
        self.changed.emit(self.name, float(v), False)

    def reset(self) -> None:
        self.set_value(self.param.default)
        self.changed.emit(self.name, float(self.param.default), False)


class _Group(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        self.button = QToolButton()
        self.button.setText(title.replace("&", "&&"))        # "Crop & straighten": no mnemonic
        self.button.setCheckable(True)
        self.button.setChecked(True)
        self.button.setArrowType(Qt.ArrowType.DownArrow)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setObjectName("groupHeader")
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(6, 0, 2, 0)
        self.grid.setVerticalSpacing(2)
        lay.addWidget(self.button)
        lay.addWidget(self.body)
        self.button.toggled.connect(self._toggle)

    def _toggle(self, on: bool) -> None:
        self.body.setVisible(on)
        self.button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)


class ControlsPanel(QWidget):
    """Signals: ``paramChanged(name, value, dragging)``, ``taskRequested(task)``,
    ``intensityChanged(value, dragging)``, ``referenceChosen(path)``."""

    paramChanged = Signal(str, object, bool)
    dragFinished = Signal()
    taskRequested = Signal(str)
    intensityChanged = Signal(float, bool)
    referenceChosen = Signal(str)
    toolChosen = Signal(str)               # '' | 'wb' | 'roi'

    def __init__(self, tasks: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.widgets: dict[str, Any] = {}
        self.groups: dict[str, _Group] = {}
        self.task_buttons: dict[str, QPushButton] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        # ---- tasks
        tbox = _Group("Tasks")
        for i, t in enumerate(tasks):
            b = QPushButton(TASK_LABELS.get(t, t))
            b.setToolTip(t.replace("_", " "))
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, t=t: self.taskRequested.emit(t))
            self.task_buttons[t] = b
            tbox.grid.addWidget(b, i // 3, i % 3)
        row = (len(tasks) + 2) // 3
        tbox.grid.addWidget(QLabel("Intensity"), row, 0)
        self.intensity = ParamSlider("intensity", INTENSITY)
        self.intensity.changed.connect(lambda _n, v, d: self.intensityChanged.emit(v, d))
        self.intensity.released.connect(self.dragFinished.emit)
        tbox.grid.addWidget(self.intensity, row, 1, 1, 2)
        self.ref_button = QPushButton("Reference…")
        self.ref_button.setToolTip("Reference photo for style transfer")
        self.ref_button.clicked.connect(self._pick_reference)
        self.ref_label = QLabel("no reference")
        self.ref_label.setObjectName("dim")
        tbox.grid.addWidget(self.ref_button, row + 1, 0)
        tbox.grid.addWidget(self.ref_label, row + 1, 1, 1, 2)
        self.wb_tool = QPushButton("WB picker")
        self.wb_tool.setToolTip("Drag over an area that should be neutral grey (it is averaged)")
        self.wb_tool.setCheckable(True)
        self.roi_tool = QPushButton("Draw ROI")
        self.roi_tool.setToolTip("Draw rectangles for the industrial region boost")
        self.roi_tool.setCheckable(True)
        self.wb_tool.toggled.connect(lambda on: self._tool("wb", on))
        self.roi_tool.toggled.connect(lambda on: self._tool("roi", on))
        tbox.grid.addWidget(self.wb_tool, row + 2, 0)
        tbox.grid.addWidget(self.roi_tool, row + 2, 1)
        lay.addWidget(tbox)
        self.groups["tasks"] = tbox
        # ---- parameters by group
        sections: list[tuple[str, str, list]] = []
        for group, ops in registry.iter_groups():
            for op in ops:
                rows = [(n, p) for n, p in op.params.items() if not p.hidden]
                if not rows:
                    continue
                # operations with many parameters (HSL) get a section of their own
                key = op.name if len(rows) > 6 else group
                label = (op.label or op.name.upper()) if len(rows) > 6 else GROUP_LABELS.get(group, group.title())
                if sections and sections[-1][0] == key:
                    sections[-1][2].extend(rows)
                else:
                    sections.append((key, label, list(rows)))
        self.crop_controls = CropControls()
        self.curve_editor = CurveEditor()
        self.masks_panel = MasksPanel(ParamSlider)
        self.curve_editor.curveChanged.connect(lambda n, pts, d: self.paramChanged.emit(n, pts, d))
        self.curve_editor.dragFinished.connect(self.dragFinished.emit)
        for group, title, rows in sections:
            g = _Group(title)
            names = [n for n, _ in rows]
            if "crop" in names:                   # the crop tool's buttons first
                g.grid.addWidget(self.crop_controls, 0, 0, 1, 2)
            for r, (name, p) in enumerate(rows, 1):
                if name == "tone_curve":
                    g.grid.addWidget(self.curve_editor, r, 0, 1, 2)
                if name == "masks":
                    g.grid.addWidget(self.masks_panel, r, 0, 1, 2)
                if name in OWN_WIDGETS:
                    continue
                label = _ResetLabel(p.label or name.replace("_", " "))
                label.setToolTip(f"{name}: {p.help}" if p.help else name)
                w = self._widget(name, p)
                if w is None:
                    continue
                if isinstance(w, ParamSlider):
                    label.reset.connect(w.reset)
                g.grid.addWidget(label, r, 0)
                g.grid.addWidget(w, r, 1)
                self.widgets[name] = w
            lay.addWidget(g)
            self.groups[group] = g
            if group in ("industrial", "effects", "task", "hsl"):
                g.button.setChecked(False)
        lay.addStretch(1)

    def _tool(self, tool: str, on: bool) -> None:
        other = self.roi_tool if tool == "wb" else self.wb_tool
        if on and other.isChecked():
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
        self.toolChosen.emit(tool if on else "")

    def _widget(self, name: str, p: Any) -> QWidget | None:
        if isinstance(p, Float):
            w = ParamSlider(name, p)
            w.changed.connect(lambda n, v, d: self.paramChanged.emit(n, v, d))
            w.released.connect(self.dragFinished.emit)
            return w
        if isinstance(p, Bool):
            w = QCheckBox()
            w.toggled.connect(lambda on, n=name: self.paramChanged.emit(n, bool(on), False))
            return w
        if isinstance(p, Choice):
            w = NoWheelCombo()
            w.addItems([str(c) for c in p.options])
            w.currentTextChanged.connect(lambda t, n=name: self.paramChanged.emit(n, t, False))
            return w
        if isinstance(p, FilePath):
            w = QPushButton("Choose .cube…")
            w.clicked.connect(lambda _=False, n=name: self._pick_file(n))
            return w
        w = QLabel("—")   # regions: set by presets / the ROI tool
        w.setObjectName("dim")
        return w

    def _pick_file(self, name: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "LUT file", "", "3D LUT (*.cube);;All files (*)")
        if path:
            self.paramChanged.emit(name, path, False)

    def _pick_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference photo", "",
                                              "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.dng *.nef *.cr2 "
                                              "*.cr3 *.arw *.raf *.orf *.rw2);;All files (*)")
        if path:
            self.referenceChosen.emit(path)

    # ------------------------------------------------------------------ state → widgets
    def show_settings(self, settings: dict[str, Any], task: str | None, intensity: float,
                      reference: str | None) -> None:
        """Put ``settings`` (effective values, defaults for the rest) on the widgets
        without emitting change signals."""
        for name, w in self.widgets.items():
            p = registry.get_param(name)
            v = settings.get(name, p.default)
            if isinstance(w, ParamSlider):
                w.set_value(float(v))
                continue
            w.blockSignals(True)
            if isinstance(w, QCheckBox):
                w.setChecked(bool(v))
            elif isinstance(w, QComboBox):
                w.setCurrentText(str(v))
            elif isinstance(w, QPushButton):
                w.setText(str(v).rsplit("/", 1)[-1] if v else "Choose .cube…")
            elif isinstance(w, QLabel):
                w.setText("—" if v in (None, p.default) else "set")
            w.blockSignals(False)
        self.curve_editor.show_settings(settings)
        for t, b in self.task_buttons.items():
            b.setChecked(t == task)
        self.intensity.set_value(intensity)
        self.ref_label.setText(reference.rsplit("/", 1)[-1] if reference else "no reference")
