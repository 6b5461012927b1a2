"""Exports from the window: the export dialogs become render-worker jobs (the open photo,
a batch of selected photos each with its own sidecar's edit, or the open video), each with
a progress dialog that can cancel it; destinations never overwrite a file; the outcome of
the last export is kept in :attr:`ExportController.last_export`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog

from ..engine.edit import load_edit
from .export_dialog import ExportDialog, ExportOptions

__all__ = ["ExportController", "unique_destinations"]


def unique_destinations(items: list) -> list:
    """``(source, settings, destination)`` items whose destinations never overwrite: one that
    exists (an original, an earlier export) or that another item of the batch uses gets
    ``-1``, ``-2``… before its suffix."""
    used: set[Path] = set()
    out = []
    for src, settings, dst in items:
        d = Path(dst)
        k = 1
        while d in used or d.exists():
            d = Path(dst).with_name(f"{Path(dst).stem}-{k}{Path(dst).suffix}")
            k += 1
        used.add(d)
        out.append((src, settings, str(d)))
    return out


class ExportController(QObject):
    """Runs the exports of ``window`` (a :class:`~kolors.gui.main_window.MainWindow`: its open
    photo, edit, filmstrip selection, worker, status bar and error dialogs).

    ``jobs``: the running exports, ``{job: {'dialog', 'items', 'progress', 'written'}}``;
    ``last_export``: ``(job, [written paths])`` of the last export to end, ``(job, None)``
    when it failed or was cancelled (``(0, None)`` before any)."""

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window
        self.worker = window.worker
        self.jobs: dict[int, dict] = {}
        self.last_export: tuple[int, list[Path] | None] = (0, None)
        w = self.worker
        w.progress.connect(self._on_progress)
        w.exported.connect(self._on_exported)
        w.cancelled.connect(self._on_cancelled)

    # ------------------------------------------------------------------ photos
    def _ask(self, folder: Path, count: int = 1) -> ExportOptions | None:
        dlg = ExportDialog(self.window, folder, count)
        if not dlg.exec():
            return None
        try:
            return dlg.options()
        except ValueError as e:
            self.window._error(str(e))
            return None

    def export_dialog(self) -> None:
        win = self.window
        if win.session is None:
            return
        o = self._ask(win.path.parent)
        if o is not None:
            self.export(o)

    def export(self, options: ExportOptions, dst: Path | None = None) -> int:
        """Export the open photo at full resolution (or ``options.long_side``); returns
        the job id (progress dialog with cancel)."""
        win = self.window
        dst = dst or options.destination(win.path, 1, win.edit.preset, win.edit.task)
        return self._start([(win.session, win.edit.settings(), str(dst))], options)

    def batch_export_dialog(self) -> None:
        win = self.window
        paths = win.filmstrip.selected_paths() or ([str(win.path)] if win.path else [])
        if not paths:
            return
        o = self._ask(Path(paths[0]).parent, len(paths))
        if o is not None:
            self.batch_export(paths, o)

    def batch_export(self, paths: list[str], options: ExportOptions) -> int | None:
        """Export ``paths``, each with the edit of its sidecar as :func:`load_edit` reads it
        (the open one with its current edit; one without a sidecar from the photo's own
        starting values, as when it is opened)."""
        from ..io.sidecar import sidecar_path
        win = self.window
        win.save_sidecar()
        items = []
        for n, p in enumerate(paths, 1):
            if win.path is not None and Path(p) == win.path:
                edit = win.edit.copy()
            elif not sidecar_path(p).exists() and load_edit(p).source != "xmp":
                items.append((p, None, str(options.destination(p, n))))
                continue
            else:
                loaded = load_edit(p)
                if loaded.warning:
                    win._error(loaded.warning, title="Edit sidecar")
                edit = loaded.edit
            items.append((p, edit, str(options.destination(p, n, edit.preset, edit.task))))
        return self._start(items, options)

    def _start(self, items: list, options: ExportOptions) -> int:
        try:
            options.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.window._error(f"cannot create the export folder {options.folder}: {e}")
            return 0
        items = unique_destinations(items)
        job = self.worker.submit("export", "export", items=items, quality=options.quality, bits=options.bits,
                                 long_side=options.long_side, output_sharpening=options.output_sharpening,
                                 profile=options.profile)
        self._progress_dialog(job, items)
        return job

    # ------------------------------------------------------------------ video
    def export_video_dialog(self) -> None:
        win = self.window
        if win.session is None or not hasattr(win.session, "export_video"):
            return
        dst, _ = QFileDialog.getSaveFileName(win, "Export video", str(win.path.with_name(win.path.stem + "_kolors.mp4")),
                                             "Video (*.mp4 *.mkv *.mov)")
        if dst:
            self.export_video(Path(dst))

    def export_video(self, dst: Path, codec: str = "libx264", crf: float | None = 18) -> int:
        """Grade the whole open video into ``dst`` (audio kept) with progress and cancel."""
        win = self.window
        dst = Path(unique_destinations([(None, None, str(dst))])[0][2])
        job = self.worker.submit("export", "video", session=win.session, edit=win.edit.copy(), dst=str(dst),
                                 codec=codec, crf=crf)
        self._progress_dialog(job, [dst])
        return job

    # ------------------------------------------------------------------ progress
    def _progress_dialog(self, job: int, items: list) -> None:
        dlg = QProgressDialog("Exporting…", "Cancel", 0, 1000, self.window)
        dlg.setWindowTitle("Export")
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setWindowModality(Qt.WindowModality.NonModal)
        dlg.canceled.connect(lambda: self.cancel(job))
        dlg.show()
        self.jobs[job] = {"dialog": dlg, "items": items, "progress": 0.0, "written": None}

    def cancel(self, job: int) -> None:
        self.worker.cancel(job)
        st = self.jobs.get(job)
        if st:
            st["dialog"].setLabelText("Cancelling…")

    def _on_progress(self, job: int, frac: float, text: str) -> None:
        st = self.jobs.get(job)
        if st is None:
            return
        st["progress"] = frac
        st["dialog"].setValue(int(frac * 1000))
        st["dialog"].setLabelText(text)

    def _finish(self, job: int) -> dict | None:
        st = self.jobs.pop(job, None)
        if st is not None:
            d = st["dialog"]
            d.blockSignals(True)
            d.close()
            d.deleteLater()
        return st

    def _on_exported(self, job: int, written: list) -> None:
        st = self._finish(job)
        self.last_export = (job, [Path(p) for p in written])
        if st is not None:
            self.window.statusBar().showMessage(
                f"Exported {len(written)} file{'s' if len(written) != 1 else ''}: "
                f"{', '.join(Path(p).name for p in written[:3])}", 6000)

    def _on_cancelled(self, job: int, written: int = 0) -> None:
        if self._finish(job) is not None:
            self.last_export = (job, None)
            self.window.statusBar().showMessage(
                "Export cancelled: " + (f"{written} finished file(s) kept, the one in progress was not written"
                                        if written else "nothing was written"), 6000)

    def failed(self, job: int) -> None:
        """Export ``job`` failed (the window shows the error)."""
        self._finish(job)
        self.last_export = (job, None)
