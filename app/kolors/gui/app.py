"""Starting the desktop app: ``kolors`` (no arguments) or ``kolors gui [FILE_OR_FOLDER]``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["run_gui", "display_profile", "make_app"]


def display_profile() -> bytes | None:
    """The display's ICC profile where the system provides one, else None (sRGB).

    Looked up in order: ``KOLORS_DISPLAY_ICC`` (a path to an .icc/.icm file), then the
    X11 root window's ``_ICC_PROFILE`` atom (set by colord/colour managers) through
    ``xprop``. A profile that is not usable ICC is ignored (sRGB)."""
    from ..engine.display import profile_description
    data = None
    env = os.environ.get("KOLORS_DISPLAY_ICC")
    if env and Path(env).is_file():
        data = Path(env).read_bytes()
    elif os.environ.get("DISPLAY") and shutil.which("xprop"):
        try:
            out = subprocess.run(["xprop", "-root", "_ICC_PROFILE"], capture_output=True, text=True, timeout=2).stdout
            if "=" in out:
                data = bytes(int(v) & 0xFF for v in out.split("=", 1)[1].replace(",", " ").split())
        except (OSError, subprocess.SubprocessError, ValueError):
            data = None
    if not data:
        return None
    try:
        desc = profile_description(data)
    except ValueError:
        return None
    return None if "srgb" in desc.lower().replace(" ", "") else data


def make_app():
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ..paths import resources_dir
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Kolors")
    app.setOrganizationName("Kolors")
    app.setDesktopFileName("kolors")
    res = resources_dir()
    icon = res / "icons" / "kolors.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    qss = res / "style.qss"
    if qss.is_file():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    return app


def run_gui(path: str | os.PathLike | None = None, model_type: str = "general", device: str = "auto") -> int:
    """Open the main window (and ``path``, a photo or folder); returns the exit code."""
    app = make_app()
    from .main_window import MainWindow
    win = MainWindow(model_type=model_type, device=device, display_icc=display_profile())
    win.show()
    if path:
        win.open_path(path)
    return int(app.exec())
