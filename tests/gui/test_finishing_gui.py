"""Finishing a photo in the window: clipping warnings (J) computed by the worker, the lens
status in the status bar, a new RAW's starting values, and output sharpening on export."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QKeySequence

from kolors.io.images import read_image

from gui_helpers import idle, open_photo, wait_until

pytestmark = pytest.mark.slow


def _array(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    return np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :w * 3].reshape(h, w, 3).copy()


def test_clipping_warnings_colour_the_clipped_pixels(window, photos):
    """J: the viewer shows the worker's clipping overlay of the preview instead of the
    edit: clipped highlights red, crushed shadows blue, the rest the preview itself; it
    follows edits (coarse, then fine) and goes off with J again."""
    from kolors.core.scopes import CLIP_HIGH, CLIP_LOW, clipping_overlay
    open_photo(window, photos[0])
    window._on_param("exposure", 1.5, False)
    idle(window)
    assert window.clipping_action.shortcut() == QKeySequence("J")
    window.clipping_action.trigger()
    assert window.clipping and window.viewer.clipping

    def current() -> bool:       # the fine overlay of the current preview (the coarse one comes first)
        return (window.preview_is_current() and window._clip_job == window._preview_job
                and window.viewer.clip_after.width() == window.last_preview.shape[1])

    wait_until(current, 60, "the clipping overlay")
    prev = window.last_preview
    shown = _array(window.viewer.clip_after)
    expected, shares = clipping_overlay(prev)
    assert np.array_equal(shown, expected)
    hi = (prev >= 254).any(2)
    lo = (prev <= 1).any(2) & ~hi
    assert hi.mean() > 0.01 and (shown[hi] == CLIP_HIGH).all()
    assert (shown[lo] == CLIP_LOW).all() and np.array_equal(shown[~hi & ~lo], prev[~hi & ~lo])
    assert window.clip_shares["highlights"] == pytest.approx(hi.mean())
    assert "highlights" in window.clip_label.text()
    # the viewer draws it (toggle mode, after)
    window.viewer.show_after_only()
    grab = _array(window.viewer.grab().toImage())
    assert ((grab == CLIP_HIGH).all(2)).mean() > 0.005
    # it follows an edit: darker, fewer clipped highlights
    window._on_param("exposure", 0.0, False)
    wait_until(current, 60, "the new clipping overlay")
    assert window.clip_shares["highlights"] < shares["highlights"]
    window.clipping_action.trigger()
    assert not window.clipping and window.viewer.clip_after is None
    idle(window)


def test_lens_status_is_shown_when_lens_corrections_are_on(window, photos):
    open_photo(window, photos[0])
    assert window.lens_label.text() == ""
    window._on_param("lens_correction", True, False)
    idle(window)
    expected = window.session.lens_status(window.edit.settings())
    assert expected
    wait_until(lambda: window.lens_label.text() == expected, 30, "the lens status")
    window._on_param("lens_correction", False, False)
    idle(window)
    wait_until(lambda: window.lens_label.text() == "", 30, "no lens status")


def test_a_new_raw_starts_from_its_own_defaults(window, tmp_path):
    pytest.importorskip("pidng")
    from rawgen import SHOT_K, make_dng, neutral_of
    from testdata import kodak_photo
    dng = make_dng(tmp_path / "iso.dng", read_image(kodak_photo(23)).data, neutral=neutral_of(SHOT_K), iso=1600)
    open_photo(window, dng)
    assert window.edit.defaults == window.session.photo_defaults()
    assert window.edit.defaults.get("luma_denoise", 0) > 0
    assert window.last_preview_settings["luma_denoise"] == window.edit.defaults["luma_denoise"]


def test_output_sharpening_is_passed_to_the_export(window, photos, tmp_path, qtbot):
    from kolors.engine.enhancer import Enhancer
    from kolors.engine.session import PhotoSession
    from kolors.gui.export_dialog import SHARPENING, ExportDialog, ExportOptions
    dlg = ExportDialog(window, tmp_path)
    qtbot.addWidget(dlg)
    assert list(SHARPENING) == ["None", "Screen, low", "Screen, standard", "High"]
    dlg.sharpening.setCurrentText("Screen, standard")
    assert dlg.options().output_sharpening == 1.0
    open_photo(window, photos[0])
    window._on_param("exposure", 0.2, False)
    idle(window)
    job = window.export(ExportOptions(tmp_path / "out", "{name}", "PNG", 95, 8, output_sharpening=1.0))
    wait_until(lambda: window.last_export[0] == job, 120, "the export")
    got = read_image(window.last_export[1][0]).data
    session = PhotoSession(Enhancer(model_type="general", device="cpu"), photos[0])
    ref = session.export(tmp_path / "ref.png", window.edit.settings(), output_sharpening=1.0)
    plain = session.export(tmp_path / "plain.png", window.edit.settings())
    assert np.array_equal(got, read_image(ref).data)
    assert not np.array_equal(got, read_image(plain).data)
    # a batch passes it on too
    job = window.batch_export([str(photos[1])], ExportOptions(tmp_path / "b", "{name}", "PNG", 95, 8,
                                                                output_sharpening=1.5))
    wait_until(lambda: window.last_export[0] == job, 120, "the batch export")
    ref = PhotoSession(session.enhancer, photos[1]).export(tmp_path / "ref1.png", {}, output_sharpening=1.5)
    assert np.array_equal(read_image(window.last_export[1][0]).data, read_image(ref).data)
