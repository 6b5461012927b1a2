"""Video: grading frame sequences with one :class:`~kolors.engine.enhancer.Enhancer`.

A :class:`VideoPipeline` grades frames (``H×W×3`` uint8, sRGB-encoded; **BGR** through
:meth:`VideoPipeline.process` as :meth:`Enhancer.enhance`, RGB through
:meth:`VideoPipeline.process_rgb` and the file/stream helpers) with a preset, parameters
and/or a task:

* a task (learned or classical) analyses each frame's thumbnail once (the learned model:
  its 256×256 thumbnail, ``frame_batch`` frames per forward pass) and gives settings:
  slider controls plus, for the learned tasks, the learned transform's parameters
  (``learned_lut`` (17,17,17,3) and ``learned_grid`` (16,16,12)) and its calibrated
  ``learned_strength`` (the same for every frame of a task); the model's raw
  per-frame results are kept in an LRU of ``cache_size`` keyed by the thumbnail's bytes;
* ``temporal_smooth`` (0–5) smooths those **parameters** across frames (not the pixels):
  an exponential moving average with weight ``1 / (1 + temporal_smooth²)`` for the new
  frame (1 at 0: off; 1/26 at 5, a time constant of about 26 frames), reset at scene cuts;
* scene cuts are detected from the thumbnail: a 16×16 image and 3×16-bin histograms in
  the cube-root (perceptual) encoding of linear light; a frame starts a new scene when
  its histograms differ from the previous frame's by more than
  ``0.25·scene_threshold`` (half the L1 distance, 0–1) or its 16×16 image by more than
  ``0.15·scene_threshold`` (mean absolute difference);
* the apply step: colour-only grades go through the plan's baked LUT in the integer
  kernel (as :func:`kolors.engine.render.render_array`: identical output); grades with the
  learned residual go, with ``use_jit`` (default), through one numba-compiled pass per
  pixel (:mod:`kolors.engine.video_kernel`: the sliders' colour table, the learned LUT of
  deltas and the bilinear grid of affine matrices fused), the colour table baked at 33³
  and shared by frames whose rounded slider values agree (mean error against
  :meth:`Enhancer.enhance` under 0.5 code, 99% of values within 2 codes); without
  ``use_jit`` through :meth:`Enhancer.render` (torch, tiled: with ``frame_batch=1``
  identical to :meth:`Enhancer.enhance`, batched forward passes within a code).

:func:`transcode` runs file → file with decode, grade and encode on three threads;
:func:`run_live` grades a live source with a reader thread that never blocks (frames that
arrive while the grader is busy replace the waiting one and are counted as dropped).
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
import torch

from ..core import registry
from ..core.lru import LRU
from ..core.lut import apply_lut_u8
from ..core.pipeline import Plan
# Cancelled: raised by transcode when ``should_cancel`` says so (no output is left); the one of
# kolors.errors, also importable from here for API users
from ..errors import Cancelled, InputError
from . import tasks as T
from .framing import frame_array
from .lens import lens_info
from .lens import prepare as prepare_lens
from .render import RenderOptions, render_array, thumb_linear

log = logging.getLogger("kolors.video")

__all__ = ["VideoPipeline", "SceneCutDetector", "smoothing_weight", "transcode", "run_live", "LiveStats",
           "TranscodeStats", "Cancelled"]

TEMPORAL_SMOOTH_MAX = 5.0


def smoothing_weight(temporal_smooth: float) -> float:
    """Weight of the newest frame in the moving average: ``1 / (1 + temporal_smooth²)``: 1 at 0
    (no smoothing), 1/2 at 1, 1/5 at 2, 1/26 at 5 (a time constant of about 26 frames)."""
    return 1.0 / (1.0 + float(temporal_smooth) ** 2)


def _check_smooth(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= TEMPORAL_SMOOTH_MAX:
        raise ValueError(f"temporal_smooth must be a number within [0, {TEMPORAL_SMOOTH_MAX:g}], got {v!r}")
    return float(v)


class SceneCutDetector:
    """Hard cuts from linear thumbnails ((1,3,h,w) float32): see the module docstring."""

    def __init__(self, threshold: float = 1.0):
        self.threshold = float(threshold)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None

    @staticmethod
    def signature(thumb: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        import cv2
        e = thumb[0].clamp(0, 1).pow(1.0 / 3.0).permute(1, 2, 0).numpy()  # h×w×3 perceptual
        tiny = cv2.resize(e, (16, 16), interpolation=cv2.INTER_AREA)
        hist = np.stack([np.histogram(e[..., c], bins=16, range=(0.0, 1.0))[0] for c in range(3)]).astype(np.float64)
        hist /= max(1.0, hist[0].sum())
        return tiny, hist

    def distance(self, a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
        return float(np.abs(a[0] - b[0]).mean()), float(0.5 * np.abs(a[1] - b[1]).sum(1).mean())

    def update(self, thumb: torch.Tensor) -> bool:
        """True when ``thumb`` starts a new scene (the first frame does)."""
        sig = self.signature(thumb)
        prev, self._prev = self._prev, sig
        if prev is None:
            return True
        d_img, d_hist = self.distance(prev, sig)
        return d_hist > 0.25 * self.threshold or d_img > 0.15 * self.threshold

    def reset(self) -> None:
        self._prev = None


def _blend_numeric(old: Any, new: Any, a: float) -> Any:
    """``old + a·(new - old)`` for numbers and same-shaped arrays; anything else: ``new``."""
    if isinstance(new, bool) or isinstance(old, bool):
        return new
    if isinstance(new, (int, float)) and isinstance(old, (int, float)):
        return float(old) + a * (float(new) - float(old))
    if isinstance(new, np.ndarray) and isinstance(old, np.ndarray) and old.shape == new.shape \
            and new.dtype.kind == "f":
        return (old + np.float32(a) * (new - old)).astype(new.dtype, copy=False)
    return new


class VideoPipeline:
    """Grades a stream of frames with an :class:`Enhancer` (see the module docstring).

    ``input_res``: the expected (width, height) of incoming frames (other sizes work);
    ``output_res``: (width, height) of graded frames (frames are resized with area
    averaging before grading; ``None`` keeps the input size); ``buffer_size``: frames
    decoded ahead when iterating over a source.

    Configure with :meth:`set_params`; grade with :meth:`process` (one BGR frame, as
    :meth:`Enhancer.enhance`), :meth:`process_rgb`, :meth:`process_batch`, or iterate:
    ``for rgb in pipeline(source)`` where ``source`` is a file/URL/camera index or an
    iterable of RGB frames."""

    def __init__(self, enhancer: Any, input_res: tuple[int, int] | None = (1920, 1080),
                 output_res: tuple[int, int] | None = (1280, 720), buffer_size: int = 30):
        self.enhancer = enhancer
        self.input_res = _check_res(input_res, "input_res")
        self.output_res = _check_res(output_res, "output_res")
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 1:
            raise ValueError(f"buffer_size must be a positive integer, got {buffer_size!r}")
        self.buffer_size = buffer_size
        self.frame_batch = 8
        self.use_jit = True
        self.cache_size = 1024
        self.temporal_smooth = 0.0
        self.scene_threshold = 1.0
        self.task: str | None = None
        self.intensity = 1.0
        self.preset: str | None = None
        self.params: dict[str, Any] = {}
        self._reference: torch.Tensor | None = None
        self._cache: LRU[str, dict[str, Any]] = LRU(self.cache_size)
        self._base: dict[str, Any] | None = None
        self._plans: LRU[str, _FramePlan] = LRU(4)
        self._stages: LRU[str, _ColourStage] = LRU(8)
        self._framings: LRU[tuple, tuple] = LRU(4)
        self.lut_size = 33
        self.cache_hits = 0
        self.reset()

    # ------------------------------------------------------------------ configuration
    def set_params(self, frame_batch: int | None = None, use_jit: bool | None = None, cache_size: int | None = None,
                   *, temporal_smooth: float | None = None, scene_threshold: float | None = None,
                   task: str | None = None, intensity: float | None = None, preset: str | None = None,
                   reference: np.ndarray | str | Path | None = None, **params: Any) -> "VideoPipeline":
        """``frame_batch``: frames per forward pass of the model (≥ 1); ``use_jit``: the
        fused, compiled apply step for learned grades; ``cache_size``: per-frame model
        results kept (0 = none); ``temporal_smooth`` 0–5; ``scene_threshold`` (> 0, default
        1: scale of the cut thresholds); ``task``/``intensity``/``preset`` as
        :meth:`Enhancer.enhance`; ``reference``: for style transfer, a BGR image
        (uint8, uint16 or float32) or an image path, as :meth:`Enhancer.enhance` takes it;
        ``params``: visible registry parameters. Values are validated (``ValueError``)."""
        if frame_batch is not None:
            if isinstance(frame_batch, bool) or not isinstance(frame_batch, int) or not 1 <= frame_batch <= 256:
                raise ValueError(f"frame_batch must be an integer within [1, 256], got {frame_batch!r}")
            self.frame_batch = frame_batch
        if use_jit is not None:
            self.use_jit = bool(use_jit)
        if cache_size is not None:
            if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
                raise ValueError(f"cache_size must be a non-negative integer, got {cache_size!r}")
            self.cache_size = cache_size
            self._cache.resize(cache_size)
        if temporal_smooth is not None:
            self.temporal_smooth = _check_smooth(temporal_smooth)
        if scene_threshold is not None:
            if not isinstance(scene_threshold, (int, float)) or not scene_threshold > 0:
                raise ValueError(f"scene_threshold must be > 0, got {scene_threshold!r}")
            self.scene_threshold = float(scene_threshold)
            self._cuts.threshold = self.scene_threshold
        if "temporal_smooth" in params:  # also accepted among the parameters
            self.temporal_smooth = _check_smooth(params.pop("temporal_smooth"))
        if task is not None:
            T.check_task(task)
            self.task = task
        if intensity is not None:
            if isinstance(intensity, bool) or not isinstance(intensity, (int, float)) or not 0 <= intensity <= 1:
                raise ValueError(f"intensity must be a number within [0, 1], got {intensity!r}")
            self.intensity = float(intensity)
        if preset is not None:
            from ..io.presets import get_preset
            get_preset(preset)
            self.preset = preset
        if reference is not None:
            self._reference = thumb_linear(self.enhancer._load_reference(reference))
        if params:
            self.params.update(registry.validate_settings(params, allow_hidden=False))
        if self.task == "style_transfer" and self._reference is None:
            raise ValueError("task 'style_transfer' needs a reference image (reference=...)")
        self._base = None
        self._cache.clear()
        self.reset()
        return self

    def reset(self) -> None:
        """Forget the smoothing state and the previous frame (the next frame starts a scene)."""
        self._state: dict[str, Any] | None = None
        self._cuts = SceneCutDetector(self.scene_threshold)
        self.frames = 0
        self.cuts: list[int] = []

    def warm_up(self, size: tuple[int, int]) -> None:
        """Grade one mid-grey frame of ``size`` (width, height) and forget it: loads the
        model, bakes a preset's table and compiles the kernels before a live source's
        first frame arrives."""
        w, h = size
        self.process_rgb(np.full((max(1, h), max(1, w), 3), 118, np.uint8))
        if self.task is None:  # a fixed colour-only grade: its 256³ table pays off over a video
            from ..core.lut import DIRECT_MIN_PIXELS, direct_table_u8
            settings = {**self._base_settings(), **self.params}
            plan = self._video_plan(settings).plan if self.use_jit else self.enhancer.plan(settings)
            out = self.output_res or (w, h)
            if not plan.is_identity and plan.pointwise_only and out[0] * out[1] >= DIRECT_MIN_PIXELS:
                direct_table_u8(plan.stages[0].lut, encoded=True)
        self.reset()

    def _base_settings(self) -> dict[str, Any]:
        if self._base is None:
            self._base = self.enhancer.resolve_settings(None, None, preset=self.preset)
        return self._base

    # ------------------------------------------------------------------ analysis
    def _key(self, thumb: torch.Tensor) -> str:
        return hashlib.blake2b(thumb.numpy().tobytes(), digest_size=16).hexdigest()

    def _analyse(self, thumbs: list[torch.Tensor]) -> list[dict[str, Any]]:
        """Raw task settings (blended by intensity, validated) per thumbnail, batched
        through the learned model, cached by thumbnail."""
        enh, task = self.enhancer, self.task
        keys = [self._key(t) for t in thumbs] if self.cache_size else [None] * len(thumbs)
        out: list[dict[str, Any] | None] = [None] * len(thumbs)
        todo: list[int] = []
        same: dict[int, int] = {}  # a repeat within this batch → its first occurrence
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            hit = self._cache.get(k) if k is not None else None
            if hit is not None:
                out[i] = hit
                self.cache_hits += 1
            elif k is not None and k in first:
                same[i] = first[k]
                self.cache_hits += 1
            else:
                if k is not None:
                    first[k] = i
                todo.append(i)
        model = getattr(enh, "model", None)
        if todo and model is not None and model.handles(task):
            got = self._predict_batch(model, [thumbs[i] for i in todo])
            for i, s in zip(todo, got):
                out[i] = registry.validate_settings(T.blend(s, self.intensity))
        else:
            for i in todo:
                out[i] = enh.analyse(thumbs[i], task, self.intensity, self._reference)
        for i, j in same.items():
            out[i] = out[j]
        for i in todo:
            if keys[i] is not None:
                self._cache.put(keys[i], out[i])
        return out  # type: ignore[return-value]

    def _predict_batch(self, model: Any, thumbs: list[torch.Tensor]) -> list[dict[str, Any]]:
        """:meth:`LearnedModel.predict` for several frames in one forward pass per
        ``frame_batch`` (one frame: exactly ``predict``)."""
        from ..model.infer import thumb256
        from ..model.net import TASK_IDS
        if len(thumbs) == 1:
            return [model.predict(thumbs[0].to(model.device), self.task,
                                  self._reference.to(model.device) if self._reference is not None else None)]
        res = []
        for s in range(0, len(thumbs), self.frame_batch):
            chunk = thumbs[s:s + self.frame_batch]
            th = torch.cat([thumb256(t) for t in chunk]).to(model.device)
            ref = None
            if self._reference is not None:
                ref = thumb256(self._reference).to(model.device).expand(len(chunk), -1, -1, -1)
            ids = torch.full((len(chunk),), TASK_IDS[self.task], device=model.device, dtype=torch.long)
            with torch.no_grad():
                res += model.settings(*model.net(th, ids, ref), self.task, model.estimates(chunk, self._reference))
        return res

    def _smooth(self, s: dict[str, Any], cut: bool) -> dict[str, Any]:
        if cut or self._state is None or self.temporal_smooth == 0:
            self._state = dict(s)
            return s
        a = smoothing_weight(self.temporal_smooth)
        st = self._state
        new = {k: (_blend_numeric(st[k], v, a) if k in st else v) for k, v in s.items()}
        self._state = new
        return new

    def settings_for(self, rgbs: list[np.ndarray]) -> list[dict[str, Any]]:
        """The (smoothed) settings of consecutive RGB frames, in order; advances the
        smoothing state and the scene-cut detector."""
        base = self._base_settings()
        if self.task is None:
            self.frames += len(rgbs)
            return [{**base, **self.params}] * len(rgbs)
        thumbs = [thumb_linear(r) for r in rgbs]
        cuts = [self._cuts.update(t) for t in thumbs]
        raw = self._analyse(thumbs)
        out = []
        for t, (cut, s) in enumerate(zip(cuts, raw)):
            if cut:
                self.cuts.append(self.frames + t)
            sm = self._smooth(s, cut)
            out.append({**base, **sm, **self.params})
        self.frames += len(rgbs)
        return out

    # ------------------------------------------------------------------ apply
    def _resize(self, rgb: np.ndarray) -> np.ndarray:
        if self.output_res is None or (rgb.shape[1], rgb.shape[0]) == self.output_res:
            return rgb
        import cv2
        return cv2.resize(rgb, self.output_res, interpolation=cv2.INTER_AREA)

    def apply(self, rgb: np.ndarray, settings: Mapping[str, Any]) -> np.ndarray:
        """Grade one H×W×3 uint8 RGB frame with ``settings`` (no analysis, no resize)."""
        enh = self.enhancer
        fp = self._video_plan(settings) if self.use_jit else None
        plan = fp.plan if fp is not None else enh.plan(settings)
        if plan.is_identity:
            return rgb.copy()
        if plan.pointwise_only:  # as render_array's integer path
            return apply_lut_u8(np.ascontiguousarray(rgb), plan.stages[0].lut, encoded=True)
        if not self.use_jit:
            return enh.render(np.ascontiguousarray(rgb), settings)
        if enh.device.type == "cpu":
            from .video_kernel import code_tables, fusable, fused_apply
            if fusable(plan):
                if fp.colour.code_tables is None:   # shared by the plans of this colour table
                    fp.colour.code_tables = code_tables(plan)
                return fused_apply(rgb, plan, tables=fp.colour.code_tables)
        opts = RenderOptions(device=enh.device, tile_size=enh.mem_optim["tile_size"],
                             half_precision=enh.half_precision)
        return render_array(np.ascontiguousarray(rgb), plan, None, opts)

    def _video_plan(self, settings: Mapping[str, Any]) -> "_FramePlan":
        """A plan whose colour stage bakes at :attr:`lut_size` when a task changes the
        settings every frame (33: baking 65³ per frame costs seconds), else at 65 as
        :meth:`Enhancer.plan`; LRU of 4.

        With a task, the sliders' values are first rounded to 1/4096 of their range (0.002
        EV of exposure, 3 K of temperature, 0.0005 of contrast: far below a visible
        step) and the colour stage's table is shared by every frame with the same rounded
        values (LRU of 8): the learned transform's parameters change every frame without a
        new bake, and smoothed sliders that drift slowly re-bake only when they move a
        step."""
        varying = self.task is not None
        if varying:
            settings = _quantize(settings)
        return self._plans.get_or_create(registry.settings_key(settings),
                                         lambda: self._new_frame_plan(settings, varying))

    def _new_frame_plan(self, settings: Mapping[str, Any], varying: bool) -> "_FramePlan":
        plan = Plan(dict(settings), lut_size=self.lut_size if varying else 65)
        if not (varying and plan.stages and plan.stages[0].pointwise):
            return _FramePlan(plan, _ColourStage(None))
        # what the colour stage depends on: every setting but the learned residual's (applied after it)
        controls = registry.settings_key({k: v for k, v in settings.items() if k not in _RESIDUAL_KEYS})
        colour = self._stages.get(controls)
        if colour is None:
            colour = self._stages.put(controls, _ColourStage(plan.stages[0].lut))
        else:
            plan.stages[0]._lut = colour.lut
        return _FramePlan(plan, colour)

    def _frame(self, rgb: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """The frame framed as the preset and parameters ask (crop, straighten, turns,
        flip, manual lens corrections: frames carry no EXIF, so no lens profile) and the
        settings that framing adds (the lens vignetting gains); the frame as it is when
        they ask for none."""
        want = {**self._base_settings(), **self.params}
        key = (rgb.shape[1], rgb.shape[0], registry.settings_key(want))
        hit = self._framings.get(key)
        if hit is None:
            prepared, fr, _ = prepare_lens(want, lens_info(None), rgb.shape[1], rgb.shape[0])
            extra = {k: prepared[k] for k in ("lens_vignette_gain",) if k in prepared}
            hit = self._framings.put(key, (fr, extra))
        fr, extra = hit
        if fr is None:
            return rgb, extra
        out = frame_array(rgb, fr)
        # even sizes (4:2:0 codecs): a framed frame loses its last odd row/column
        return np.ascontiguousarray(out[: out.shape[0] & ~1 or 1, : out.shape[1] & ~1 or 1]), extra

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the graded frames for input frames of this size."""
        if self.output_res is not None:
            return self.output_res
        want = {**self._base_settings(), **self.params}
        _, fr, _ = prepare_lens(want, lens_info(None), width, height)
        if fr is None:
            return width, height
        w, h = fr.size
        return (w & ~1 or 1), (h & ~1 or 1)

    def process_batch(self, rgbs: list[np.ndarray]) -> list[np.ndarray]:
        """Grade consecutive H×W×3 uint8 **RGB** frames (sRGB-encoded) in order; returns
        graded RGB uint8 frames of ``output_res`` (the framed frame when ``output_res`` is
        None). The framing of the preset and parameters comes first: tasks analyse the
        framed frame."""
        framed = [self._frame(_check_frame(r)) for r in rgbs]
        rgbs = [self._resize(f) for f, _ in framed]
        return [self.apply(r, {**s, **extra}) for r, s, (_, extra) in zip(rgbs, self.settings_for(rgbs), framed)]

    def process_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Grade the next H×W×3 uint8 RGB frame."""
        return self.process_batch([rgb])[0]

    def process(self, frame: np.ndarray) -> np.ndarray:
        """Grade the next frame: an OpenCV-style H×W×3 uint8 **BGR** array (as
        :meth:`Enhancer.enhance`); returns BGR uint8 of ``output_res``."""
        out = self.process_rgb(np.ascontiguousarray(_check_frame(frame)[..., ::-1]))
        return np.ascontiguousarray(out[..., ::-1])

    def __call__(self, source: Any, bgr: bool = False) -> Iterator[np.ndarray]:
        """Iterate graded frames of ``source``: a video file, URL or camera index (RGB
        frames out), or an iterable of frames (RGB; BGR in and out with ``bgr=True``).
        Frames are decoded up to ``buffer_size`` ahead and graded ``frame_batch`` at a
        time."""
        if isinstance(source, (str, Path)):
            from ..io.video import VideoReader
            reader = VideoReader(source)
            frames: Iterable[np.ndarray] = (f.rgb for f in _prefetch(iter(reader), self.buffer_size))
        else:
            reader = None
            frames = source
        try:
            batch: list[np.ndarray] = []
            for fr in frames:
                batch.append(np.ascontiguousarray(fr[..., ::-1]) if bgr else fr)
                if len(batch) >= self.frame_batch:
                    yield from self._emit(batch, bgr)
                    batch = []
            if batch:
                yield from self._emit(batch, bgr)
        finally:
            if reader is not None:
                reader.close()

    iterate = __call__

    def _emit(self, batch: list[np.ndarray], bgr: bool) -> Iterator[np.ndarray]:
        for out in self.process_batch(batch):
            yield np.ascontiguousarray(out[..., ::-1]) if bgr else out


def _quantize(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Slider (float) values rounded to 1/4096 of their range; values within half a step of
    the default snap to it (an operation at its default stays off)."""
    from ..core.params import Float
    out = dict(settings)
    for k, v in settings.items():
        if not isinstance(v, float):
            continue
        prm = registry.get_param(k)
        if not isinstance(prm, Float):
            continue
        step = (prm.hi - prm.lo) / 4096.0
        if abs(v - prm.default) < 0.5 * step:
            out[k] = prm.default
        else:
            out[k] = min(prm.hi, max(prm.lo, prm.lo + round((v - prm.lo) / step) * step))
    return out


