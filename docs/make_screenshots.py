"""Screenshots of the main window for the README, taken from a real X server (Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshots.py OUT_DIR PHOTO_DIR

Opens PHOTO_DIR (copied to a temporary folder, so no sidecar lands next to the
originals), applies the ``cinema`` preset on the first photo, waits for the preview,
presets thumbnails and scopes, and grabs the screen in the three before/after modes; then
the crop tool (``crop_tool.png``: a straightened 4:5 crop over the whole photo) and the
tone-curve editor (``curve_editor.png``: an S curve and a red curve, the panel scrolled to
the editor); then local adjustments (``masks_sky.png``: a graduated sky on kodim16 with
its handles, ``masks_face.png``: a brushed face on kodim04 with the overlay on), when
PHOTO_DIR holds those two. ``--masks-only`` takes just those two.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))


def main(out: Path, photos: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    from kolors.gui.app import make_app, wait_until
    from kolors.gui.main_window import MainWindow

    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    for p in sorted(photos.glob("*.png"))[:8]:
        shutil.copy(p, tmp / p.name)

    def wait(cond, t=120.0):
        wait_until(cond, t, poll_ms=20)

    w = MainWindow()
    w.resize(1600, 1000)
    w.show()
    out.mkdir(parents=True, exist_ok=True)
    if "--masks-only" in sys.argv:
        masks(w, out, wait, photos)
        w.close()
        return
    first = sorted(tmp.glob("*.png"))[int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 0]
    w.open_path(first)
    wait(lambda: w.path == first and w.last_preview is not None)
    w.apply_preset("cinema")
    wait(lambda: w.preview_is_current() and not w.worker.busy())
    wait(lambda: False, 3)
    out.mkdir(parents=True, exist_ok=True)
    screen = QGuiApplication.primaryScreen()
    for mode in ("split", "side", "toggle"):
        w.viewer.set_mode(mode)
        wait(lambda: False, 1.5)
        screen.grabWindow(0).save(str(out / f"main_window_{mode}.png"))
        print(out / f"main_window_{mode}.png")
    finishing(w, out, wait)
    masks(w, out, wait, photos)
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)


def finishing(w, out: Path, wait) -> None:
    """The crop tool and the curve editor, as the README shows them."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QGuiApplication
    screen = QGuiApplication.primaryScreen()

    def settled():
        wait(lambda: w.preview_is_current() and not w.worker.busy())
        wait(lambda: False, 1.5)

    w.viewer.set_mode("split")
    w.set_crop_tool(True)
    settled()
    tool = w.crop
    # a horizon 2° off, levelled with the straighten tool, then a 4:5 crop moved a little
    params = tool.level_params(QPointF(100, 300), QPointF(600, 300 + 500 * 0.0349))
    w._on_geometry(params, "Straighten")
    settled()
    w.controls.crop_controls.aspect.setCurrentText("4:5")
    tool.swap_orientation()                             # a portrait 4:5
    settled()
    tool.rect = tool._toward(tool.rect, tool.rect.translated(tool.rect.width() * 0.15, 0))
    w._on_geometry({"crop": tool.crop_param()})
    settled()
    screen.grabWindow(0).save(str(out / "crop_tool.png"))
    print(out / "crop_tool.png")
    w.set_crop_tool(False)
    w._on_param("tone_curve", [[0.0, 0.0], [0.25, 0.19], [0.5, 0.5], [0.75, 0.82], [1.0, 1.0]], False)
    w._on_param("tone_curve_red", [[0.0, 0.02], [0.5, 0.53], [1.0, 1.0]], False)
    for name, g in w.controls.groups.items():          # room for the curve: fold the other groups
        g.button.setChecked(name in ("tone", "tasks"))
    w.controls.groups["tasks"].button.setChecked(False)
    settled()
    w.adjustments_scroll.ensureWidgetVisible(w.controls.curve_editor, 0, 10)
    w.viewer.set_mode("toggle")
    w.viewer.show_before = False
    w.viewer.update()
    wait(lambda: False, 1.5)
    screen.grabWindow(0).save(str(out / "curve_editor.png"))
    print(out / "curve_editor.png")


def masks(w, out: Path, wait, photos: Path) -> None:
    """A graduated sky and a brushed face, drawn through the masks panel and the canvas tool."""
    import math

    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QGuiApplication
    screen = QGuiApplication.primaryScreen()
    sky, face = photos / "kodim16.png", photos / "kodim04.png"
    if not (sky.is_file() and face.is_file()):
        print("masks screenshots skipped: kodim16.png and kodim04.png are not in", photos)
        return
    tmp = Path(tempfile.mkdtemp())

    def settled():
        wait(lambda: w.preview_is_current() and not w.worker.busy())
        wait(lambda: False, 1.5)

    def show_masks_group():
        for name, g in w.controls.groups.items():
            g.button.setChecked(name == "masks")
        w.adjustments_scroll.ensureWidgetVisible(w.controls.masks_panel, 0, 10)

    for src in (sky, face):
        shutil.copy(src, tmp / src.name)
    w.open_path(tmp / sky.name)
    wait(lambda: w.path == tmp / sky.name and w.last_preview is not None)
    settled()
    w.viewer.set_mode("split")
    w.viewer.divider = 0.35
    panel = w.masks.panel
    panel.add("linear")
    panel.set_mask(0, {**panel.masks[0], "name": "Sky", "start": [0.5, 0.05], "end": [0.5, 0.55]}, "Sky")
    settled()
    for name, v in (("exposure", -0.8), ("highlights", -0.4), ("chroma_boost", 1.2), ("temperature", 5900.0)):
        panel.sliders[name].spin.setValue(v)
    show_masks_group()
    settled()
    screen.grabWindow(0).save(str(out / "masks_sky.png"))
    print(out / "masks_sky.png")
    w.open_path(tmp / face.name)
    wait(lambda: w.path == tmp / face.name and w.last_preview is not None)
    settled()
    w.viewer.set_mode("toggle")
    w.viewer.show_before = False
    panel.add("brush")
    panel.masks[0]["name"] = "Face"
    panel.brush.update(size=0.1, feather=0.7)
    w.masks._on_brush()
    # strokes over the face (fractions of the photo), as a hand paints them
    strokes = []
    for cy in (0.40, 0.46, 0.52, 0.58, 0.64):
        pts = [[0.36 + 0.25 * t, cy + 0.01 * math.sin(5 * t)] for t in [i / 30 for i in range(31)]]
        strokes.append({"points": pts, "size": 0.1, "feather": 0.7, "flow": 1.0, "erase": False})
    panel.set_mask(0, {**panel.masks[0], "strokes": strokes}, "Brush")
    settled()
    for name, v in (("exposure", 0.45), ("shadows", 0.3), ("vibrance", 0.15)):
        panel.sliders[name].spin.setValue(v)
    w.masks.set_overlay(True)
    show_masks_group()
    settled()
    vw = w.viewer
    c = vw.to_widget(QPointF(0.62 * vw.image_size[0], 0.5 * vw.image_size[1]))
    w.masks.tool._hover = c                       # the brush cursor where the hand is
    vw.update()
    wait(lambda: False, 1.0)
    screen.grabWindow(0).save(str(out / "masks_face.png"))
    print(out / "masks_face.png")
    w.masks.set_overlay(False)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
