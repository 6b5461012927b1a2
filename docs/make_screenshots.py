"""Screenshots of the main window for the README, taken from a real X server (Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshots.py OUT_DIR PHOTO_DIR

Opens PHOTO_DIR (copied to a temporary folder, so no sidecar lands next to the
originals), applies the ``cinema`` preset on the first photo, waits for the preview,
presets thumbnails and scopes, and grabs the screen in the three before/after modes.
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
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
