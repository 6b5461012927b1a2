"""The main window: its layout (viewer, controls, presets, scopes, filmstrip, video bar,
menus, status bar) and what the person does in it, routed between the widgets, the edit
and the render worker.

State lives in :class:`kolors.engine.edit.Edit` (one per open photo), loaded with
:func:`kolors.engine.edit.load_edit` when a photo opens; every change goes through the undo
stack (:mod:`kolors.gui.history`), is autosaved (:mod:`kolors.gui.autosave`) and asks the
worker for a preview. The viewer shows the photo as framed (cropped, turned, straightened:
its coordinates are the framed photo's), except while the crop tool (:mod:`kolors.gui.crop_tool`,
``R``) is active: then it shows the whole turned photo with the crop over it. Clipping
warnings (``J``) come from the worker with each preview. Exports are :mod:`kolors.gui.exports`' job; rendering, analysis,
export and thumbnails all happen in :class:`kolors.gui.worker.RenderWorker`. Process-wide
settings (GIL switch interval, frozen start-up heap) are made where the app starts:
:func:`kolors.gui.app.prepare_process`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence, QPainter, QUndoStack
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox,
                               QScrollArea, QSplitter, QVBoxLayout, QWidget)

from ..core.geometry import GEOMETRY_PARAMS, framing_of
from ..engine.edit import Edit, load_edit
from ..engine.session import region_for_tiles
from .autosave import Autosave
from .controls import ControlsPanel
from .crop_tool import CropTool, flipped, tool_view_settings, turned
from .export_dialog import ExportOptions
from .exports import ExportController
from .filmstrip import Filmstrip
from .history import EditCommand
from .jobs import JobLog
from .masks_controller import MasksController
from .presets_browser import PresetBrowser
from .scopes import ScopesPanel
from .video_bar import VideoBar
from .viewer import Viewer
from .worker import RenderWorker, to_qimage

__all__ = ["MainWindow"]

TILE = 256
#: what the unedited "before" render depends on besides its size: the framing
FRAMING_KEYS = GEOMETRY_PARAMS + ("lens_correction", "lens_distortion")


def _framing_key(settings: dict) -> str:
    return json.dumps([settings.get(k) for k in FRAMING_KEYS])


class MainWindow(QMainWindow):
    def __init__(self, model_type: str = "general", device: str = "auto",
                 enhancer_factory: Callable[[], Any] | None = None, display_icc: bytes | None = None):
        super().__init__()
        self.setWindowTitle("Kolors")
        self.resize(1500, 950)
        from ..engine.enhancer import Enhancer
        factory = enhancer_factory or (lambda: Enhancer(model_type=model_type, device=device))
        self.worker = RenderWorker(factory)
        self.worker.display_icc = display_icc
        self.session: Any = None
        self.path: Path | None = None
        self.folder: Path | None = None
        self.edit = Edit()
        self.undo = QUndoStack(self)
        self.undo.indexChanged.connect(self._update_title)
        self._dragging = False
        self._edit_version = 0
        self._preview_job = 0
        self._region_job = 0
        self._orig_key: tuple | None = None      # (side, framing) of the "before" image shown
        self._orig_jobs: dict[int, tuple] = {}   # preview jobs that render "before", and for what
        self._preview_size = (0, 0)              # framed size of the requested preview
        self._proxy_side = 0
        self._proxy_scale = 1.0
        self._partial: QImage | None = None
        self._analyse_job = 0
        self._fine_job = -1
        self._shown_job = 0
        self._pick_job = 0
        self._preset_job = 0
        self._clipboard: dict | None = None
        self.clipping = False                    # clipping warnings on the viewer (J)
        self.clip_shares: dict[str, float] = {}
        self.proof: dict[str, Any] = {"on": False, "warning": False, "icc": None, "name": ""}
        self._clip_job = 0
        self._picker_view: tuple | None = None   # the viewer mode to restore when the WB picker ends
        self._crop_view: tuple = ("split", False)
        self._crop_entry: dict[str, Any] = {}
        self._failed_opens: set[str] = set()
        self._opening: Path | None = None
        self._thumb_version = -1
        self.last_preview = None           # numpy uint8 of the last fine preview
        self.last_preview_settings: dict | None = None
        self.last_error = ""
        self.dialogs: list[QMessageBox] = []
        self.render_ms = 0.0
        self.jobs = JobLog()
        self.exports = ExportController(self)
        self.autosave = Autosave(self, self._saved_state, self._error)
        self._build()
        self._connect()
        self.masks = MasksController(self)
        self.worker.start()
        self._view_timer = QTimer(self, singleShot=True, interval=40)
        self._view_timer.timeout.connect(self._view_settled)
        self._thumb_timer = QTimer(self, singleShot=True, interval=500)
        self._thumb_timer.timeout.connect(self._refresh_thumb)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        from ..engine.task_table import TASK_NAMES
        self.viewer = Viewer()
        self.crop = CropTool(self.viewer, self)
        self.filmstrip = Filmstrip()
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.viewer, 1)
        from ..engine.video import TEMPORAL_SMOOTH_MAX
        self.video_bar = VideoBar(TEMPORAL_SMOOTH_MAX)
        self.timeline, self.time_text, self.smooth = self.video_bar.timeline, self.video_bar.time_text, \
            self.video_bar.smooth
        lay.addWidget(self.video_bar)
        lay.addWidget(self.filmstrip)
        self.setCentralWidget(centre)
        self.controls = ControlsPanel(list(TASK_NAMES))
        scroll = QScrollArea()
        self.adjustments_scroll = scroll
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(340)
        dock = QDockWidget("Adjustments", self)
        dock.setObjectName("adjustments")
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.presets = PresetBrowser()
        self.scopes = ScopesPanel()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.presets)
        left.addWidget(self.scopes)
        left.setSizes([420, 420])
        ldock = QDockWidget("Presets and scopes", self)
        ldock.setObjectName("presets")
        ldock.setWidget(left)
        ldock.setMinimumWidth(260)
        QTimer.singleShot(0, lambda: self.resizeDocks([ldock, dock], [300, 360], Qt.Orientation.Horizontal))
        ldock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, ldock)
        # status bar
        sb = self.statusBar()
        self.device_label = QLabel("Device: starting…")
        self.time_label = QLabel("")
        self.size_label = QLabel("")
        self.zoom_label = QLabel("")
        self.lens_label = QLabel("")
        self.lens_label.setToolTip("Lens corrections: the lensfun profile used, or manual corrections only")
        self.clip_label = QLabel("")
        self.proof_label = QLabel("")
        for w in (self.lens_label, self.proof_label, self.clip_label, self.size_label, self.zoom_label, self.time_label,
                  self.device_label):
            sb.addPermanentWidget(w)
        self._menus()

    # ------------------------------------------------------------------ video
    def _seek(self, t: float) -> None:
        if self.session is None or not hasattr(self.session, "duration"):
            return
        self._seek_job = self.worker.submit("seek", "seek", time=t, session=self.session)

    def _on_seeked(self, job: int, res: dict) -> None:
        if job != getattr(self, "_seek_job", None) or res["session"] is not self.session:
            return
        self.video_time = res["time"]
        self.video_bar.show_time(res["time"])
        self._orig_key = None
        self._edit_version += 1                     # tiles of the previous frame are not wanted
        self.viewer.clear_tiles()
        self.request_preview()
        self._shown_job = self._preview_job        # the previous frame is not shown any more

    def _on_smooth(self, v: float) -> None:
        if self.session is None or abs(v - self.edit.temporal_smooth) < 1e-9:
            return
        new = self.edit.copy()
        new.temporal_smooth = float(v)
        self.apply_edit(new, f"Temporal smoothing {v:.1f}", key="temporal_smooth")

    def _action(self, menu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        menu.addAction(a)
        self.addAction(a)
        return a

    def _menus(self) -> None:
        m = self.menuBar()
        f = m.addMenu("&File")
        self._action(f, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(f, "Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O")
        f.addSeparator()
        self.export_action = self._action(f, "&Export…", self.export_dialog, "Ctrl+Shift+E")
        self._action(f, "&Batch export selected…", self.batch_export_dialog, "Ctrl+Alt+Shift+E")
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = m.addMenu("&Edit")
        undo = self.undo.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.undo.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for a in (undo, redo):
            e.addAction(a)
            self.addAction(a)
        e.addSeparator()
        self._action(e, "&Copy settings", self.copy_settings, "Ctrl+Shift+C")
        self._action(e, "&Paste settings", self.paste_settings, "Ctrl+Shift+V")
        self._action(e, "&Reset", self.reset_edit, "Ctrl+Shift+R")
        self._action(e, "Save settings as &preset…", self.save_preset)
        v = m.addMenu("&View")
        self._action(v, "&Fit", self.viewer.set_fit, "F")
        self._action(v, "&100 %", lambda: self.viewer.set_zoom(1.0), "1")
        self._action(v, "Zoom &in", lambda: self.viewer.set_zoom(self.viewer.zoom * 1.25), QKeySequence.StandardKey.ZoomIn)
        self._action(v, "Zoom &out", lambda: self.viewer.set_zoom(self.viewer.zoom / 1.25), QKeySequence.StandardKey.ZoomOut)
        v.addSeparator()
        self._action(v, "&Split before/after", lambda: self.viewer.set_mode("split"), "Y")
        self._action(v, "Si&de by side", lambda: self.viewer.set_mode("side"), "Shift+Y")
        self._action(v, "&Toggle before/after", self.viewer.toggle, "\\")
        v.addSeparator()
        self.clipping_action = self._action(v, "&Clipping warnings", self.set_clipping, "J", checkable=True)
        self.proof_action = self._action(v, "&Soft proof", self.set_soft_proof, "S", checkable=True)
        self.gamut_action = self._action(v, "&Gamut warning", self.set_gamut_warning, "Shift+S", checkable=True)
        self._action(v, "Soft-proof &profile…", self._pick_proof_profile)
        t = m.addMenu("&Tools")
        self.crop_action = self._action(t, "&Crop and straighten", self.set_crop_tool, "R", checkable=True)
        self.apply_crop_action = self._action(t, "&Apply crop", lambda: self.set_crop_tool(False))
        self.apply_crop_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.cancel_crop_action = self._action(t, "Cancel crop &changes", self.cancel_crop, "Esc")
        self.swap_crop_action = self._action(t, "&Swap crop orientation", self.crop.swap_orientation, "X")
        for a in (self.apply_crop_action, self.cancel_crop_action, self.swap_crop_action):
            a.setEnabled(False)
        r = m.addMenu("&Photo")
        self.rating_actions = {}
        for n in range(6):
            a = self._action(r, f"Rate {'★' * n if n else 'none'}", lambda _=False, n=n: self.set_rating(n),
                             f"Ctrl+{n}")
            self.rating_actions[n] = a
        self._action(r, "Reject", lambda: self.set_rating(-1), "Ctrl+Alt+X")
        r.addSeparator()
        for n, lab in zip((6, 7, 8, 9), ("Red", "Yellow", "Green", "Blue")):
            self._action(r, f"Label {lab.lower()}", lambda _=False, lab=lab: self.toggle_label(lab), f"Ctrl+{n}")
        r.addSeparator()
        self._action(r, "&Keywords…", self.edit_keywords, "Ctrl+K")
        t.addSeparator()
        self.mask_overlay_action = self._action(t, "Mask &overlay", lambda: self.masks.toggle_overlay(), "O")
        self._action(t, "S&maller brush", lambda: self.masks.resize_brush(1 / 1.25), "[")
        self._action(t, "&Larger brush", lambda: self.masks.resize_brush(1.25), "]")
        h = m.addMenu("&Help")
        self._action(h, "&About Kolors", self._about)

    def _connect(self) -> None:
        w = self.worker
        w.opened.connect(self._on_opened)
        w.analysed.connect(self._on_analysed)
        w.seeked.connect(self._on_seeked)
        w.picked.connect(self._on_picked)
        w.original.connect(self._on_original)
        w.coarse.connect(self._on_coarse)
        w.band.connect(self._on_band)
        w.fine.connect(self._on_fine)
        w.tile.connect(self._on_tile)
        # bound methods, never lambdas: a lambda has no receiver object, so PySide6 would
        # run it in the worker thread that emits the signal
        w.presetThumb.connect(self._on_preset_thumb)
        w.filmThumb.connect(self._on_film_thumb)
        w.failed.connect(self._on_failed)
        w.message.connect(self._on_message)
        w.clipping.connect(self._on_clipping)
        w.proofed.connect(self._on_proofed)
        w.lensStatus.connect(self._on_lens_status)
        c = self.controls
        c.paramChanged.connect(self._on_param)
        c.dragFinished.connect(self._on_drag_finished)
        c.taskRequested.connect(self.run_task)
        c.intensityChanged.connect(self._on_intensity)
        c.referenceChosen.connect(self.set_reference)
        c.toolChosen.connect(self._on_tool)
        cc = c.crop_controls
        cc.toolToggled.connect(self.set_crop_tool)
        cc.aspectChosen.connect(self._on_aspect)
        cc.swapRequested.connect(self.crop.swap_orientation)
        cc.levelToggled.connect(self._on_level)
        cc.turnRequested.connect(lambda cw: self._on_geometry(turned(self.edit.settings(), cw),
                                                              "Rotate right" if cw else "Rotate left"))
        cc.flipRequested.connect(lambda axis: self._on_geometry(flipped(self.edit.settings(), axis), f"Flip {axis}"))
        cc.resetRequested.connect(self.crop.reset)
        self.crop.changed.connect(self._on_geometry)
        self.presets.presetChosen.connect(self.apply_preset)
        self.presets.saveRequested.connect(self.save_preset)
        self.filmstrip.photoActivated.connect(self.open_path)
        self.viewer.viewChanged.connect(lambda: self._view_timer.start())
        self.viewer.filesDropped.connect(self._on_drop)
        self.viewer.areaPicked.connect(self._on_area)
        self.video_bar.seekRequested.connect(self._seek)
        self.video_bar.smoothChanged.connect(self._on_smooth)
        self.video_bar.exportRequested.connect(self.export_video_dialog)
        QTimer.singleShot(0, self._refresh_presets)
        QTimer.singleShot(50, self._show_device)

    def _on_preset_thumb(self, job: int, name: str, img: QImage) -> None:
        if job == self._preset_job:
            self.presets.set_thumbnail(name, img)

    def _on_film_thumb(self, job: int, path: str, img: QImage) -> None:
        self.filmstrip.set_thumbnail(path, img)

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _show_device(self) -> None:
        if not self.worker.ready.is_set():
            QTimer.singleShot(100, self._show_device)
            return
        name = self.worker.device_name or "unavailable"
        self.device_label.setText(f"Device: {name}")
        self.device_label.setToolTip("The device the render worker uses (CUDA when present, else CPU)")

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open photo", str(self.folder or Path.home()),
            "Photos and videos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.dng *.nef *.cr2 *.cr3 *.crw *.arw *.raf "
            "*.orf *.rw2 *.kdc *.pef *.srw *.mp4 *.mkv *.mov *.avi *.webm *.m4v);;All files (*)")
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open folder", str(self.folder or Path.home()))
        if d:
            self.open_path(d)

    def _on_drop(self, paths: list[str]) -> None:
        self.open_path(paths[0])

    def open_path(self, path: str | Path) -> None:
        """Open a photo, or a folder (its photos fill the filmstrip, the first opens)."""
        from ..engine.thumbs import list_photos
        p = Path(path).expanduser().absolute()
        if p.is_dir():
            photos = list_photos(p)
            self._set_folder(p, photos)
            if not photos:
                self._error(f"{p}: no photos in this folder")
                return
            p = photos[0]
        elif str(p) not in self.filmstrip.items and p.parent.is_dir():
            # a photo the filmstrip does not list (another folder, or new in this one): its
            # folder, with it (listed even where the folder listing would skip it, e.g. a video)
            photos = list_photos(p.parent)
            if p not in photos and p.is_file():
                photos = sorted(photos + [p], key=lambda q: q.name.lower())
            self._set_folder(p.parent, photos)
        self._opening = p
        self.autosave.flush()
        for lane in ("preview", "region", "presets", "seek", "analyse", "pick"):
            self.worker.drop(lane)          # the old photo's work is not wanted any more
        self.statusBar().showMessage(f"Opening {p.name}…")
        self._open_job = self.worker.submit("open", "open", path=str(p))

    def _set_folder(self, folder: Path, photos: list[Path]) -> None:
        self.folder = folder
        self.filmstrip.set_paths(photos)
        self.worker.submit("film", "film", paths=[str(x) for x in photos], max_side=96)

    def _refresh_film(self, paths: list[str]) -> None:
        """Render the filmstrip thumbnails of ``paths`` again (their edits changed), with
        those still waiting for their first (the film lane keeps only its newest request)."""
        paths = [p for p in paths if p in self.filmstrip.items]
        rest = [p for p in self.filmstrip.missing() if p not in paths]
        if paths or rest:
            self.worker.submit("film", "film", paths=paths + rest, max_side=96)

    def _refresh_thumb(self) -> None:
        """The open photo's thumbnail with its edit, once the edit has settled."""
        if self.session is None or self.path is None or str(self.path) not in self.filmstrip.items \
                or self._thumb_version == self._edit_version or self.crop.active:
            return
        try:
            settings = self.edit.settings()
        except (ValueError, OSError):
            return
        self._thumb_version = self._edit_version
        self.worker.submit("thumb", "thumb", session=self.session, settings=settings, path=str(self.path),
                           max_side=96)

    def _on_opened(self, job: int, info: dict) -> None:
        if job != getattr(self, "_open_job", None):
            return                                   # a newer open is on its way
        path = Path(info["path"])
        from ..io.sidecar import sidecar_path
        had_sidecar = sidecar_path(path).exists()
        loaded = load_edit(path)                     # read the edit before changing any state
        edit, warning = loaded.edit, loaded.warning
        if not had_sidecar and hasattr(info["session"], "photo_defaults"):
            # a new photo: its own starting values (under a Lightroom sidecar's settings)
            edit = Edit(params=dict(edit.params) if loaded.source == "xmp" else {},
                        defaults=info["session"].photo_defaults())
        if self.crop.active:                         # the tool belongs to the previous photo
            self._leave_crop_tool()
        # edits made to the previous photo while this one was decoding are saved first
        self.autosave.flush()
        self.session = info["session"]
        self.path = path
        self._failed_opens = set()
        self._thumb_version = self._edit_version + 1     # its thumbnail is the sidecar's: no refresh yet
        self._pick_job = self._analyse_job = 0
        self.autosave.opened()
        self.undo.clear()
        self.edit = edit
        self._edit_version += 1
        w, h = info["size"]
        try:
            self.viewer.set_photo(self._framed_size(edit.settings()))
        except (ValueError, OSError):
            self.viewer.set_photo((w, h))
        self.video_bar.show_video(info.get("time"), info["duration"] if info.get("video") else None)
        if info.get("video"):
            self.video_time = info["time"]
        self._orig_key = None
        self.lens_label.setText("")
        self.size_label.setText(f"{w}×{h} {info['format']} {info['bits']}-bit")
        self.filmstrip.set_current(str(self.path))
        self._sync_controls()
        self._update_title()
        self.statusBar().showMessage(f"Opened {self.path.name} in {info['ms']:.0f} ms", 4000)
        if warning:
            self._error(warning, title="Edit sidecar")
        self._analyse_missing()
        self.request_preview()
        self._shown_job = self._preview_job      # nothing older (another photo's) is shown now
        self._refresh_presets()

    def _analyse_missing(self) -> None:
        """A task without its values (a sidecar written without them): analyse it now."""
        edit = self.edit
        if self.session is not None and edit.task and not edit.task_result:
            self._analyse_job = self.worker.submit("analyse", "analyse", task=edit.task, reference=edit.reference,
                                                   settings=self._settings_or_empty(), session=self.session)

    def _settings_or_empty(self) -> dict:
        try:
            return self.edit.settings()
        except (ValueError, OSError):
            return {}

    def _after_failed_open(self, failed: Path | None) -> None:
        """A photo could not be opened (its error is shown): show the one open before, else
        the next photo of the filmstrip that has not failed, else a clear empty state."""
        if failed is not None:
            self._failed_opens.add(str(failed))
        if self.session is not None:
            self.filmstrip.set_current(str(self.path))
            # opening dropped the open photo's renders: ask for them again
            self._orig_key = None
            self._analyse_missing()
            self.request_preview()
            self._refresh_presets()
            return
        paths = self.filmstrip.paths()
        k = paths.index(str(failed)) if failed is not None and str(failed) in paths else -1
        for p in paths[k + 1:] + paths[:max(0, k)]:
            if p not in self._failed_opens:
                self.open_path(p)
                return
        name = failed.name if failed is not None else "the photo"
        self.viewer.message = f"{name} could not be opened. Open another photo (Ctrl+O) or drop one here"
        self.viewer.update()

    # ------------------------------------------------------------------ edit state
    def apply_edit(self, new: Edit, text: str, key: str | None = None) -> None:
        """Make ``new`` the edit through the undo stack."""
        if self.session is None:
            return
        self.undo.push(EditCommand(self, self.edit.copy(), new, text, key))

    def _set_edit(self, edit: Edit) -> None:
        framing = _framing_key(self._settings_or_empty())
        self.edit = edit.copy()
        if _framing_key(self._settings_or_empty()) != framing:
            self.viewer.clear_tiles()
        self._edit_version += 1
        self._sync_controls()
        self._update_title()
        self.autosave.schedule()
        self.request_preview()

    def _sync_controls(self) -> None:
        settings = self.edit.settings() if self.session is not None else {}
        self.controls.show_settings(settings, self.edit.task, self.edit.intensity, self.edit.reference)
        self.presets.select(self.edit.preset)
        self.video_bar.set_smooth(self.edit.temporal_smooth)
        rb = settings.get("region_boost")
        self.viewer.rois = [tuple(r) for r in rb["roi"]] if rb and not self.crop.active else []
        if self.session is not None:
            self.crop.sync(settings, self.session.size)
        self._show_tool_state()
        if hasattr(self, "masks"):
            self.masks.sync(settings)

    def _show_tool_state(self) -> None:
        on = self.crop.active
        self.controls.crop_controls.show_state(on, self.crop.level)
        self.crop_action.setChecked(on)
        for a in (self.apply_crop_action, self.cancel_crop_action, self.swap_crop_action):
            a.setEnabled(on)

    # ------------------------------------------------------------------ crop tool
    def set_crop_tool(self, on: bool) -> None:
        """Enter (``on``) or leave the crop tool (``R``; Enter leaves it too). Leaving shows
        the framed photo; the crop was applied with each drag."""
        on = bool(on) and self.session is not None
        if on == self.crop.active:
            self._show_tool_state()
            return
        if on:
            for b in (self.controls.wb_tool, self.controls.roi_tool):
                b.setChecked(False)                  # one tool at a time
            self._crop_entry = {k: self.edit.params.get(k) for k in GEOMETRY_PARAMS}
            self._crop_view = self.viewer.view_state()
            self.crop.active = True
            self.viewer.overlay = self.crop
            self.viewer.show_after_only()
        else:
            self._leave_crop_tool()
        self._sync_controls()
        self.request_preview()

    def _leave_crop_tool(self) -> None:
        self.crop.active = self.crop.level = False
        self.viewer.overlay = None
        self.viewer.set_view_state(self._crop_view)
        self.viewer.setCursor(Qt.CursorShape.ArrowCursor)
        self._show_tool_state()

    def cancel_crop(self) -> None:
        """Esc in the crop tool: the geometry as it was when the tool was entered, and leave."""
        if not self.crop.active:
            return
        new = self.edit.copy()
        for k, v in self._crop_entry.items():
            if v is None:
                new.params.pop(k, None)
            else:
                new.params[k] = v
        if new.params != self.edit.params:
            self._masks_follow(new)
            self.apply_edit(new, "Cancel crop")
        self.set_crop_tool(False)

    def _on_aspect(self, name: str) -> None:
        self.crop.set_aspect(name)

    def _on_level(self, on: bool) -> None:
        if on and not self.crop.active:
            self.set_crop_tool(True)
        self.crop.level = bool(on) and self.crop.active
        self._show_tool_state()
        self.viewer.update()

    def _on_geometry(self, params: dict, text: str = "Crop") -> None:
        """Set geometry parameters (the crop tool, the rotate and flip buttons) as one undo step."""
        if self.session is None:
            return
        from ..core import registry
        new = self.edit.copy()
        for k, v in params.items():
            p = registry.get_param(k)
            try:
                v = p.validate(v)
            except ValueError as e:
                self._error(str(e))
                self._sync_controls()
                return
            if p.is_default(v):
                new.params.pop(k, None)
            else:
                new.params[k] = v
        if new.params == self.edit.params:
            self._sync_controls()
            return
        self._masks_follow(new)
        self.apply_edit(new, text, key=None)

    def _masks_follow(self, new: Edit) -> None:
        """The masks of ``new`` moved with its new framing, so they stay on the same part of
        the picture (:func:`~kolors.core.masks.reframe_masks`)."""
        from ..core.geometry import Framing
        from ..core.masks import reframe_masks
        masks = self.edit.settings().get("masks")
        if not masks:
            return
        size = self.session.size
        old_f = framing_of(self.edit.settings(), *size) or Framing(*size)
        new_f = framing_of(new.settings(), *size) or Framing(*size)
        if old_f != new_f:
            new.params["masks"] = reframe_masks(masks, old_f, new_f)

    def _on_param(self, name: str, value: Any, dragging: bool) -> None:
        self.set_param(name, value, dragging)

    def set_param(self, name: str, value: Any, dragging: bool, label: str | None = None,
                  merge: bool = True) -> None:
        """Set one parameter of the edit through the undo stack (``label``: the undo step's
        text, default the parameter's label and value); a drag merges into one step, and so do
        quick changes of the same parameter unless ``merge`` is False (a discrete action)."""
        new = self.edit.copy()
        from ..core import registry
        p = registry.get_param(name)
        try:
            value = p.validate(value)
        except (ValueError, OSError) as e:
            self._error(str(e))
            self._sync_controls()
            return
        base = Edit(preset=new.preset, task=new.task, intensity=new.intensity,
                    task_result=new.task_result).settings()
        if p.is_default(value) and p.is_default(base.get(name, p.default)):
            new.params.pop(name, None)
        else:
            new.params[name] = value
        self._dragging = dragging
        if new.params == self.edit.params:      # e.g. the release that ends a drag: no new step
            if not dragging:
                self._sync_controls()           # a widget may show a value the edit refused
            return
        if name in GEOMETRY_PARAMS:             # the straighten slider, the constraint switch
            self._masks_follow(new)
        if label is None:
            label = p.label or name
            label = f"{label} {value:.3g}" if isinstance(value, float) else label
        self.apply_edit(new, label, key="param:" + name if merge or dragging else None)

    def _on_drag_finished(self) -> None:
        """A slider was released: the next change starts a new undo step."""
        self._dragging = False
        cmd = self.undo.command(self.undo.index() - 1)
        if isinstance(cmd, EditCommand):
            cmd.open = False

    def _on_intensity(self, value: float, dragging: bool) -> None:
        new = self.edit.copy()
        new.intensity = float(value)
        self._dragging = dragging
        self.apply_edit(new, f"Intensity {value:.2f}", key="intensity")

    def run_task(self, task: str) -> None:
        if self.session is None:
            return
        if self.edit.task == task:                      # pressing the active task turns it off
            new = self.edit.copy()
            new.task, new.task_result = None, {}
            self.apply_edit(new, f"Remove {task}")
            return
        if task == "style_transfer" and not self.edit.reference:
            self.controls._pick_reference()
            if not self.edit.reference:
                self._sync_controls()
                return
        self.statusBar().showMessage(f"Analysing ({task})…")
        self._analyse_job = self.worker.submit("analyse", "analyse", task=task, reference=self.edit.reference,
                                               settings=self._settings_or_empty(), session=self.session)

    def _on_analysed(self, job: int, res: dict) -> None:
        if job != self._analyse_job or res["session"] is not self.session:
            return
        new = self.edit.copy()
        new.task, new.task_result = res["task"], dict(res["result"])
        # the person's values of parameters the task sets give way to the task's
        for k in res["result"]:
            new.params.pop(k, None)
        from ..engine.task_table import TASK_LABELS
        self.statusBar().showMessage(f"{TASK_LABELS.get(res['task'], res['task'])}: values on the sliders", 4000)
        self.apply_edit(new, TASK_LABELS.get(res["task"], res["task"]))

    def set_reference(self, path: str) -> None:
        new = self.edit.copy()
        new.reference = str(path)
        if self.session is None:
            self.edit = new
            return
        self.apply_edit(new, "Reference photo")
        if new.task == "style_transfer" or self.edit.task is None:
            self._analyse_job = self.worker.submit("analyse", "analyse", task="style_transfer", reference=str(path),
                                                   settings=self._settings_or_empty(), session=self.session)

    def apply_preset(self, name: str) -> None:
        from ..io.presets import get_preset
        new = self.edit.copy()
        new.preset = name
        try:
            keys = get_preset(name).settings
        except (ValueError, OSError) as e:
            self._error(str(e))
            return
        for k in keys:
            new.params.pop(k, None)
        self.apply_edit(new, f"Preset {name}")

    def reset_edit(self) -> None:
        self.apply_edit(Edit(reference=self.edit.reference), "Reset")

    def _on_tool(self, tool: str) -> None:
        if tool and self.crop.active:
            self.set_crop_tool(False)                # another tool leaves the crop tool
        self.viewer.tool = tool or None
        self.viewer.setCursor(Qt.CursorShape.CrossCursor if tool else Qt.CursorShape.ArrowCursor)
        # the WB picker picks on the edited photo: after only while it is on, then as it was
        if tool == "wb" and self._picker_view is None:
            self._picker_view = self.viewer.view_state()
            self.viewer.show_after_only()
        elif tool != "wb" and self._picker_view is not None:
            self.viewer.set_view_state(self._picker_view)
            self._picker_view = None

    def _on_area(self, tool: str, rect: tuple) -> None:
        if tool == "wb":
            self._pick_job = self.worker.submit("pick", "pick", rect=rect, settings=self.edit.settings(),
                                                session=self.session)
        elif tool == "roi":
            new = self.edit.copy()
            cur = self.edit.settings().get("region_boost") or {"roi": [], "factor": 2.0}
            x, y, w, h = rect
            W, H = self.viewer.image_size               # framed coordinates
            x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
            if x1 <= x0 or y1 <= y0:
                return
            from ..core import registry
            try:
                new.params["region_boost"] = registry.get_param("region_boost").validate(
                    {**cur, "roi": list(cur["roi"]) + [[x0, y0, x1, y1]]})
            except ValueError as e:
                self._error(str(e))
                return
            self.apply_edit(new, "Region of interest")

    def _on_picked(self, job: int, values: dict) -> None:
        if job != self._pick_job:
            return
        new = self.edit.copy()
        new.params.update(values)
        self.apply_edit(new, f"White balance picker {values['temperature']:.0f} K")
        self.controls.wb_tool.setChecked(False)      # one pick, then the viewer as it was

    # ------------------------------------------------------------------ previews
    def display_settings(self) -> dict:
        """The settings the viewer renders: the edit's, or with the crop tool active its view
        of the whole turned photo (:func:`~kolors.gui.crop_tool.tool_view_settings`)."""
        s = self.edit.settings()
        if not self.crop.active:
            return s
        view = tool_view_settings(s)
        if s.get("masks"):                      # the masks where they are on the whole photo
            from ..core.geometry import Framing
            from ..core.masks import reframe_masks
            size = self.session.size
            view["masks"] = reframe_masks(s["masks"], framing_of(s, *size) or Framing(*size),
                                          framing_of(view, *size) or Framing(*size))
        return view

    def _framed_size(self, settings: dict) -> tuple[int, int]:
        """(w, h) of the photo as ``settings`` frame it (as ``PhotoSession.framed_size``; the
        lens warp does not change the size, so no lens lookup on this thread)."""
        f = framing_of(settings, *self.session.size)
        return self.session.size if f is None else f.size

    def request_preview(self) -> None:
        if self.session is None:
            return
        side = self.viewer.preview_side()
        try:
            settings = self.display_settings()
        except (ValueError, OSError) as e:       # e.g. the edit's user preset was deleted
            self._error(f"cannot render this edit: {e}")
            return
        size = self._framed_size(settings)
        self.viewer.set_image_size(size)
        src = self.session.size
        text = self.size_label.text().split(" → ")[0]
        self.size_label.setText(text if tuple(size) == tuple(src) or self.crop.active
                                else f"{text} → {size[0]}×{size[1]}")
        side = self.viewer.preview_side()
        key = (side, _framing_key(settings))
        original = key != self._orig_key            # until it has arrived for this size and framing
        self._proxy_side = side
        self._preview_size = size
        self._preview_job = self.worker.submit("preview", "preview", settings=settings, max_side=side,
                                               original=original, clipping=self.clipping, session=self.session,
                                               mask_overlay=self.masks.overlay_index(), proof=self._proof_args())
        if original:
            self._orig_jobs[self._preview_job] = key
        self.jobs.requested(self._preview_job)
        self._preview_settings = settings
        self.viewer.clear_tiles(before=False)
        self._view_timer.start()

    def preview_is_current(self) -> bool:
        """True when the last finished preview is of the current edit (nothing pending)."""
        return self.session is not None and self._fine_job == self._preview_job

    def _on_original(self, job: int, img: QImage, side: int) -> None:
        key = self._orig_jobs.pop(job, None)
        for j in [j for j in self._orig_jobs if j < job]:     # superseded: never rendered
            del self._orig_jobs[j]
        if side == self._proxy_side and job >= self._shown_job and key is not None \
                and key[1] == _framing_key(self._preview_settings):
            self._orig_key = key
            self.viewer.before = img
            self.viewer.update()

    @property
    def painted(self) -> list[tuple[int, str, float]]:
        """(job, stage, seconds since requested) of painted preview stages (latency)."""
        return self.jobs.painted

    def _on_coarse(self, job: int, img: QImage, side: int) -> None:
        # the newest finished state is shown even if a newer one is being rendered
        if job < self._shown_job or side != self._proxy_side:
            return
        self._shown_job = job
        self._partial = None
        self.viewer.after_partial = None
        self.viewer.after = img
        self.viewer.repaint()
        self.jobs.mark(job, "coarse")

    def _on_band(self, job: int, y: int, img: QImage, side: int) -> None:
        if job != self._preview_job:
            return
        if self._partial is None:
            w, h = self._preview_size
            s = side / max(w, h) if max(w, h) > side else 1.0
            pw, ph = max(1, round(w * s)), max(1, round(h * s))
            self._partial = QImage(pw, ph, QImage.Format.Format_RGB888)
            self._partial.fill(Qt.GlobalColor.black)
            p = QPainter(self._partial)
            if self.viewer.after is not None:
                p.drawImage(QRect(0, 0, pw, ph), self.viewer.after)
            p.end()
        p = QPainter(self._partial)
        p.drawImage(0, y, img)
        p.end()
        self.viewer.after_partial = self._partial
        self.viewer.update()

    def _on_fine(self, job: int, arr, scopes, ms: float) -> None:
        if job != self._preview_job:
            return
        img = self._partial if self._partial is not None else to_qimage(arr)
        self._partial = None
        self.viewer.after_partial = None
        self.viewer.after = img
        self.viewer.repaint()
        self.jobs.mark(job, "fine")
        self.last_preview = arr
        self.last_preview_settings = self._preview_settings
        self._fine_job = job
        self._proxy_scale = arr.shape[1] / max(1, self._preview_size[0])
        self._shown_job = job
        self.render_ms = ms
        self.time_label.setText(f"Render {ms:.0f} ms")
        self.scopes.set_scopes(scopes)
        self._thumb_timer.start()

    # ------------------------------------------------------------------ clipping warnings
    def set_clipping(self, on: bool) -> None:
        """Clipping warnings on the viewer (``J``): clipped highlights and shadows coloured
        (computed by the worker on each preview it renders)."""
        self.clipping = bool(on)
        self.clipping_action.setChecked(self.clipping)
        self.viewer.clipping = self.clipping
        if not self.clipping:
            self.viewer.clip_after = None
            self.clip_label.setText("")
        self.viewer.clear_tiles(before=False)
        self.viewer.update()
        self.request_preview()

    # ------------------------------------------------------------------ soft proofing
    def set_soft_proof(self, on: bool) -> None:
        """Soft proof (``S``): the preview as the chosen output profile (an export space, or a
        printer's ICC file) will hold it; ``Shift+S`` paints what it cannot hold magenta."""
        self.proof["on"] = bool(on)
        self.proof_action.setChecked(self.proof["on"])
        self.viewer.proofing = self.proof["on"]
        if not self.proof["on"]:
            self.viewer.proof_after = None
            self.proof_label.setText("")
        elif not self.proof["icc"]:
            self.proof_label.setText("Soft proof: choose a profile (View → Soft-proof profile)")
        self.viewer.clear_tiles(before=False)
        self.viewer.update()
        self.request_preview()

    def set_gamut_warning(self, on: bool) -> None:
        self.proof["warning"] = bool(on)
        self.gamut_action.setChecked(self.proof["warning"])
        if on and not self.proof["on"]:
            self.set_soft_proof(True)
            return
        self.viewer.clear_tiles(before=False)
        self.request_preview()

    def set_proof_profile(self, name: str, icc: bytes) -> None:
        """Soft-proof against the ICC profile ``icc`` (read from file ``name``: a printer's, a
        paper's, any RGB/CMYK/grey output profile); a profile that cannot be used is refused
        with a dialog and the proof stays as it was."""
        from ..engine.display import check_proof_profile
        try:
            label = check_proof_profile(icc) or name
        except ValueError as e:
            self._error(f"{name}: {e}")
            return
        self.proof.update(icc=icc, name=label)
        if self.proof["on"]:
            self.viewer.clear_tiles(before=False)
            self.request_preview()

    def _pick_proof_profile(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Soft-proof profile", "", "ICC profiles (*.icc *.icm);;All files (*)")
        if path:
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                self._error(f"{path}: cannot be read ({e.strerror or e})")
                return
            self.set_proof_profile(path, data)

    def _proof_args(self) -> tuple[bytes, bool] | None:
        p = self.proof
        return (p["icc"], p["warning"]) if p["on"] and p["icc"] else None

    def _on_proofed(self, job: int, img: QImage, share: float, side: int) -> None:
        if not self.proof["on"] or side != self._proxy_side or job < self._shown_job:
            return
        self.viewer.proof_after = img
        self.proof_label.setText(f"Soft proof: {self.proof['name']}, out of gamut {share * 100:.1f} %")
        self.viewer.update()

    def _on_clipping(self, job: int, img: QImage, shares: dict, side: int) -> None:
        if not self.clipping or job < self._clip_job or side != self._proxy_side or job < self._shown_job:
            return
        self._clip_job = job
        self.clip_shares = dict(shares)
        self.viewer.clip_after = img
        self.clip_label.setText(f"Clipped: highlights {shares['highlights'] * 100:.1f} %, "
                                f"shadows {shares['shadows'] * 100:.1f} %")
        self.viewer.update()

    def _on_lens_status(self, job: int, text: str) -> None:
        if job == self._preview_job:
            self.lens_label.setText(text)

    def _view_settled(self) -> None:
        v = self.viewer
        self.zoom_label.setText("Fit" if v.fit else f"{v.zoom * 100:.0f} %")
        if self.session is None:
            return
        if v.preview_side() != self._proxy_side:
            self.request_preview()
            return
        if not v.needs_full_resolution(self._proxy_scale):
            return
        x0, y0, x1, y1 = v.visible_rect()
        w, h = v.image_size
        have = set(v.tiles_after)
        tiles = [t for t in region_for_tiles(x0, y0, x1, y1, w, h, TILE) if t not in have]
        if tiles:
            before = [t for t in tiles if t not in v.tiles_before]
            self._region_job = self.worker.submit("region", "region", tiles=tiles, before=before,
                                                  settings=self.display_settings(), clipping=self.clipping,
                                                  session=self.session, proof=self._proof_args())
            self.jobs.for_version(self._region_job, self._edit_version)

    def _on_tile(self, job: int, rect: tuple, after: QImage, before: QImage | None) -> None:
        if self.jobs.version(job) != self._edit_version:
            return
        if len(self.viewer.tiles_after) > 400:      # panning far at 100 %: keep memory bounded
            self.viewer.clear_tiles()
        self.viewer.tiles_after[tuple(rect)] = after
        if before is not None:
            self.viewer.tiles_before[tuple(rect)] = before
        self.viewer.update()

    # ------------------------------------------------------------------ presets
    def _refresh_presets(self) -> None:
        from ..io.presets import list_presets, user_preset_names
        names = list_presets()
        self.presets.set_presets(names, set(user_preset_names()))
        self.presets.select(self.edit.preset)
        if self.session is not None:
            self._preset_job = self.worker.submit("presets", "presets", names=names, max_side=120,
                                                  session=self.session)

    def save_preset(self, name: str | None = None) -> None:
        from ..core import registry
        from ..io.presets import save_user_preset
        if not name:
            name, ok = QInputDialog.getText(self, "Save preset", "Preset name:")
            if not ok or not name.strip():
                return
        visible = registry.params()
        settings = {k: v for k, v in self.edit.settings().items() if k in visible}
        try:
            save_user_preset(name.strip(), settings)
        except (ValueError, OSError) as e:
            self._error(str(e))
            return
        self.statusBar().showMessage(f"Saved preset {name}", 4000)
        self._refresh_presets()

    # ------------------------------------------------------------------ sidecar
    def save_sidecar(self) -> None:
        """Write the edit next to the photo now (see :class:`~kolors.gui.autosave.Autosave`)."""
        self.autosave.save()

    def _saved_state(self) -> tuple[Path, Edit, tuple[int, int]] | None:
        if self.session is None or self.path is None:
            return None
        return self.path, self.edit, self.session.size

    def _update_title(self, *_: Any) -> None:
        name = self.path.name if self.path else ""
        self.setWindowTitle(f"{name} — Kolors" if name else "Kolors")

    # ------------------------------------------------------------------ copy / paste
    # ------------------------------------------------------------------ ratings and labels
    def _rating_targets(self) -> list[str]:
        sel = self.filmstrip.selected_paths()
        if sel:
            return sel
        return [str(self.path)] if self.path is not None else []

    def set_rating(self, rating: int) -> None:
        """``Ctrl+0``…``Ctrl+5`` (``1`` stays 100 %), ``Ctrl+Alt+X`` rejects: the selected
        filmstrip photos (else the open one), written to each photo's XMP sidecar."""
        from ..io.xmp import write_rating
        for p in self._rating_targets():
            try:
                write_rating(p, int(rating))
            except (ValueError, OSError) as e:
                self._error(str(e))
                return
            self.filmstrip.show_rating(p, int(rating), self.filmstrip.rating(p)[1])
        self.statusBar().showMessage(f"Rating: {'rejected' if rating < 0 else rating}", 2000)

    def toggle_label(self, label: str) -> None:
        """``Ctrl+6``…``Ctrl+9``: red, yellow, green, blue label (again: none), as Lightroom's 6-9."""
        from ..io.xmp import write_rating
        for p in self._rating_targets():
            rating, cur = self.filmstrip.rating(p)
            new = None if cur == label else label
            try:
                write_rating(p, None, new, set_label=True)
            except (ValueError, OSError) as e:
                self._error(str(e))
                return
            self.filmstrip.show_rating(p, rating, new)

    def edit_keywords(self, keywords: list[str] | None = None) -> None:
        """``Ctrl+K``: the open photo's keywords (``dc:subject`` in its XMP sidecar), comma
        separated; ``keywords`` given: set without asking."""
        from ..errors import InputError
        from ..io.xmp import read_xmp, sidecar_xmp_path, write_rating
        if self.path is None:
            return
        if keywords is None:
            x = sidecar_xmp_path(self.path)
            try:
                cur = read_xmp(x).keywords if x.is_file() else []
            except InputError as e:
                self._error(str(e))
                return
            text, ok = QInputDialog.getText(self, "Keywords", "Keywords, comma separated:", text=", ".join(cur))
            if not ok:
                return
            keywords = [k.strip() for k in text.split(",")]
        try:
            write_rating(self.path, keywords=keywords)
        except (ValueError, OSError) as e:
            self._error(str(e))

    def copy_settings(self) -> None:
        self._clipboard = self.edit.to_json()
        QGuiApplication.clipboard().setText(json.dumps({"kolors_edit": self._clipboard}))
        self.statusBar().showMessage("Settings copied", 3000)

    def paste_settings(self) -> None:
        data = self._clipboard
        if data is None:
            try:
                data = json.loads(QGuiApplication.clipboard().text())["kolors_edit"]
            except (ValueError, KeyError, TypeError):
                self.statusBar().showMessage("No Kolors settings on the clipboard", 3000)
                return
        try:
            pasted = Edit.from_json(data)
        except ValueError as e:
            self._error(f"cannot paste settings: {e}")
            return
        # exactly the source's edit: its task's values too (nothing is re-analysed, so the
        # manual changes made after the task stay as they were)
        targets = [p for p in self.filmstrip.selected_paths() if self.path is None or Path(p) != self.path]
        from ..engine.edit import save_edit
        for p in targets:
            try:
                save_edit(p, pasted)
            except (OSError, ValueError) as e:
                self._error(f"could not paste onto {p}: {e}")
        self._refresh_film([str(p) for p in targets])
        if self.session is not None and (not targets or str(self.path) in self.filmstrip.selected_paths()
                                         or len(self.filmstrip.selected_paths()) <= 1):
            self.apply_edit(pasted.copy(), "Paste settings")
        self.statusBar().showMessage(f"Settings pasted{f' onto {len(targets)} photos' if targets else ''}", 3000)

    # ------------------------------------------------------------------ export (gui.exports)
    def export_dialog(self) -> None:
        self.exports.export_dialog()

    def export(self, options: ExportOptions, dst: Path | None = None) -> int:
        """Export the open photo (see :meth:`ExportController.export`); returns the job id."""
        return self.exports.export(options, dst)

    def batch_export_dialog(self) -> None:
        self.exports.batch_export_dialog()

    def batch_export(self, paths: list[str], options: ExportOptions) -> int | None:
        """Export ``paths``, each with its own edit (see :meth:`ExportController.batch_export`)."""
        return self.exports.batch_export(paths, options)

    def export_video_dialog(self) -> None:
        self.exports.export_video_dialog()

    def export_video(self, dst: Path, codec: str = "libx264", crf: float | None = 18) -> int:
        """Grade the open video into ``dst`` (see :meth:`ExportController.export_video`)."""
        return self.exports.export_video(dst, codec, crf)

    def cancel_export(self, job: int) -> None:
        self.exports.cancel(job)

    @property
    def _export_jobs(self) -> dict[int, dict]:
        return self.exports.jobs

    @property
    def last_export(self) -> tuple[int, list[Path] | None]:
        """``(job, [written paths])`` of the last export to end; ``(job, None)`` when it failed
        or was cancelled."""
        return self.exports.last_export

    # ------------------------------------------------------------------ errors
    def _on_failed(self, job: int, lane: str, message: str) -> None:
        if lane == "batch":                       # some photos of a batch failed, the rest follows
            self._error(message, "Batch export")
            return
        if lane == "export":
            self.exports.failed(job)
        if lane == "preview" and job != self._preview_job:
            return
        titles = {"open": "Cannot open", "export": "Export failed", "analyse": "Task failed",
                  "pick": "White balance picker"}
        self._error(message, titles.get(lane, "Error"))
        if lane == "open" and job and job == getattr(self, "_open_job", None):
            self._after_failed_open(self._opening)

    def _error(self, message: str, title: str = "Kolors") -> None:
        """A non-blocking dialog; the window stays usable."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        self.dialogs.append(box)
        box.open()
        self.statusBar().showMessage(message, 8000)

    def _about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version
        try:
            __version__ = version("kolors")
        except PackageNotFoundError:
            __version__ = "(source)"
        QMessageBox.about(self, "Kolors", f"Kolors {__version__}\nColour grading with a learned, self-supervised "
                                          f"colour enhancer.\nDevice: {self.worker.device_name}")

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.exports.jobs and self.isVisible() and not getattr(self, "_force_close", False):
            answer = QMessageBox.question(self, "Kolors", "An export is running. Cancel it and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.autosave.flush()
        self.worker.stop(wait_ms=-1)
        super().closeEvent(event)
