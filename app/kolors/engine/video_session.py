"""Grading a video in the desktop app: one frame at a time for the preview, the whole
file through :func:`kolors.engine.video.transcode` for the export.

:func:`frame_at` decodes the frame shown at a time (seek to the key frame before it, then
decode forward); :class:`VideoSession` is a :class:`~kolors.engine.session.PhotoSession`
over that frame (``H×W×3`` uint8 sRGB) plus the video's metadata, so every preview,
"Auto" and the picker work on the current frame exactly as on a photo. The export grades
every frame with a :class:`~kolors.engine.video.VideoPipeline` configured from the edit:
the preset and the person's values as they are, a task analysed per frame by the learned
model with the temporal smoothing of the edit's ``temporal_smooth``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .session import Edit, PhotoSession

__all__ = ["frame_at", "VideoSession", "is_video"]


def is_video(path: str | Path) -> bool:
    from ..io.video import VIDEO_SUFFIXES
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def frame_at(path: str | Path, t: float) -> tuple[np.ndarray, float]:
    """The frame on screen at ``t`` seconds (the last one starting at or before ``t``) as
    ``H×W×3`` uint8 RGB, and its own time. Raises :class:`~kolors.errors.InputError`."""
    from ..errors import InputError
    from ..io.video import open_source
    c = open_source(path)
    try:
        vs = c.streams.video[0]
        tb = vs.time_base
        target = max(0.0, float(t))
        if target > 0 and tb:
            c.seek(int(target / tb), stream=vs, backward=True, any_frame=False)
        best = None
        for fr in c.decode(vs):
            ft = float(fr.pts * fr.time_base) if fr.pts is not None and fr.time_base else 0.0
            if best is None or ft <= target + 1e-6:
                best = (fr.to_ndarray(format="rgb24"), ft)
            if ft >= target - 1e-6:
                break
        if best is None:
            raise InputError(f"{path}: no video frame at {target:.3f} s")
        return best
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - one clear message naming the file
        raise InputError(f"{path}: cannot decode a frame at {t:.3f} s ({e})") from None
    finally:
        c.close()


class VideoSession(PhotoSession):
    """A video file with the frame at :attr:`time` as the photo being graded."""

    def __init__(self, enhancer: Any, path: str | Path, t: float = 0.0):
        from ..io.video import probe
        self.info = probe(path)
        rgb, self.time = frame_at(path, t)
        super().__init__(enhancer, path, array=rgb)
        self.format = f"video {self.info.codec}"

    def seek(self, t: float) -> float:
        """Make the frame at ``t`` seconds the one being graded; returns its time."""
        rgb, ft = frame_at(self.path, t)
        with self._lock:
            self.source = np.ascontiguousarray(rgb)
            self.full_size = (rgb.shape[0], rgb.shape[1])
            self._proxies.clear()
            self._thumb = None
            self._thumbs.clear()
            self.time = ft
        return ft

    @property
    def duration(self) -> float:
        if self.info.duration:
            return float(self.info.duration)
        return float((self.info.frames or 1) / float(self.info.fps or 25))

    def export(self, dst: str | Path, settings: Any, *, quality: int = 95, bits: int | None = None,
               long_side: int | None = None, on_progress: Callable[[float], None] | None = None,
               should_cancel: Callable[[], bool] | None = None) -> Path:
        """The current frame, graded, as a still image (8-bit source)."""
        from ..io.images import write_image
        from .encode import output_dtype
        src = self.source
        scale = 1.0
        if long_side is not None and long_side < max(src.shape[:2]):
            src, scale = self.proxy(long_side)
        out = self.enhancer.render(src, settings, out_dtype=output_dtype(np.dtype(np.uint8), bits, Path(dst)),
                                   scale=scale, full_size=self.full_size, on_progress=on_progress,
                                   should_cancel=should_cancel)
        return Path(write_image(dst, out, quality=quality, protect=self.path))

    def export_video(self, dst: str | Path, edit: Edit, *, codec: str = "libx264", crf: float | None = 18,
                     on_progress: Callable[[float], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None) -> Path:
        """Grade every frame into ``dst`` (audio kept, timestamps preserved, atomic)."""
        from ..core import registry
        from .video import transcode
        pipe = self.enhancer.create_video_pipeline(input_res=(self.info.width, self.info.height), output_res=None)
        visible = registry.params()
        params = {k: v for k, v in edit.params.items() if k in visible}
        ref = edit.reference if edit.reference and edit.task == "style_transfer" else None
        pipe.set_params(temporal_smooth=float(edit.temporal_smooth), task=edit.task, intensity=edit.intensity,
                        preset=edit.preset, reference=ref, **params)

        def prog(done: int, total: int | None) -> None:
            if on_progress is not None and total:
                on_progress(min(1.0, done / total))
        transcode(self.path, dst, pipe, codec=codec, crf=crf, on_progress=prog, should_cancel=should_cancel)
        return Path(dst)
