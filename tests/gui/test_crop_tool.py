"""The crop and straighten tool, driven with the mouse on the viewer: aspect presets, handles,
moving, the horizon line, rotate and flip buttons; the framed photo shown, exported, undone
and pasted."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from kolors.io.images import read_image
from kolors.io.sidecar import sidecar_path

from gui_helpers import drag, idle, open_photo, wait_until

pytestmark = pytest.mark.slow


def _crop_px(window):
    """The crop rectangle (x0, y0, x1, y1) in pixels of the 768×512 photo."""
    x0, y0, x1, y1 = window.edit.params["crop"]
    return x0 * 768, y0 * 512, x1 * 768, y1 * 512


def test_square_crop_with_handles_is_shown_and_exported(window, photos, tmp_path):
    """R enters the tool (the whole photo, the crop over it); 1:1 makes the largest square;
    a corner handle and a drag inside change it, each one undo step; Enter applies: the
    viewer shows the framed photo (before and after), and the export is square and equals
    the engine's export of the same settings."""
    from kolors.engine.enhancer import Enhancer
    from kolors.engine.session import PhotoSession
    from kolors.gui.export_dialog import ExportOptions
    src = photos[0]
    open_photo(window, src)
    v, tool = window.viewer, window.crop
    assert window.crop_action.shortcut() == QKeySequence("R")
    window.crop_action.trigger()
    assert tool.active and v.overlay is tool and window.crop_action.isChecked()
    idle(window)
    assert v.image_size == (768, 512)
    window.controls.crop_controls.aspect.setCurrentText("1:1")
    x0, y0, x1, y1 = _crop_px(window)
    assert (x1 - x0, y1 - y0) == pytest.approx((512, 512), abs=0.5)      # the largest square, centred
    assert (x0 + x1) / 2 == pytest.approx(384, abs=0.5)
    steps = window.undo.count()
    # the bottom-right handle 100 screen pixels in and up: a smaller square, top-left fixed
    br = v.to_widget(tool.rect.bottomRight())
    drag(v, br, br - QPointF(100, 100))
    x0b, y0b, x1b, y1b = _crop_px(window)
    assert (x0b, y0b) == pytest.approx((x0, y0), abs=0.5)
    side = 512 - 100 / v.zoom
    assert (x1b - x0b, y1b - y0b) == pytest.approx((side, side), abs=1.0)
    # drag inside: move it left by 40 screen pixels
    c = v.to_widget(tool.rect.center())
    drag(v, c, c - QPointF(40, 0))
    x0c, y0c, x1c, y1c = _crop_px(window)
    assert x0c == pytest.approx(x0b - 40 / v.zoom, abs=1.0) and y0c == pytest.approx(y0b, abs=0.5)
    assert window.undo.count() == steps + 2                                # one step per drag
    # Enter applies: the framed photo
    assert Qt.Key.Key_Return in [s[0].key() for s in window.apply_crop_action.shortcuts()]
    window.apply_crop_action.trigger()
    assert not tool.active and v.overlay is None
    idle(window)
    wait_until(lambda: window.viewer.before is not None and window.viewer.before.size() == window.viewer.after.size(),
               30, "the before image of the framed photo")
    settings = window.edit.settings()
    fw, fh = window.session.framed_size(settings)
    assert v.image_size == (fw, fh) and abs(fw - fh) <= 1
    h, w = window.last_preview.shape[:2]
    assert abs(w - h) <= 1 and v.before.width() == w and v.before.height() == h   # same framing
    job = window.export(ExportOptions(tmp_path / "out", "{name}_sq", "PNG", 95, 8))
    wait_until(lambda: window.last_export[0] == job, 120, "the export")
    got = read_image(window.last_export[1][0]).data
    assert got.shape[:2] == (fh, fw)
    ref = PhotoSession(Enhancer(model_type="general", device="cpu"), src).export(tmp_path / "ref.png", settings)
    assert np.array_equal(got, read_image(ref).data)
    # undo walks back through the crop
    while "crop" in window.edit.params:
        window.undo.undo()
    idle(window)
    assert v.image_size == (768, 512)


