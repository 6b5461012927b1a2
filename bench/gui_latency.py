"""Desktop app: slider change → painted preview latency on a 24 MP photo, at fit and at 100 %.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=app .venv/bin/python bench/gui_latency.py [--changes 40]

The photo: ``photos/imagecompression_info/flower_foveon.png`` (2268×1512) resized to
6000×4000 (cv2.INTER_CUBIC) and written as an 8-bit PNG in a temporary folder. The real
main window runs (offscreen platform) with its render worker thread; the grade is the
``cinema`` preset, and the exposure slider is moved.

Two ways of moving it:

* *isolated*: one change, then wait until its fine preview is painted; ``--changes`` times.
* *drag*: ``--changes`` changes at 60 Hz (a slider dragged by hand); stale states are
  superseded, so only some are rendered; the latency of each rendered state is counted.

For each change: time from the slider's value change (in the GUI thread) to

* *first paint*: the coarse preview of that state painted in the viewer (a 17³ table at
  half the proxy's size);
* *fine*: the last band of the fine preview (the export's 65³ plan at the proxy's size)
  painted, or at 100 % (``--zoom 1``): every visible full-resolution tile painted.

Also the GUI thread's heartbeat during a full-resolution export of the same photo (a 5 ms
timer: largest gap). Prints a Markdown table for bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DATA = Path(os.environ.get("KOLORS_DATA", REPO.parent / "shared" / "data"))


def make_photo(folder: Path) -> Path:
    import cv2
    src = cv2.imread(str(DATA / "photos" / "imagecompression_info" / "flower_foveon.png"))
    big = cv2.resize(src, (6000, 4000), interpolation=cv2.INTER_CUBIC)
    out = folder / "flower_24mp.png"
    cv2.imwrite(str(out), big, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return out


def wait(cond, timeout: float = 300.0) -> bool:
    from kolors.gui.app import wait_until
    return wait_until(cond, timeout, poll_ms=2)


def pct(v: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(v) * 1000, q)) if v else float("nan")


def run(args) -> None:
    from PySide6.QtCore import QTimer

    from kolors.gui.app import make_app, prepare_process
    from kolors.gui.main_window import MainWindow
    make_app()
    tmp = Path(tempfile.mkdtemp())
    photo = make_photo(tmp)
    w = MainWindow(model_type="classic")
    prepare_process()          # as run_gui does (GIL switch interval, frozen start-up heap)
    w.resize(1600, 1000)
    w.show()
    t0 = time.perf_counter()
    w.open_path(photo)
    wait(lambda: w.path == photo and w.last_preview is not None)
    open_s = time.perf_counter() - t0
    w.apply_preset("cinema")
    wait(lambda: w.preview_is_current() and not w.worker.busy())
    slider = w.controls.widgets["exposure"].slider
    rows = []
    for zoom in ("fit", "100 %"):
        if zoom == "100 %":
            w.viewer.set_zoom(1.0)
            wait(lambda: w.preview_is_current() and len(w.viewer.tiles_after) > 0 and not w.worker.busy())
        # isolated changes
        first, fine = [], []
        for i in range(args.changes):
            pos = 520 + (i % 2) * 20 + i // 2
            t = time.perf_counter()
            slider.setValue(pos)
            job = w._preview_job
            ok = wait(lambda: any(j == job and s == "coarse" for j, s, _ in w.painted))
            first.append(time.perf_counter() - t if ok else float("nan"))
            if zoom == "fit":
                wait(lambda: w._fine_job == job)
            else:
                wait(lambda: w._fine_job == job and not w.worker.busy() and w.viewer.tiles_after
                     and _visible_done(w))
            fine.append(time.perf_counter() - t)
        rows.append((zoom, "isolated", first, fine))
        # a drag at 60 Hz
        # (MainWindow.painted holds (job, stage, seconds from that state's request); the
        # request is made synchronously in the slider's valueChanged handler)
        w.painted.clear()
        for i in range(args.changes):
            slider.setValue(600 + i)
            wait(lambda: False, 1 / 60)
        wait(lambda: w.preview_is_current() and not w.worker.busy())
        dfirst = [dt for _j, s, dt in w.painted if s == "coarse"]
        dfine = [dt for _j, s, dt in w.painted if s == "fine"]
        rows.append((zoom, f"drag at 60 Hz ({len(dfirst)} coarse, {len(dfine)} fine paints for {args.changes} "
                           "states)", dfirst, dfine))
        w.viewer.set_fit()
    # heartbeat during a full-resolution export
    from kolors.gui.export_dialog import ExportOptions
    beats = []
    hb = QTimer()
    hb.timeout.connect(lambda: beats.append(time.perf_counter()))
    hb.start(5)
    t = time.perf_counter()
    job = w.export(ExportOptions(tmp / "out", "{name}", "JPEG", 95, 8))
    wait(lambda: getattr(w, "last_export", (0,))[0] == job, 600)
    export_s = time.perf_counter() - t
    hb.stop()
    gaps = np.diff(beats) * 1000
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nMachine: {platform.node()} {os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
          f"load average {load[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"Photo 6000×4000 PNG; open → first preview {open_s:.2f} s; full-resolution JPEG export {export_s:.1f} s; "
          f"GUI heartbeat during export: largest gap {gaps.max():.0f} ms, p99 {np.percentile(gaps, 99):.0f} ms "
          f"({len(gaps)} beats)\n")
    print("| zoom | slider | first paint p50 | p95 | fine / full-res tiles p50 | p95 |")
    print("|---|---|---:|---:|---:|---:|")
    for zoom, kind, a, b in rows:
        print(f"| {zoom} | {kind} | {pct(a, 50):.0f} ms | {pct(a, 95):.0f} ms | {pct(b, 50):.0f} ms | {pct(b, 95):.0f} ms |")


def _visible_done(w) -> bool:
    from kolors.engine.session import region_for_tiles
    from kolors.gui.main_window import TILE
    x0, y0, x1, y1 = w.viewer.visible_rect()
    W, H = w.session.size
    return all(t in w.viewer.tiles_after for t in region_for_tiles(x0, y0, x1, y1, W, H, TILE))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--changes", type=int, default=40)
    run(ap.parse_args())
