"""Screenshots of the main window for the README, taken from a real X server (Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshots.py OUT_DIR PHOTO_DIR

Opens PHOTO_DIR (copied to a temporary folder, so no sidecar lands next to the
originals), applies the ``cinema`` preset on the first photo, waits for the preview,
presets thumbnails and scopes, and grabs the screen in the three before/after modes; then
the crop tool (``crop_tool.png``: a straightened 4:5 crop over the whole photo) and the
tone-curve editor (``curve_editor.png``: an S curve and a red curve, the panel scrolled to
the editor).
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
    first = sorted(tmp.glob("*.png"))[int(sys.argv[3]) if len(sys.argv) > 3 else 0]
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


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