_RESIDUAL_KEYS = ("learned_lut", "learned_grid", "learned_strength")


@dataclass
class _ColourStage:
    """A baked colour table shared by the frame plans whose (rounded) slider values agree,
    and the fused kernel's per-code tables of it (:func:`kolors.engine.video_kernel.code_tables`,
    made by the first frame that needs them)."""

    lut: Any
    code_tables: tuple | None = None


@dataclass
class _FramePlan:
    """A plan of :meth:`VideoPipeline._video_plan` and its colour stage's shared tables."""

    plan: Plan
    colour: _ColourStage


def _check_res(res: Any, name: str) -> tuple[int, int] | None:
    if res is None:
        return None
    try:
        w, h = (int(v) for v in res)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (width, height), got {res!r}") from None
    if not (1 <= w <= 16384 and 1 <= h <= 16384):
        raise ValueError(f"{name} must be within 1..16384 pixels, got {res!r}")
    return w, h


def _check_frame(f: Any) -> np.ndarray:
    if not isinstance(f, np.ndarray) or f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
        desc = f"{f.dtype} {f.shape}" if isinstance(f, np.ndarray) else type(f).__name__
        raise ValueError(f"a video frame must be an H×W×3 uint8 array, got {desc}")
    return f


_END = object()


def _prefetch(it: Iterator[Any], size: int) -> Iterator[Any]:
    """Run ``it`` on a thread, up to ``size`` items ahead (exceptions re-raised here)."""
    q: queue.Queue = queue.Queue(maxsize=max(1, size))
    stop = threading.Event()

    def work() -> None:
        try:
            for x in it:
                while not stop.is_set():
                    try:
                        q.put(x, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put(e)

    th = threading.Thread(target=work, name="kolors-decode", daemon=True)
    th.start()
    try:
        while True:
            x = q.get()
            if x is _END:
                return
            if isinstance(x, BaseException):
                raise x
            yield x
    finally:
        stop.set()
        th.join(timeout=5)


# ---------------------------------------------------------------------------------------- files
@dataclass
class TranscodeStats:
    frames: int = 0
    seconds: float = 0.0        # decode + grade + encode of all frames (after the warm-up)
    warm_up: float = 0.0        # model load/bake/compile on a grey frame, before the first frame
    cuts: list[int] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def transcode(src: str | Path, dst: str | Path, pipeline: VideoPipeline, *, codec: str = "libx264",
              crf: float | None = 18, pix_fmt: str | None = None, preset: str | None = None, threads: int = 0,
              keep_audio: bool = True, on_progress: Callable[[int, int | None], None] | None = None,
              should_cancel: Callable[[], bool] | None = None, write: bool = True) -> TranscodeStats:
    """Grade video file ``src`` into ``dst`` (container from its suffix) with ``pipeline``:
    every frame is kept with its timestamp, audio streams are copied packet for packet,
    the output is written atomically (an error or :class:`Cancelled` leaves no file).
    Decoding, grading and encoding run on three threads. ``on_progress(done, total)``
    after each frame; ``write=False`` grades without encoding (benchmarks)."""
    from ..io.video import VideoReader, VideoWriter, probe
    info = probe(src)
    reader = VideoReader(src, threads=threads)
    w, h = pipeline.output_size(reader.width, reader.height)
    writer = None
    if write:
        try:
            writer = VideoWriter(dst, w, h, reader.fps, reader.time_base, codec=codec, crf=crf, pix_fmt=pix_fmt,
                                 preset=preset, threads=threads, audio_from=src if keep_audio else None,
                                 protect=src)
        except BaseException:
            reader.close()
            raise
    stats = TranscodeStats()
    frames: Any = None
    t0 = time.perf_counter()
    wq: queue.Queue = queue.Queue(maxsize=max(2, pipeline.frame_batch * 2))
    err: list[BaseException] = []

    def encode() -> None:
        try:
            while True:
                item = wq.get()
                if item is _END:
                    return
                if writer is not None and not err:
                    writer.write(*item)
        except BaseException as e:  # noqa: BLE001
            err.append(e)

    enc = threading.Thread(target=encode, name="kolors-encode", daemon=True)
    enc.start()
    try:
        t = time.perf_counter()
        pipeline.warm_up((reader.width, reader.height))
        stats.warm_up = time.perf_counter() - t
        t0 = time.perf_counter()
        frames = _prefetch(iter(reader), pipeline.buffer_size)
        batch: list[Any] = []

        def flush() -> None:
            outs = pipeline.process_batch([f.rgb for f in batch])
            for f, o in zip(batch, outs):
                if err:
                    raise err[0]
                wq.put((o, f.pts if f.pts is not None else None))
                stats.frames += 1
                if on_progress is not None:
                    on_progress(stats.frames, info.frames)
            batch.clear()

        for f in frames:
            if should_cancel is not None and should_cancel():
                raise Cancelled(f"cancelled after {stats.frames} frames")
            batch.append(f)
            if len(batch) >= pipeline.frame_batch:
                flush()
        if batch:
            flush()
        wq.put(_END)
        enc.join()
        if err:
            raise err[0]
        if stats.frames == 0:
            raise InputError(f"{src}: no video frames could be decoded")
        if writer is not None:
            writer.close()
    except BaseException:
        err.append(Cancelled())  # the encoder skips what is left and stops at the end mark
        while enc.is_alive():
            try:
                wq.put(_END, timeout=0.1)
                break
            except queue.Full:
                with _suppress():
                    wq.get_nowait()
        enc.join(timeout=10)
        if writer is not None:
            writer.abort()
        raise
    finally:
        if frames is not None:   # stop and join the decode thread before its container is closed
            frames.close()
        reader.close()
    stats.seconds = time.perf_counter() - t0
    stats.cuts = list(pipeline.cuts)
    return stats


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return True


# ---------------------------------------------------------------------------------------- live
@dataclass
class LiveStats:
    read: int = 0       # frames the reader received
    graded: int = 0     # frames graded (and written/shown)
    dropped: int = 0    # frames replaced while the grader was busy
    seconds: float = 0.0
    error: str | None = None   # why the source stopped early, if it did

    @property
    def fps(self) -> float:
        return self.graded / self.seconds if self.seconds > 0 else 0.0


def run_live(source: str, pipeline: VideoPipeline, *, on_frame: Callable[[np.ndarray, Any], bool | None] | None = None,
             max_frames: int | None = None, duration: float | None = None, pace: bool | None = None,
             queue_size: int = 1, should_stop: Callable[[], bool] | None = None, timeout: float = 10.0,
             on_stats: Callable[[LiveStats], None] | None = None,
             on_start: Callable[[Any], None] | None = None) -> LiveStats:
    """Grade a live source (camera index, device, URL or file) as frames arrive.

    A reader thread decodes the source and hands frames over through a queue of
    ``queue_size``; when it is full, the oldest waiting frame is replaced by the new one
    and counted as dropped: the reader never waits for the grader. ``pace`` (default: on
    for files and URLs, off for cameras) makes the reader deliver frames at the source's
    own rate, as a camera would. Each graded RGB uint8 frame goes to
    ``on_frame(rgb, frame)`` (``frame``: the source :class:`kolors.io.video.Frame`);
    returning False stops. Stops at the end of the source, after ``max_frames`` graded
    frames or ``duration`` seconds, when ``should_stop()`` is true, or on Ctrl-C (the
    caller's KeyboardInterrupt propagates after the reader is stopped; the stats so far
    are in ``pipeline.live_stats``). ``on_start(reader)`` is called once the source is
    open (:class:`kolors.io.video.VideoReader`: its size, rate and time base)."""
    from ..io.video import VideoReader
    reader = VideoReader(source, timeout=timeout)
    if on_start is not None:
        on_start(reader)
    try:
        pipeline.warm_up((reader.width, reader.height))
    except BaseException:
        reader.close()
        raise
    if pace is None:
        pace = not (str(source).isdigit() or str(source).startswith("/dev/"))
    pipeline.reset()
    st = LiveStats()
    pipeline.live_stats = st
    q: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
    stop = threading.Event()
    lock = threading.Lock()

    def read() -> None:
        t0 = None
        try:
            for f in reader:
                if stop.is_set():
                    break
                if pace and f.time is not None:
                    now = time.perf_counter()
                    if t0 is None:
                        t0 = now - f.time
                    wait = t0 + f.time - now
                    if wait > 0:
                        stop.wait(min(wait, 1.0))
                with lock:
                    st.read += 1
                while True:
                    try:
                        q.put_nowait(f)
                        break
                    except queue.Full:
                        try:
                            q.get_nowait()
                            with lock:
                                st.dropped += 1
                        except queue.Empty:
                            pass
        except BaseException as e:  # noqa: BLE001 - reported in the stats
            st.error = str(e)
        finally:
            q_put_end(q)

    def q_put_end(qq: queue.Queue) -> None:
        while not stop.is_set():  # the last frame waits to be graded, then the end mark
            try:
                qq.put(_END, timeout=0.1)
                return
            except queue.Full:
                continue

    th = threading.Thread(target=read, name="kolors-live-reader", daemon=True)
    t_start = time.perf_counter()
    th.start()
    try:
        while True:
            if should_stop is not None and should_stop():
                break
            if duration is not None and time.perf_counter() - t_start >= duration:
                break
            try:
                f = q.get(timeout=0.1)
            except queue.Empty:
                continue
            if f is _END:
                break
            out = pipeline.process_rgb(f.rgb)
            st.graded += 1
            if on_frame is not None and on_frame(out, f) is False:
                break
            if on_stats is not None:
                st.seconds = time.perf_counter() - t_start
                on_stats(st)
            if max_frames is not None and st.graded >= max_frames:
                break
    finally:
        stop.set()
        th.join(timeout=timeout)
        reader.close()
        st.seconds = time.perf_counter() - t_start
    return st
