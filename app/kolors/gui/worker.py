"""The render worker: one QThread that owns the torch device and does every render.

The GUI thread never runs torch or pixel maths; it posts requests here and gets results
back as queued signals. Requests travel in *lanes* (``open``, ``analyse``, ``pick``,
``preview``, ``region``, ``export``, ``presets``, ``film``, ``thumb``). Each request gets a job id;
in a superseding lane (everything but ``export``) a newer request replaces a waiting
one, and a render in progress polls ``should_cancel`` between bands/tiles and stops when
a newer request of its lane has arrived — a dragged slider renders the latest state, not
every state. Previews come coarse first (a 17³ table at half size), then fine in bands,
then the scopes. With ``clipping`` a preview (coarse and fine) and its tiles also come as
the clipping warning (:func:`kolors.core.scopes.clipping_overlay`). Filmstrip thumbnails
are rendered with each photo's sidecar edit. Exceptions become the ``failed`` signal; the
thread keeps running.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from ..errors import Cancelled

__all__ = ["RenderWorker", "Request", "to_qimage"]

log = logging.getLogger("kolors.gui.worker")

#: lanes in priority order
LANES = ("open", "seek", "analyse", "pick", "preview", "region", "export", "presets", "film", "thumb")
_QUEUED = {"export"}


def to_qimage(rgb: np.ndarray) -> QImage:
    """``H×W×3`` uint8 → a QImage (RGB888), or ``H×W×4`` → RGBA8888, owning its own copy
    of the bytes.

    The image is allocated by Qt and filled through its buffer (constructing a QImage
    over a Python buffer trips reference-counting bugs of some PySide6 releases)."""
    h, w, c = rgb.shape[0], rgb.shape[1], rgb.shape[2]
    img = QImage(w, h, QImage.Format.Format_RGBA8888 if c == 4 else QImage.Format.Format_RGB888)
    bpl = img.bytesPerLine()
    buf = np.frombuffer(img.bits(), np.uint8, count=bpl * h).reshape(h, bpl)
    buf[:, :c * w] = np.asarray(rgb, np.uint8).reshape(h, c * w)
    return img


@dataclass
class Request:
    lane: str
    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    job: int = 0


class RenderWorker(QObject):
    """Lives on its own QThread (see :meth:`start`). Signals carry the job id first."""

    opened = Signal(int, object)              # job, info dict (session, size, format, ...)
    analysed = Signal(int, object)            # job, {'task', 'result'}
    seeked = Signal(int, object)              # job, {'session', 'time'} (videos)
    picked = Signal(int, object)              # job, {'temperature', 'tint'}
    original = Signal(int, object, int)       # job, QImage of the unedited proxy render, max_side
    coarse = Signal(int, object, int)         # job, QImage (half the proxy's size), max_side
    band = Signal(int, int, object, int)      # job, y, QImage rows, max_side
    fine = Signal(int, object, object, float)  # job, numpy uint8 preview, Scopes, milliseconds
    tile = Signal(int, object, object, object)  # job, (x, y, w, h), QImage after, QImage before
    progress = Signal(int, float, str)        # job, fraction, text
    exported = Signal(int, object)            # job, list of written paths
    cancelled = Signal(int, int)              # job, files already written (a batch)
    presetThumb = Signal(int, str, object)    # job, preset name, QImage
    filmThumb = Signal(int, str, object)      # job, path, QImage
    clipping = Signal(int, object, object, int)  # job, QImage of the clipping warning, shares, max_side
    proofed = Signal(int, object, float, int)   # job, QImage of the soft proof, out-of-gamut share, max_side
    maskOverlay = Signal(int, object, int, int)  # job, QImage (RGBA) of mask index, max_side, index
    lensStatus = Signal(int, str)             # job, what the lens corrections found ('' when off)
    failed = Signal(int, str, str)            # job, lane, message
    message = Signal(str)

    def __init__(self, enhancer_factory: Callable[[], Any]):
        super().__init__()
        self._factory = enhancer_factory
        self.enhancer: Any = None
        self.session: Any = None
        self.display_icc: bytes | None = None
        self._cv = threading.Condition()
        self._pending: dict[str, list[Request]] = {k: [] for k in LANES}
        self._latest: dict[str, int] = {k: 0 for k in LANES}
        self._cancel_export: set[int] = set()
        self._ids = itertools.count(1)
        self._stop = False
        self.thread = QThread()
        self.thread.setObjectName("kolors-render")
        self.moveToThread(self.thread)
        self.thread.started.connect(self._loop)
        self.device_name = ""
        self.ready = threading.Event()

    # ------------------------------------------------------------------ GUI side
    def start(self) -> None:
        self.thread.start()

    def stop(self, wait_ms: int = -1) -> None:
        """Cancel everything and end the thread; waits for a step that cannot be
        interrupted (e.g. a RAW decode) to finish (``wait_ms`` < 0: as long as it takes)."""
        with self._cv:
            self._stop = True
            for lane in LANES:
                self._latest[lane] += 1_000_000
            self._cancel_export.update(r.job for r in self._pending["export"])
            self._cv.notify_all()
        self.thread.quit()
        if wait_ms < 0:
            self.thread.wait()
        else:
            self.thread.wait(wait_ms)

    def submit(self, lane: str, kind: str, **args: Any) -> int:
        """Queue a request (thread-safe); returns its job id."""
        job = next(self._ids)
        req = Request(lane, kind, args, job)
        with self._cv:
            if lane in _QUEUED:
                self._pending[lane].append(req)
            else:
                self._pending[lane] = [req]
                self._latest[lane] = job
            self._cv.notify_all()
        return job

    def cancel(self, job: int) -> None:
        with self._cv:
            self._cancel_export.add(job)
            queued = any(r.job == job for r in self._pending["export"])
            self._pending["export"] = [r for r in self._pending["export"] if r.job != job]
        if queued:                                    # never started: say so now
            self.cancelled.emit(job, 0)

    def drop(self, lane: str) -> None:
        """Forget waiting requests of ``lane`` and stop its running one."""
        with self._cv:
            self._pending[lane] = []
            self._latest[lane] = next(self._ids)

    def busy(self) -> bool:
        with self._cv:
            return any(self._pending[k] for k in LANES)

    # ------------------------------------------------------------------ worker side
    @staticmethod
    def _lower_priority() -> None:
        """Linux: this thread (and the torch/numba threads it starts, which inherit it)
        runs at nice +4, so the GUI thread wins the CPU when both want it and the window
        never stutters during a render or export. Best effort elsewhere."""
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + 4))
        except (AttributeError, OSError):
            pass

    @Slot()
    def _loop(self) -> None:
        self._lower_priority()
        try:
            self.enhancer = self._factory()
            self.device_name = self.enhancer.device_name
        except Exception as e:  # noqa: BLE001 - shown to the person, the thread stays
            self.failed.emit(0, "open", f"cannot start the render engine: {e}")
        self.ready.set()
        while True:
            with self._cv:
                while not self._stop and not any(self._pending[k] for k in LANES):
                    self._cv.wait(0.5)
                if self._stop:
                    return
                lane = next(k for k in LANES if self._pending[k])
                req = self._pending[lane].pop(0)
            t0 = time.perf_counter()
            try:
                log.debug("job %d %s/%s starts", req.job, req.lane, req.kind)
                getattr(self, "_do_" + req.kind)(req)
                log.debug("job %d done in %.0f ms", req.job, (time.perf_counter() - t0) * 1000)
            except Cancelled:                      # a newer request, or the person, stopped it
                if req.lane == "export":
                    self.cancelled.emit(req.job, int(req.args.get("_written", 0)))
            except Exception as e:  # noqa: BLE001 - every failure becomes a dialog
                msg = " ".join((str(e) or type(e).__name__).split())
                if not isinstance(e, (ValueError, OSError)):
                    traceback.print_exc()
                self.failed.emit(req.job, req.lane, msg)

    def _stale(self, req: Request) -> Callable[[], bool]:
        if req.lane == "export":
            return lambda: req.job in self._cancel_export or self._stop
        return lambda: self._latest[req.lane] != req.job or self._stop

    def _yield(self, req: Request, rest: list) -> bool:
        """For background lanes: when work of a more urgent lane waits, put the rest of
        this request back (unless superseded) and return True so the caller stops."""
        with self._cv:
            urgent = any(self._pending[k] for k in LANES[:LANES.index(req.lane)])
            if not urgent:
                return False
            if self._latest[req.lane] == req.job and not self._pending[req.lane]:
                self._pending[req.lane] = [Request(req.lane, req.kind, {**req.args, req.args["_key"]: rest}, req.job)]
            return True

    def _background_items(self, req: Request, key: str):
        """The items of ``req.args[key]`` one by one, stopping when the request is stale
        or when more urgent work waits (the rest is put back, see :meth:`_yield`)."""
        req.args["_key"] = key
        items = list(req.args[key])
        for i, item in enumerate(items):
            self._check(req)
            if self._yield(req, items[i:]):
                return
            yield item

    def _check(self, req: Request) -> None:
        if self._stale(req)():
            raise Cancelled()

    def _display(self, rgb: np.ndarray) -> QImage:
        from ..engine.display import to_display
        return to_qimage(to_display(rgb, self.display_icc))

    # ------------------------------------------------------------------ jobs
    def _do_open(self, req: Request) -> None:
        from ..engine.session import PhotoSession
        if self.enhancer is None:
            raise RuntimeError("the render engine did not start")
        from ..engine.video_session import VideoSession, is_video
        t0 = time.perf_counter()
        path = req.args["path"]
        session = VideoSession(self.enhancer, path) if is_video(path) else PhotoSession(self.enhancer, path)
        self.session = session
        info = {"session": session, "path": session.path, "size": session.size, "format": session.format,
                "bits": session.bits, "raw": session.is_raw, "ms": (time.perf_counter() - t0) * 1000}
        if isinstance(session, VideoSession):
            info.update(video=True, duration=session.duration, time=session.time, fps=float(session.info.fps),
                        frames=session.info.frames)
        self.opened.emit(req.job, info)

    def _do_seek(self, req: Request) -> None:
        s = self._session(req)
        t = s.seek(float(req.args["time"]))
        self._check(req)
        self.seeked.emit(req.job, {"session": s, "time": t})

    def _session(self, req: Request):
        s = req.args.get("session") or self.session
        if s is None:
            raise ValueError("no photo is open")
        return s

    def _do_analyse(self, req: Request) -> None:
        s = self._session(req)
        result = s.analyse(req.args["task"], req.args.get("reference"), req.args.get("settings"))
        self._check(req)
        self.analysed.emit(req.job, {"task": req.args["task"], "result": result, "session": s})

    def _do_pick(self, req: Request) -> None:
        s = self._session(req)
        self.picked.emit(req.job, s.pick_white(req.args["rect"], req.args["settings"]))

    def _do_preview(self, req: Request) -> None:
        s = self._session(req)
        settings, side = req.args["settings"], int(req.args["max_side"])
        stale = self._stale(req)
        t0 = time.perf_counter()
        clip = bool(req.args.get("clipping"))
        if req.args.get("original"):
            self.original.emit(req.job, self._display(s.original(side, settings)), side)
        if req.args.get("coarse", True):
            c = s.render_preview(settings, side, coarse=True, should_cancel=stale)
            # shown even when a newer state is already waiting: during a fast drag the
            # viewer follows with the newest finished state instead of waiting for a pause
            self.coarse.emit(req.job, self._display(c), side)
            if clip:
                self._clipping(req.job, c, side)
            self._check(req)

        def on_band(y: int, rows: np.ndarray) -> None:
            if not stale():
                self.band.emit(req.job, y, self._display(rows), side)

        out = s.render_preview(settings, side, on_band=on_band, should_cancel=stale)
        self._check(req)
        from ..core.scopes import compute_scopes
        scopes = compute_scopes(out)
        self.fine.emit(req.job, out, scopes, (time.perf_counter() - t0) * 1000)
        if clip:
            self._clipping(req.job, out, side)
        if req.args.get("proof"):
            from ..engine.display import soft_proof
            img, share = soft_proof(out, *req.args["proof"])
            self.proofed.emit(req.job, self._display(img), share, side)
        mi = req.args.get("mask_overlay")
        if mi is not None and hasattr(s, "mask_overlay") and 0 <= mi < len(settings.get("masks") or []):
            from ..core.masks import overlay_rgba
            self.maskOverlay.emit(req.job, to_qimage(overlay_rgba(s.mask_overlay(settings, mi, side))), side, mi)
        if hasattr(s, "lens_status"):
            self.lensStatus.emit(req.job, s.lens_status(settings) if settings.get("lens_correction") else "")

    def _clipping(self, job: int, rgb: np.ndarray, side: int) -> None:
        from ..core.scopes import clipping_overlay
        overlay, shares = clipping_overlay(rgb)
        self.clipping.emit(job, self._display(overlay), shares, side)

    def _do_region(self, req: Request) -> None:
        s = self._session(req)
        settings = req.args["settings"]
        stale = self._stale(req)
        need_before = set(req.args.get("before", ()))
        clip = bool(req.args.get("clipping"))
        for rect in req.args["tiles"]:
            self._check(req)
            after = s.render_region(settings, rect, should_cancel=stale)
            before = (s.render_region_original(settings, rect, should_cancel=stale)   # the same framing
                      if rect in need_before else None)
            self._check(req)
            if clip:
                from ..core.scopes import clipping_overlay
                after = clipping_overlay(after)[0]
            elif req.args.get("proof"):
                from ..engine.display import soft_proof
                after = soft_proof(after, *req.args["proof"])[0]
            self.tile.emit(req.job, rect, self._display(after), None if before is None else self._display(before))

    def _do_export(self, req: Request) -> None:
        """args: items = [(session_or_path, settings_or_Edit, dst)], quality, bits, long_side.

        Between photos of a batch, more urgent work (a preview, an open) goes first: the
        rest of the batch is put back at the head of the export lane and continues after."""
        from ..engine.session import Edit, PhotoSession
        a = req.args
        items = a["items"]
        stale = self._stale(req)
        a.setdefault("_total", len(items))
        written: list[Path] = a.setdefault("_paths", [])
        errors: list[str] = a.setdefault("_errors", [])
        n, done0 = a["_total"], a["_total"] - len(items)
        for k, (src, settings, dst) in enumerate(items):
            if stale():
                raise Cancelled()
            if k > 0 and self._yield_export(req, items[k:]):
                return
            i = done0 + k
            name = Path(dst).name
            self.progress.emit(req.job, i / n, f"Exporting {name} ({i + 1}/{n})")

            def prog(f: float, i=i, name=name) -> None:
                self.progress.emit(req.job, (i + f) / n, f"Exporting {name} ({i + 1}/{n})")
            try:
                session = src if isinstance(src, PhotoSession) else PhotoSession(self.enhancer, src)
                if settings is None:                  # a photo without a sidecar: its own starting values
                    settings = Edit(defaults=session.photo_defaults())
                if isinstance(settings, Edit):        # a sidecar's edit: a task without values is analysed here
                    edit = settings.copy()
                    if edit.task and not edit.task_result:
                        edit.task_result = session.analyse(edit.task, edit.reference, edit.settings())
                    settings = edit.settings()
                written.append(session.export(dst, settings, quality=a.get("quality", 95), bits=a.get("bits"),
                                              long_side=a.get("long_side"), on_progress=prog,
                                              should_cancel=stale,
                                              output_sharpening=float(a.get("output_sharpening", 0.0)),
                                              profile=str(a.get("profile", "srgb"))))
                a["_written"] = len(written)
            except Cancelled:
                raise
            except Exception as e:  # noqa: BLE001 - one bad photo does not stop a batch
                if stale():
                    raise Cancelled() from e
                if n == 1:
                    raise
                errors.append(f"{src if not isinstance(src, PhotoSession) else src.path}: {e}")
        self.progress.emit(req.job, 1.0, "Done")
        if errors:
            self.failed.emit(req.job, "batch", f"{len(errors)} of {n} photos failed: " + "; ".join(errors))
        self.exported.emit(req.job, written)

    def _yield_export(self, req: Request, rest: list) -> bool:
        with self._cv:
            if not any(self._pending[k] for k in LANES[:LANES.index("export")]):
                return False
            req.args["items"] = rest
            self._pending["export"].insert(0, req)
            return True

    def _do_video(self, req: Request) -> None:
        """args: session (a VideoSession), edit, dst, codec, crf."""
        s = req.args["session"]
        name = Path(req.args["dst"]).name
        self.progress.emit(req.job, 0.0, f"Exporting {name}")
        out = s.export_video(req.args["dst"], req.args["edit"], codec=req.args.get("codec", "libx264"),
                             crf=req.args.get("crf", 18),
                             on_progress=lambda f: self.progress.emit(req.job, f, f"Exporting {name}"),
                             should_cancel=self._stale(req))
        self.progress.emit(req.job, 1.0, "Done")
        self.exported.emit(req.job, [out])

    def _do_presets(self, req: Request) -> None:
        from ..io.presets import get_preset
        s = self._session(req)
        side = int(req.args.get("max_side", 160))
        for name in self._background_items(req, "names"):
            try:
                settings = get_preset(name).settings
                img = s.render_preview(settings, side, lut_size=17, should_cancel=self._stale(req))
            except Cancelled:
                raise
            except Exception as e:  # noqa: BLE001 - a broken user preset gets no thumbnail
                self.message.emit(f"preset {name}: {e}")
                continue
            self.presetThumb.emit(req.job, name, self._display(img))

    def _do_film(self, req: Request) -> None:
        """Thumbnails of ``paths``: a photo with an edit sidecar rendered with its edit, the
        others from the file (a RAW's embedded preview)."""
        from ..engine.thumbs import file_thumbnail
        side = int(req.args.get("max_side", 128))
        for path in self._background_items(req, "paths"):
            try:
                edit = _sidecar_edit(path)
                if edit is not None:
                    from ..engine.session import PhotoSession
                    img = self._display(PhotoSession(self.enhancer, path).render_preview(
                        edit.settings(), side, lut_size=17, should_cancel=self._stale(req)))
                else:
                    img = to_qimage(file_thumbnail(path, side))
            except Cancelled:
                raise
            except Exception as e:  # noqa: BLE001 - an unreadable file gets a placeholder
                self.message.emit(f"{path}: {e}")
                continue
            self.filmThumb.emit(req.job, str(path), img)

    def _do_thumb(self, req: Request) -> None:
        """The open photo's filmstrip thumbnail with its current edit (args: session,
        settings, path, max_side)."""
        s = self._session(req)
        img = s.render_preview(req.args["settings"], int(req.args.get("max_side", 96)), lut_size=17,
                               should_cancel=self._stale(req))
        self._check(req)
        self.filmThumb.emit(req.job, str(req.args["path"]), self._display(img))


def _sidecar_edit(path: str | Path):
    """The edit of ``path``'s sidecar, or None when it has none that is usable or it is
    unedited. Read only: a bad sidecar is left for :func:`kolors.engine.edit.load_edit` to
    set aside when the photo is opened (a thumbnail never moves files)."""
    import json

    from ..engine.edit import Edit, lightroom_edit
    from ..io.sidecar import sidecar_path
    sc = sidecar_path(path)
    if not sc.is_file():
        lr = lightroom_edit(path)      # Lightroom settings in the photo's XMP sidecar (read only)
        return lr.edit if lr is not None and lr.source == "xmp" else None
    try:
        edit = Edit.from_json(json.loads(sc.read_text(encoding="utf-8"))["edit"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None if edit.is_unedited() and not edit.defaults else edit
