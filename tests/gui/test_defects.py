"""The desktop app's reported defects, one test each (each failed before its fix):
the mouse wheel over the adjustments panel, copy/paste after a task, filmstrip thumbnails
and File > Open, exposure's fine control, the white-balance picker's viewer mode, and the
viewer after a corrupt file."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QStyle, QStyleOptionSlider

from kolors.gui.controls import ParamSlider
from kolors.io.sidecar import sidecar_path

from gui_helpers import idle, open_photo, send_mouse, wait_until

pytestmark = pytest.mark.slow


def _wheel(widget, dy: int = -120) -> None:
    """A mouse-wheel turn over the middle of ``widget`` as the system sends it (to the
    window, as a spontaneous event: only those go on to the parents when a widget ignores
    them)."""
    from PySide6.QtTest import QTest
    top = widget.window()
    pos = widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))
    QTest.wheelEvent(top.windowHandle(), QPointF(pos), QPoint(0, dy))
    QApplication.processEvents()


def _mean(img: QImage) -> float:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    return float(np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :w * 3].mean())


def _icon_mean(window, path) -> float:
    icon = window.filmstrip.items[str(path)].icon()
    return _mean(icon.pixmap(icon.availableSizes()[0]).toImage())


# ---------------------------------------------------------------------- the wheel
def test_wheel_scrolls_the_panel_and_moves_only_a_focused_slider(window):
    """Scrolling over the adjustments panel scrolls it; a slider (or a value field, or a
    choice) under the cursor keeps its value unless it has the focus."""
    panel = window.controls
    scroll = panel.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    bar = scroll.verticalScrollBar()
    wait_until(lambda: bar.maximum() > 0, 10, "a panel taller than its dock")
    bar.setValue(0)
    view = scroll.viewport()

    def visible(w) -> bool:
        r = w.rect().translated(w.mapTo(view, QPoint(0, 0)))
        return w.isVisible() and view.rect().contains(r)
    sl = next(w for w in panel.widgets.values() if isinstance(w, ParamSlider) and visible(w))
    combo = next(w for w in panel.findChildren(QComboBox) if visible(w))
    before = (sl.value(), sl.spin.value(), combo.currentIndex())
    for w in (sl.slider, sl.spin, combo):
        _wheel(w)
    assert (sl.value(), sl.spin.value(), combo.currentIndex()) == before
    assert bar.value() > 0                                   # the panel scrolled instead
    # a focused slider takes the wheel
    window.activateWindow()
    sl.slider.setFocus()
    wait_until(lambda: sl.slider.hasFocus(), 10, "the slider's focus")
    _wheel(sl.slider)
    assert sl.value() != before[0]


# ---------------------------------------------------------------------- copy / paste
def test_paste_gives_the_target_exactly_the_source_edit(window, photos):
    """After a task and a manual change of a value the task set, pasting onto another photo
    (selected in the filmstrip) and onto the open one gives each exactly the source's edit:
    the task's values and the manual change, nothing re-analysed."""
    open_photo(window, photos[0])
    window.run_task("color_correction")
    wait_until(lambda: window.edit.task == "color_correction", 120, "the task")
    window._on_param("exposure", 0.6, False)              # a value the task set, changed by hand
    idle(window)
    source = window.edit.to_json()
    assert window.edit.task_result and window.edit.params["exposure"] == 0.6
    window.copy_settings()
    window.filmstrip.clearSelection()
    window.filmstrip.items[str(photos[1])].setSelected(True)
    window.paste_settings()
    assert json.loads(sidecar_path(photos[1]).read_text())["edit"] == source
    open_photo(window, photos[1])
    wait_until(lambda: not window.worker.busy(), 60, "the worker")
    idle(window)
    assert window.edit.to_json() == source
    # onto the open photo itself (another edit first)
    open_photo(window, photos[2])
    window._on_param("contrast", 0.5, False)
    window.filmstrip.clearSelection()
    window.paste_settings()
    wait_until(lambda: not window.worker.busy(), 60, "the worker")
    idle(window)
    assert window.edit.to_json() == source
    from kolors.core.registry import settings_key
    assert settings_key(window.last_preview_settings) == settings_key(window.edit.settings())


# ---------------------------------------------------------------------- filmstrip
def test_filmstrip_thumbnails_show_each_photos_edit(window, photos):
    """A photo with an edit sidecar gets a thumbnail of its edit (here: +2 EV, so clearly
    brighter than the file's own thumbnail); the open photo's thumbnail follows its edit."""
    from kolors.engine.edit import Edit, save_edit
    from kolors.engine.thumbs import file_thumbnail
    save_edit(photos[1], Edit(params={"exposure": 2.0}))
    open_photo(window, photos[0].parent)
    plain = float(file_thumbnail(photos[2], 96).mean())
    wait_until(lambda: abs(_icon_mean(window, photos[2]) - plain) < 4, 60, "the unedited photo's thumbnail")
    plain = float(file_thumbnail(photos[1], 96).mean())
    wait_until(lambda: _icon_mean(window, photos[1]) > plain + 20, 60, "the edited photo's thumbnail")
    shown = _icon_mean(window, photos[0])
    window._on_param("exposure", 1.5, False)
    idle(window)
    wait_until(lambda: _icon_mean(window, photos[0]) > shown + 15, 30, "the open photo's thumbnail")


