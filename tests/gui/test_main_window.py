"""The desktop app driven like a person would, offscreen (pytest-qt): the issue's scripted
run, the heartbeat during a full-resolution export, error dialogs."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from kolors.io.images import read_image
from kolors.io.sidecar import sidecar_path

from gui_helpers import cancel_midway, idle, wait_until

pytestmark = pytest.mark.slow


def _open(window, path):
    window.open_path(path)
    wait_until(lambda: window.path == path and window.last_preview is not None, 60, f"opening {path.name}")
    idle(window)


def _state(window):
    return json.dumps(window.edit.to_json(), sort_keys=True)


def test_scripted_session(window, photos, tmp_path):
    src = photos[0]
    before_bytes = src.read_bytes()
    _open(window, src)
    # an unedited photo: the after side is exactly the before side (the unedited render)
    arr, scale = window.session.proxy(window._proxy_side)
    assert np.array_equal(window.last_preview, arr)
    assert window.viewer.before is not None and window.viewer.before.size() == window.viewer.after.size()
    assert window.filmstrip.count() == 3
    assert "CPU" in window.device_label.text()

    # one slider through 200 values, as fast as the events come
    sl = window.controls.widgets["exposure"]
    sl.slider.setSliderDown(True)
    positions = np.linspace(500, 700, 200).round().astype(int)
    for pos in positions:
        sl.slider.setValue(int(pos))
        window.worker.thread.msleep(0)
        from PySide6.QtWidgets import QApplication
        QApplication.processEvents()
    sl.slider.setSliderDown(False)
    idle(window)
    exposure = window.edit.params["exposure"]
    assert exposure == pytest.approx(-5 + 10 * positions[-1] / 1000)
    assert window.undo.count() == 1                      # the drag is one undo step
    jobs = {j for j, _, _ in window.painted}
    assert len(jobs) < 200                               # stale states were skipped, not all rendered
    settings = window.edit.settings()
    arr, scale = window.session.proxy(window._proxy_side)
    expected = window.session.enhancer.render(arr, settings, out_dtype=np.uint8, scale=scale,
                                              full_size=window.session.full_size)
    assert np.array_equal(window.last_preview, expected)

    window.apply_preset("cinema")
    idle(window)
    assert window.edit.preset == "cinema" and window.last_preview_settings["film_strength"] == 0.7
    states = [_state(window)]
    window._on_param("contrast", 0.3, False)
    states.append(_state(window))
    window._on_param("vibrance", 0.4, False)
    states.append(_state(window))
    idle(window)

    # before/after modes, and the toggle key
    for mode in ("split", "side", "toggle"):
        window.viewer.set_mode(mode)
        img = window.viewer.grab().toImage()
        assert img.width() > 0
    window.viewer.set_mode("split")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    QTest.keyClick(window, Qt.Key.Key_Backslash)
    assert window.viewer.mode == "toggle" and window.viewer.show_before
    QTest.keyClick(window, Qt.Key.Key_Backslash)
    assert not window.viewer.show_before

    # undo three times, redo once
    assert window.undo.count() == 4
    window.undo.undo()
    window.undo.undo()
    window.undo.undo()
    assert window.edit.preset is None and set(window.edit.params) == {"exposure"}
    window.undo.redo()
    assert _state(window) == states[0]
    idle(window)
    final = _state(window)

    # close: the sidecar has the edit; reopen restores it
    window.close()
    assert json.loads(sidecar_path(src).read_text())["edit"] == json.loads(final)
    from kolors.engine.enhancer import Enhancer
    from kolors.gui.main_window import MainWindow
    w2 = MainWindow(enhancer_factory=lambda: Enhancer(model_type="general", device="cpu",
                                                      mem_optim={"tile_size": 128}))
    w2.resize(1200, 800)
    w2.show()
    try:
        _open(w2, src)
        assert _state(w2) == final

        # export at full resolution with progress: equal to `kolors enhance`
        from kolors.gui.export_dialog import ExportOptions
        prog = []
        w2.worker.progress.connect(lambda job, f, t: prog.append(f))
        opts = ExportOptions(tmp_path / "out", "{name}_graded", "PNG", 95, 8)
        job = w2.export(opts)
        wait_until(lambda: getattr(w2, "last_export", (0,))[0] == job, 120, "the export")
        out = w2.last_export[1][0]
        assert out == tmp_path / "out" / f"{src.stem}_graded.png"
        assert prog and prog[-1] == 1.0
        from kolors.cli import main
        ref = tmp_path / "cli.png"
        assert main(["enhance", str(src), "-o", str(ref), "--preset", "cinema", "--set", f"exposure={exposure!r}",
                     "--model", "general"]) == 0
        assert np.array_equal(read_image(out).data, read_image(ref).data)

        # cancel an export midway: nothing at the destination
        w2._on_param("local_contrast", True, False)       # a spatial grade renders tile by tile
        opts2 = ExportOptions(tmp_path / "out2", "{name}", "TIFF", 95, 16)
        seen = cancel_midway(w2, w2.export(opts2), 120)
        assert w2.last_export[1] is None and seen is not None and 0 < seen < 1
        assert list((tmp_path / "out2").iterdir()) == []

        # a corrupt file: a dialog, the window alive with its photo
        bad = tmp_path / "broken.jpg"
        bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
        w2.open_path(bad)
        wait_until(lambda: "broken.jpg" in w2.last_error, 60, "the error dialog")
        assert w2.dialogs and w2.dialogs[-1].isVisible()
        assert w2.isVisible() and w2.path == src
        w2._on_param("exposure", 0.1, False)
        idle(w2)
    finally:
        w2._force_close = True
        w2.close()
    assert src.read_bytes() == before_bytes                # the original is never written


def test_heartbeat_during_full_resolution_export(window, data_dir, tmp_path):
    """The GUI thread stays responsive while the worker exports: 99 % of its 5 ms heartbeats
    come within 50 ms and none waits 250 ms. (Not "every one within 50 ms": with ``-n 2`` on
    two cores another test process runs beside this one, and the OS can deschedule the
    niced worker thread while it holds the GIL — one such 66 ms gap failed a clean-clone
    run. Work in the worker that held the GIL for long, once per tile or band, would show as
    more than 1 % of late beats; a freeze as one long gap, like the 832 ms of a full garbage
    collection over the imported modules, before the window froze its startup heap.)"""
    import shutil
    src = tmp_path / "flower.png"
    shutil.copy(data_dir / "photos" / "imagecompression_info" / "flower_foveon.png", src)
    _open(window, src)
    window._on_param("local_contrast", True, False)
    window._on_param("exposure", 0.3, False)
    idle(window)
    from kolors.gui.export_dialog import ExportOptions
    beats = []
    timer = QTimer()
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    timer.start(5)
    job = window.export(ExportOptions(tmp_path / "out", "{name}", "TIFF", 95, 16))
    wait_until(lambda: getattr(window, "last_export", (0,))[0] == job, 300, "the export")
    timer.stop()
    assert window.last_export[1], window.last_error
    gaps = np.diff(beats) * 1000
    assert len(gaps) > 20
    late = f"{(gaps > 50).sum()} of {len(gaps)} beats late; longest {gaps.max():.0f} ms"
    assert np.percentile(gaps, 99) <= 50 and gaps.max() <= 250, late


def test_corrupt_sidecar_is_set_aside_with_a_warning(window, photos):
    sc = sidecar_path(photos[1])
    sc.write_text("{ not json")
    _open(window, photos[1])
    assert "set aside" in window.last_error and window.dialogs
    assert not sc.exists() and list(photos[1].parent.glob("*.corrupt-*"))
    assert window.edit.is_unedited()


def test_auto_puts_the_model_values_on_the_sliders_and_picker(window, photos):
    import cv2
    big = photos[2].with_name("big.png")                 # 2304×1536: larger than the proxy
    cv2.imwrite(str(big), cv2.resize(cv2.imread(str(photos[2])), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC))
    _open(window, big)
    window.run_task("color_correction")
    wait_until(lambda: window.edit.task == "color_correction", 60, "the task")
    idle(window)
    s = window.edit.settings()
    assert "learned_lut" in s                             # the learned residual is on
    for name in ("exposure", "temperature", "contrast"):
        assert window.controls.widgets[name].value() == pytest.approx(s[name], abs=1e-2)
    assert window.controls.task_buttons["color_correction"].isChecked()
    # white-balance picker: an area, through the worker
    window._on_area("wb", (100, 100, 60, 40))
    wait_until(lambda: window.undo.undoText().startswith("White balance picker"), 60, "the picker")
    idle(window)
    # ROI for the industrial region boost, drawn on the image
    window._on_area("roi", (10, 20, 100, 50))
    assert window.edit.params["region_boost"]["roi"] == [[10.0, 20.0, 110.0, 70.0]]
    assert window.viewer.rois == [(10.0, 20.0, 110.0, 70.0)]
    idle(window)
    # 100 %: only visible tiles at full resolution (the photo is larger than the screen-sized
    # proxy, so full resolution has something to add)
    assert window._proxy_scale < 1
    window.viewer.set_zoom(2.0)
    wait_until(lambda: len(window.viewer.tiles_after) > 0, 60, "full-resolution tiles")
    x0, y0, x1, y1 = window.viewer.visible_rect()
    for (x, y, w, h) in window.viewer.tiles_after:
        assert x < x1 and y < y1 and x + w > x0 and y + h > y0
    assert len(window.viewer.tiles_after) < (2304 // 256) * (1536 // 256)


def test_copy_paste_batch_export_and_user_preset(window, photos, tmp_path):
    _open(window, photos[0])
    window.apply_preset("warm")
    window._on_param("exposure", 0.4, False)
    idle(window)
    window.copy_settings()
    # paste onto the two other photos selected in the filmstrip: their sidecars get the edit
    for p in photos[1:]:
        window.filmstrip.items[str(p)].setSelected(True)
    window.filmstrip.items[str(photos[0])].setSelected(False)
    window.paste_settings()
    for p in photos[1:]:
        edit = json.loads(sidecar_path(p).read_text())["edit"]
        assert edit["preset"] == "warm" and edit["params"] == {"exposure": 0.4}
    # batch export of the selection, each photo with its own edit, with progress
    from kolors.gui.export_dialog import ExportOptions
    prog = []
    window.worker.progress.connect(lambda j, f, t: prog.append(t))
    job = window.batch_export([str(p) for p in photos], ExportOptions(tmp_path / "batch", "{n:02d}_{name}", "PNG", 95, 8))
    wait_until(lambda: getattr(window, "last_export", (0,))[0] == job, 180, "the batch export")
    written = window.last_export[1]
    assert [p.name for p in written] == [f"{i:02d}_{p.stem}.png" for i, p in enumerate(photos, 1)]
    assert any("(3/3)" in t for t in prog)
    from kolors.engine.enhancer import Enhancer
    ref = Enhancer(model_type="classic").enhance_file(photos[2], tmp_path / "ref.png", preset="warm", exposure=0.4)
    assert np.array_equal(read_image(written[2]).data, read_image(ref).data)
    # the current settings as a user preset: listed, with a thumbnail
    window.save_preset("my_warm")
    assert "my_warm" in window.presets.items
    wait_until(lambda: not window.worker.busy(), 60, "the preset thumbnails")
    assert not window.presets.items["my_warm"].icon().isNull()


def test_camera_raw_opens_with_a_preview(window, data_dir, tmp_path):
    import shutil
    src = tmp_path / "canon.crw"
    shutil.copy(data_dir / "raw" / "RAW_CANON_D30_SRGB.CRW", src)
    _open(window, src)
    assert window.session.is_raw and window.last_preview.mean() > 20
    window._on_param("exposure", 0.5, False)
    idle(window)
    assert window.last_preview.mean() > 25


def test_separate_drags_are_separate_undo_steps(window, photos):
    _open(window, photos[0])
    sl = window.controls.widgets["contrast"].slider
    for start in (600, 700):
        sl.setSliderDown(True)
        for pos in range(start, start + 10):
            sl.setValue(pos)
        sl.setSliderDown(False)                # emits sliderReleased
    assert window.undo.count() == 2
    window.undo.undo()
    assert window.edit.params["contrast"] == pytest.approx(-1 + 2 * 609 / 1000)
    # a click on the ROI tool at the very corner stays inside the image
    window._on_area("roi", (-3, -3, 8, 8))
    assert window.edit.params["region_boost"]["roi"] == [[0.0, 0.0, 5.0, 5.0]]