def test_straighten_tool_levels_the_horizon_and_turns_flip(window, photos):
    """A line drawn rising 4° to the right sets straighten +4° (positive turns the photo
    clockwise), the crop shrinks to stay inside the turned photo (no empty corners); the
    rotate and flip buttons turn and mirror the framed photo; copy/paste carries the
    geometry."""
    open_photo(window, photos[0])
    v, tool, cc = window.viewer, window.crop, window.controls.crop_controls
    window.set_crop_tool(True)
    idle(window)
    cc.level.setChecked(True)
    assert tool.level
    a, b = QPointF(100, 300), QPointF(600, 300 - 500 * math.tan(math.radians(4)))
    drag(v, v.to_widget(a), v.to_widget(b), steps=20)
    assert window.edit.params["straighten"] == pytest.approx(4.0, abs=0.15)
    settings = window.edit.settings()
    f = window.session.framing(settings)
    cx, cy, ha, hb = f.crop_box()
    # the engine's constraint had nothing to shrink: the crop the tool drew fits the turned photo
    from kolors.core.geometry import Framing
    loose = Framing(768, 512, 0, "none", settings["straighten"], tuple(settings["crop"]), False)
    assert loose.crop_box() == pytest.approx((cx, cy, ha, hb), rel=1e-3)
    assert ha / hb == pytest.approx(768 / 512, rel=0.02)                  # the photo's aspect ("Original")
    window.apply_crop_action.trigger()
    idle(window)
    fw, fh = window.session.framed_size(window.edit.settings())
    assert v.image_size == (fw, fh) and fw < 768 and fh < 512
    # rotate right: the framed photo turns (its size swaps); flip: mirrors, straighten changes sign
    cc.right.click()
    assert window.edit.params["rotate"] == "90"
    idle(window)
    assert v.image_size == window.session.framed_size(window.edit.settings())
    assert abs(v.image_size[0] - fh) <= 1 and abs(v.image_size[1] - fw) <= 1
    cc.flip_h.click()
    assert window.edit.params["flip"] == "horizontal"
    assert window.edit.params["straighten"] == pytest.approx(-4.0, abs=0.15)
    idle(window)
    # copy / paste carries the geometry to another photo
    window.copy_settings()
    window.filmstrip.clearSelection()
    window.filmstrip.items[str(photos[1])].setSelected(True)
    window.paste_settings()
    pasted = json.loads(sidecar_path(photos[1]).read_text())["edit"]["params"]
    for k in ("rotate", "flip", "straighten", "crop"):
        assert pasted[k] == window.edit.params[k]
    # undo back to level, whole photo
    for _ in range(4):
        window.undo.undo()
    assert not any(k in window.edit.params for k in ("rotate", "flip", "straighten", "crop"))
    idle(window)
    assert v.image_size == (768, 512)


def test_turn_and_flip_keep_the_crop_on_the_same_part_of_the_photo():
    """The rotate/flip buttons' geometry: a turn and its inverse, or two flips, give back
    the same framing; a turn after a flip maps every output point as turning the framed
    photo would."""
    from kolors.core.geometry import framing_of
    from kolors.gui.crop_tool import flipped, turned
    s = {"rotate": "0", "flip": "horizontal", "straighten": 3.0, "crop": [0.1, 0.2, 0.7, 0.9]}
    back = turned(turned(s, True), False)
    assert (back["rotate"], back["flip"], back["straighten"]) == ("0", "horizontal", 3.0)
    assert back["crop"] == pytest.approx(s["crop"])
    assert flipped(flipped(s, "vertical"), "vertical")["crop"] == pytest.approx(s["crop"])
    W, H = 600, 400
    f0 = framing_of(s, W, H)
    f1 = framing_of(turned(s, True), W, H)
    w0, h0 = f0.size
    assert f1.size == (h0, w0)
    # output point (u, v) of the turned framing is point (v, h0 - 1 - u) of the original
    u = np.array([3.0, 50.0, 120.0])
    vv = np.array([7.0, 90.0, 20.0])
    a = f1.map_points(u, vv)
    b = f0.map_points(vv, h0 - 1 - u)
    assert np.allclose(a, b, atol=0.6)
    g = framing_of(flipped(s, "horizontal"), W, H)
    assert np.allclose(g.map_points(u, vv), f0.map_points(w0 - 1 - u, vv), atol=0.6)
