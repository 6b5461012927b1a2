"""Local adjustments in the window: a gradient drawn on the photo with its own exposure
changes only its part of the photo; the brush paints and erases; undo takes strokes back;
the overlay (O) shows the selected mask; the export equals the engine's render."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from kolors.io.images import read_image

from gui_helpers import drag, idle, open_photo, wait_until

pytestmark = pytest.mark.slow


def _widget_point(window, fx: float, fy: float) -> QPointF:
    w, h = window.viewer.image_size
    return window.viewer.to_widget(QPointF(fx * w, fy * h))


def _luma(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64).mean(2)


def test_gradient_brush_undo_overlay_and_export(window, photos, tmp_path):
    from kolors.engine.enhancer import Enhancer
    from kolors.engine.session import PhotoSession
    from kolors.gui.export_dialog import ExportOptions
    open_photo(window, photos[0])
    window.viewer.set_mode("toggle")             # the whole pane shows the edit
    idle(window)
    plain = window.last_preview.copy()
    panel, v = window.masks.panel, window.viewer

    # a linear gradient: added, its end handle dragged from half-way to 40 % down
    panel.add("linear")
    assert panel.selected() == 0 and v.overlay is window.masks.tool
    drag(v, _widget_point(window, 0.5, 0.5), _widget_point(window, 0.5, 0.4))
    idle(window)
    (m,) = window.edit.params["masks"]
    assert m["kind"] == "linear" and m["end"][1] == pytest.approx(0.4, abs=0.01)
    assert m["start"] == [0.5, 0.0]
    panel.sliders["exposure"].spin.setValue(1.0)     # as a person types it in
    idle(window)
    assert window.edit.params["masks"][0]["adjustments"] == {"exposure": 1.0}
    out = window.last_preview
    h = out.shape[0]
    top, bottom = slice(0, int(0.1 * h)), slice(int(0.5 * h), h)
    assert _luma(out[top]).mean() > _luma(plain[top]).mean() + 15       # the sky got brighter
    assert np.abs(out[bottom].astype(int) - plain[bottom]).max() <= 1   # below the gradient: untouched

    # the overlay (O) shows the selected mask: strong at the top, nothing at the bottom
    window.mask_overlay_action.trigger()
    idle(window)
    wait_until(lambda: window.masks.tool.overlay is not None, 60, "the mask overlay")
    ov = window.masks.tool.overlay
    assert ov.pixelColor(ov.width() // 2, 1).alpha() > 100 and ov.pixelColor(ov.width() // 2, ov.height() - 2).alpha() == 0
    window.mask_overlay_action.trigger()
    assert window.masks.tool.overlay is None

    # a brush: paint across the lower middle, then erase part of it (Alt)
    panel.add("brush")
    panel.sliders["exposure"].spin.setValue(-1.5)
    idle(window)
    drag(v, _widget_point(window, 0.2, 0.75), _widget_point(window, 0.8, 0.75), steps=20)
    idle(window)
    brush = window.edit.params["masks"][1]
    assert len(brush["strokes"]) == 1 and len(brush["strokes"][0]["points"]) > 5
    painted = window.last_preview.copy()
    row = int(0.75 * h)
    w = out.shape[1]
    assert _luma(painted[row - 2:row + 2, int(0.3 * w):int(0.7 * w)]).mean() < \
        _luma(out[row - 2:row + 2, int(0.3 * w):int(0.7 * w)]).mean() - 15
    drag(v, _widget_point(window, 0.45, 0.75), _widget_point(window, 0.55, 0.75), steps=6,
         modifiers=Qt.KeyboardModifier.AltModifier)
    idle(window)
    strokes = window.edit.params["masks"][1]["strokes"]
    assert [s["erase"] for s in strokes] == [False, True]
    erased = window.last_preview.copy()
    c = int(0.5 * w)
    assert np.abs(erased[row, c - 2:c + 2].astype(int) - out[row, c - 2:c + 2]).max() <= 2   # erased back
    window.undo.undo()                            # the eraser stroke is one step
    idle(window)
    assert [s["erase"] for s in window.edit.params["masks"][1]["strokes"]] == [False]
    assert np.abs(window.last_preview.astype(int) - painted).max() <= 1
    window.undo.redo()
    idle(window)

    # hide the gradient from the list: the sky is back as it was
    item = panel.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    idle(window)
    assert window.edit.params["masks"][0]["visible"] is False
    assert np.abs(window.last_preview[top].astype(int) - plain[top]).max() <= 1
    item.setCheckState(Qt.CheckState.Checked)
    idle(window)

    # the export is the engine's render of the same edit, and the sidecar keeps the masks
    job = window.export(ExportOptions(tmp_path / "out", "{name}", "PNG", 95, 8))
    wait_until(lambda: window.last_export[0] == job, 120, "the export")
    got = read_image(window.last_export[1][0]).data
    session = PhotoSession(Enhancer(model_type="general", device="cpu"), photos[0])
    ref = read_image(session.export(tmp_path / "ref.png", window.edit.settings())).data
    assert np.array_equal(got, ref)
    window.autosave.flush() if hasattr(window.autosave, "flush") else None
    from kolors.engine.edit import Edit
    again = Edit.from_json(window.edit.to_json())
    assert again.params["masks"] == window.edit.params["masks"]

    # copy/paste carries the masks to another photo
    masks = window.edit.params["masks"]
    window.copy_settings()
    open_photo(window, photos[1])
    assert "masks" not in window.edit.params
    window.paste_settings()
    idle(window)
    assert window.edit.params["masks"] == masks
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == [m["name"] for m in masks]


def test_refine_a_gradient_with_a_luminance_range(window, photos):
    """Lightroom's "intersect with luminance range": a gradient over the whole photo that
    darkens only its bright parts; dark pixels stay as they were."""
    from kolors.core import color
    import torch
    open_photo(window, photos[0])
    window.viewer.set_mode("toggle")
    idle(window)
    plain = window.last_preview.copy()
    panel = window.masks.panel
    panel.add("linear")
    panel.set_mask(0, {**panel.masks[0], "start": [0.5, -1.0], "end": [0.5, -0.5], "invert": True}, "Everywhere")
    panel.refine("luminance")
    idle(window)
    m = window.edit.params["masks"][0]
    assert [(c["kind"], c["mode"]) for c in m["combine"]] == [("luminance", "intersect")]
    panel.shape_sliders["lum_lo"].spin.setValue(0.6)
    panel.shape_sliders["soft"].spin.setValue(0.05)
    panel.sliders["exposure"].spin.setValue(-1.0)
    idle(window)
    assert window.edit.params["masks"][0]["combine"][0]["range"] == [0.6, 1.0]
    out = window.last_preview
    lin = color.srgb_to_linear(torch.from_numpy(plain.astype(np.float32) / 255))
    lstar = (116 * color.luminance(lin.permute(2, 0, 1))[0].clamp_min(1e-9) ** (1 / 3) - 16).numpy() / 100
    dark, bright = lstar < 0.5, lstar > 0.7
    assert dark.sum() > 1000 and bright.sum() > 1000
    diff = np.abs(out.astype(int) - plain).max(2)
    assert np.percentile(diff[dark], 99) <= 1                       # the dark pixels untouched
    assert _luma(out)[bright].mean() < _luma(plain)[bright].mean() - 20   # the bright ones a stop down
    panel.unrefine()
    idle(window)
    assert window.edit.params["masks"][0]["combine"] == []


def test_rename_reorder_delete_and_their_undo(window, photos):
    open_photo(window, photos[0])
    panel = window.masks.panel
    panel.add("radial")
    panel.add("luminance")
    idle(window)
    names = lambda: [m["name"] for m in window.edit.params["masks"]]  # noqa: E731
    assert names() == ["Radial 1", "Luminance range 1"]
    panel.list.item(0).setText("Face")                # as the list's editor commits a rename
    idle(window)
    assert names() == ["Face", "Luminance range 1"]
    panel.list.setCurrentRow(1)
    panel.move(-1)
    idle(window)
    assert names() == ["Luminance range 1", "Face"] and panel.selected() == 0
    panel.delete()
    idle(window)
    assert names() == ["Face"]
    for want in (["Luminance range 1", "Face"], ["Face", "Luminance range 1"], ["Radial 1", "Luminance range 1"]):
        window.undo.undo()                            # each action is its own step
        idle(window)
        assert names() == want
    window.undo.redo()
    idle(window)
    assert names() == ["Face", "Luminance range 1"]
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == names()


def test_masks_stay_on_the_picture_when_straightened_cropped_and_cancelled(window, photos):
    open_photo(window, photos[0])
    panel = window.masks.panel
    panel.add("radial")
    panel.set_mask(0, {**panel.masks[0], "center": [0.3, 0.4]}, "Move")
    idle(window)
    centre = lambda: window.edit.params["masks"][0]["center"]  # noqa: E731
    window._on_param("straighten", 5.0, False)          # the slider, not the crop tool
    idle(window)
    assert np.hypot(centre()[0] - 0.3, centre()[1] - 0.4) > 0.02
    window._on_param("straighten", 0.0, False)
    idle(window)
    np.testing.assert_allclose(centre(), [0.3, 0.4], atol=1e-6)
    window.set_crop_tool(True)
    window._on_geometry({"crop": [0.2, 0.1, 0.9, 0.9]}, "Crop")
    idle(window)
    np.testing.assert_allclose(centre(), [(0.3 - 0.2) / 0.7, (0.4 - 0.1) / 0.8], atol=2e-3)
    # the tool's view shows the whole photo: the mask where it is on it
    np.testing.assert_allclose(window.display_settings()["masks"][0]["center"], [0.3, 0.4], atol=2e-3)
    window.cancel_crop()                                # Esc: the geometry and the masks as they were
    idle(window)
    np.testing.assert_allclose(centre(), [0.3, 0.4], atol=2e-3)
    assert "crop" not in window.edit.params