def test_file_open_lists_and_selects_the_file(window, photos, tmp_path):
    """File > Open of a photo the filmstrip does not list (new in the open folder, or in
    another folder): the filmstrip shows its folder with it, and it is the selected one."""
    open_photo(window, photos[0].parent)
    new = photos[0].parent / "zz_new.png"                  # saved into the folder after it was opened
    shutil.copy(photos[2], new)
    open_photo(window, new)
    fs = window.filmstrip
    assert str(new) in fs.items and fs.count() == 4
    assert fs.currentItem() is fs.items[str(new)] and fs.selected_paths() == [str(new)]
    other = tmp_path / "elsewhere"
    other.mkdir()
    dst = other / "another.png"
    shutil.copy(photos[1], dst)
    open_photo(window, dst)
    fs = window.filmstrip
    assert window.folder == other and list(fs.items) == [str(dst)]
    assert fs.currentItem() is fs.items[str(dst)] and fs.selected_paths() == [str(dst)]


# ---------------------------------------------------------------------- exposure
def _handle_centre(slider) -> QPointF:
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    r = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle,
                                      slider)
    return QPointF(r.center())


def _drag(slider, dx: int, modifiers) -> None:
    start = _handle_centre(slider)
    send_mouse(slider, QEvent.Type.MouseButtonPress, start, modifiers=modifiers)
    for k in range(1, dx + 1):
        send_mouse(slider, QEvent.Type.MouseMove, start + QPointF(k, 0), modifiers=modifiers)
    send_mouse(slider, QEvent.Type.MouseButtonRelease, start + QPointF(dx, 0), modifiers=modifiers)


def test_exposure_has_fine_control(window):
    """At least 1/100 EV per slider step, arrows step by the parameter's step (0.05 EV), and
    Shift-drag moves ten times less per pixel than a plain drag."""
    sl = window.controls.widgets["exposure"]
    p = sl.param
    assert (p.hi - p.lo) / (sl.slider.maximum() - sl.slider.minimum()) <= 0.01
    window.activateWindow()
    sl.slider.setFocus()
    wait_until(lambda: sl.slider.hasFocus(), 10, "the slider's focus")
    from PySide6.QtTest import QTest
    QTest.keyClick(sl.slider, Qt.Key.Key_Right)
    assert sl.value() == pytest.approx(p.step, abs=1e-6)
    QTest.keyClick(sl.slider, Qt.Key.Key_Left)
    assert sl.value() == pytest.approx(0.0, abs=1e-6)
    _drag(sl.slider, 20, Qt.KeyboardModifier.NoModifier)
    plain = sl.value()
    sl.set_value(0.0)
    _drag(sl.slider, 20, Qt.KeyboardModifier.ShiftModifier)
    fine = sl.value()
    assert plain > 0.3                                       # a plain drag of 20 px is coarse
    assert 0 < fine <= plain / 8 and fine / 20 <= 0.0075     # Shift: 10× finer (≈ 0.0055 EV a pixel)


# ---------------------------------------------------------------------- WB picker
def test_wb_picker_shows_after_and_restores_the_mode(window, photos):
    open_photo(window, photos[0])
    v, wb = window.viewer, window.controls.wb_tool
    v.set_mode("side")
    wb.setChecked(True)
    assert v.mode == "toggle" and not v.show_before          # pick on the edited photo
    wb.setChecked(False)
    assert v.mode == "side" and v.tool is None               # turned off: as it was
    v.set_mode("split")
    wb.setChecked(True)
    assert v.mode == "toggle" and not v.show_before
    v.areaPicked.emit("wb", (100, 100, 60, 40))
    wait_until(lambda: window.undo.undoText().startswith("White balance picker"), 60, "the pick")
    assert v.mode == "split" and not wb.isChecked() and v.tool is None   # after the pick: as it was
    idle(window)


# ---------------------------------------------------------------------- corrupt files
def test_after_a_corrupt_file_the_viewer_shows_a_photo(window, photos, tmp_path):
    """A folder whose first photo is corrupt: the error is shown, then the next photo opens.
    A corrupt file opened over a photo: that photo stays shown and selected, and the next
    one opens."""
    bad = photos[0].parent / "000_broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    window.open_path(photos[0].parent)
    wait_until(lambda: "000_broken.jpg" in window.last_error, 60, "the error dialog")
    wait_until(lambda: window.path == photos[0] and window.last_preview is not None, 60, "the next photo")
    idle(window)
    assert window.viewer.after is not None and window.viewer.before is not None
    assert window.filmstrip.currentItem() is window.filmstrip.items[str(photos[0])]
    # over an open photo (as a click in the filmstrip would)
    window.last_error = ""
    window.filmstrip.setCurrentItem(window.filmstrip.items[str(bad)])
    window.open_path(bad)
    wait_until(lambda: "000_broken.jpg" in window.last_error, 60, "the error dialog")
    idle(window)
    assert window.path == photos[0] and window.viewer.after is not None
    assert window.filmstrip.currentItem() is window.filmstrip.items[str(photos[0])]
    open_photo(window, photos[1])
    assert window.viewer.after is not None and window.viewer.image_size == (768, 512)
