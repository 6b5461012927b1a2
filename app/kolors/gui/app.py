"""Starting the desktop app: ``kolors`` (no arguments) or ``kolors gui [FILE_OR_FOLDER]``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["run_gui", "display_profile", "make_app", "prepare_process", "wait_until"]


def wait_until(cond, timeout: float = 60.0, poll_ms: int = 10) -> bool:
    """Run the Qt event loop until ``cond()`` is true or ``timeout`` seconds pass; returns
    ``cond()``. For scripts, benchmarks and tests that drive the window: it waits in a
    real ``QEventLoop``, which releases the GIL while idle (PySide6's ``QTest.qWait``, and
    so pytest-qt's ``waitUntil``, keep it while sleeping and starve the render worker)."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer
    t0 = time.monotonic()
    if cond():
        return True
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() - t0 > timeout else None)
    timer.start(poll_ms)
    loop.exec()
    timer.stop()
    return bool(cond())


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


def prepare_process() -> None:
    """The process-wide settings of the desktop app, made once its window is built (by
    :func:`run_gui`; scripts and tests that build a ``MainWindow`` themselves call it too):

    * the render worker hands the GIL back every 2 ms (default 5), so the GUI thread stays
      responsive while the worker runs Python between its torch/numba calls;
    * the start-up heap is collected once and frozen. Python's full garbage collection
      walks every tracked object; with torch, numba and Qt imported that is ~240k objects
      and ~150 ms with the GIL held, at an unknown moment: a freeze of the GUI (a heartbeat
      test saw 832 ms in a test process). The modules and widgets made so far live as long
      as the app: ``gc.freeze`` moves them out of the collector's reach, so later
      collections walk only what the app allocates from here on (measured: a full
      collection 154 ms → 0.02 ms). Calling it again freezes what was made since."""
    import gc
    sys.setswitchinterval(0.002)
    gc.collect()
    gc.freeze()


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


def run_gui(path: str | os.PathLike | None = None, model_type: str = "general", device: str = "auto",
            smoke_export: str | os.PathLike | None = None, preset: str | None = None) -> int:
    """Open the main window (and ``path``, a photo or folder); returns the exit code.

    ``smoke_export`` (a check of an installed app or bundle): open ``path``, apply
    ``preset``, wait for the preview, export to that file through the window's export job,
    close and return 0 — or 1 with the error on stderr, after at most 10 minutes."""
    app = make_app()
    from .main_window import MainWindow
    win = MainWindow(model_type=model_type, device=device, display_icc=display_profile())
    prepare_process()
    win.show()
    if path:
        win.open_path(path)
    if smoke_export is not None:
        return _smoke(app, win, Path(path) if path else None, Path(smoke_export), preset)
    return int(app.exec())


def _smoke(app, win, path: Path | None, out: Path, preset: str | None) -> int:
    import time

    from PySide6.QtCore import QTimer

    from .export_dialog import FORMATS, ExportOptions
    if path is None or not path.is_file():
        print("kolors: --smoke-export needs a photo to open", file=sys.stderr)
        return 1
    fmt = next((k for k, v in FORMATS.items() if v == out.suffix.lower() or (k == "TIFF" and out.suffix.lower() == ".tiff")
                or (k == "JPEG" and out.suffix.lower() == ".jpeg")), None)
    if fmt is None:
        print(f"kolors: {out}: export as .jpg, .png or .tif", file=sys.stderr)
        return 1
    state = {"step": "open", "t0": time.monotonic(), "rc": None}

    def tick() -> None:
        if win.last_error:
            print(f"kolors: {win.last_error}", file=sys.stderr)
            state["rc"] = 1
        elif time.monotonic() - state["t0"] > 600:
            print(f"kolors: smoke test timed out at step {state['step']}", file=sys.stderr)
            state["rc"] = 1
        elif state["step"] == "open" and win.path == path.resolve() or win.path == path:
            if state["step"] == "open":
                if preset:
                    win.apply_preset(preset)
                state["step"] = "preview"
        if state["step"] == "preview" and win.preview_is_current() and not win.worker.busy():
            opts = ExportOptions(out.parent.resolve(), out.stem, fmt, 95, 8 if fmt == "JPEG" else 16)
            out.parent.mkdir(parents=True, exist_ok=True)
            state["job"] = win.export(opts, out.resolve())
            state["step"] = "export"
        if state["step"] == "export" and getattr(win, "last_export", (0,))[0] == state["job"]:
            written = win.last_export[1]
            state["rc"] = 0 if written else 1
            print(f"kolors: exported {written[0]}" if written else "kolors: export failed", file=sys.stderr)
        if state["rc"] is not None:
            timer.stop()
            win.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    app.exec()
    return int(state["rc"] if state["rc"] is not None else 1)
