"""``Enhancer``: the seed's Python API, used by the CLI and the GUI alike."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from ..core import registry
from ..core.lru import LRU
from ..core.pipeline import Plan
from ..io import luts as _luts  # noqa: F401 - registers the .cube reader for the lut_file operation
from . import tasks as T
from .device import describe_device, resolve_device
from .encode import encode_raw_neutral, lookup, output_dtype, to_output_space, u16_to_u8_table
from .framing import frame_array
from .lens import lens_info
from .lens import prepare as prepare_lens
from .render import RenderOptions, render_array, thumb_linear

log = logging.getLogger("kolors")

__all__ = ["Enhancer", "MODEL_TYPES"]

MODEL_TYPES = ("general", "lite", "classic")
_MEM_KEYS = {"tile_size", "grad_checkpoint"}


class Enhancer:
    """Colour enhancement on photos, the same engine as the app and the ``kolors`` command.

    Parameters
    ----------
    model_type: ``'general'``, ``'lite'`` (the learned enhancer) or ``'classic'``
        (classical methods: gray-world, auto-levels, local tone mapping, Reinhard).
    device: ``'auto'`` (CUDA when present, else CPU), ``'cpu'``, ``'cuda'``, ``'cuda:N'``.
    half_precision: float16 rendering on CUDA (ignored on the CPU).
    mem_optim: ``{'tile_size': 512, 'grad_checkpoint': False}`` — tile size of
        full-resolution renders; gradient checkpointing for training.
    """

    def __init__(self, model_type: str = "general", device: str = "auto", half_precision: bool = False,
                 mem_optim: Mapping[str, Any] | None = None):
        if model_type not in MODEL_TYPES:
            raise ValueError(f"unknown model_type {model_type!r}; valid: {', '.join(MODEL_TYPES)}")
        mem = {"tile_size": 512, "grad_checkpoint": False}
        for k, v in (mem_optim or {}).items():
            if k not in _MEM_KEYS:
                raise ValueError(f"unknown mem_optim key {k!r}; valid: {', '.join(sorted(_MEM_KEYS))}")
            mem[k] = v
        if not isinstance(mem["tile_size"], int) or not 64 <= mem["tile_size"] <= 16384:
            raise ValueError(f"mem_optim['tile_size'] must be an integer in [64, 16384], got {mem['tile_size']!r}")
        self.model_type = model_type
        self.device = resolve_device(device)
        self.half_precision = bool(half_precision) and self.device.type == "cuda"
        self.mem_optim = mem
        self._preset: str | None = None
        self._preset_settings: dict[str, Any] = {}
        self._params: dict[str, Any] = {}
        self._plans: LRU[str, Plan] = LRU(16)
        self.model = None
        self.effective_model_type = "classic"
        if model_type != "classic":
            self._load_model(model_type)

    # ------------------------------------------------------------------ model
    def _load_model(self, model_type: str) -> None:
        from ..model import load_shipped, shipped_path
        if not shipped_path(model_type).is_file():
            warnings.warn(f"model_type={model_type!r}: no learned weights at {shipped_path(model_type)}; "
                          "tasks run with the classical methods (model_type='classic')", RuntimeWarning, stacklevel=3)
            return
        self.model = load_shipped(model_type, self.device)
        self.effective_model_type = model_type

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    # ------------------------------------------------------------------ listing
    @staticmethod
    def tasks() -> list[str]:
        """Names of the eight tasks."""
        return T.task_names()

    @staticmethod
    def presets() -> list[str]:
        """Names of the shipped and user presets."""
        from ..io.presets import list_presets
        return list_presets()

    @staticmethod
    def parameters() -> dict[str, Any]:
        """Visible parameters by name (their declarations: range, default, label)."""
        return registry.params()

    # ------------------------------------------------------------------ state
    def set_preset(self, name: str | None) -> "Enhancer":
        """Use preset ``name`` as the base of every following call (None clears it)."""
        if name is None:
            self._preset, self._preset_settings = None, {}
        else:
            from ..io.presets import get_preset
            self._preset_settings = dict(get_preset(name).settings)
            self._preset = name
        return self

    def set_params(self, **params: Any) -> "Enhancer":
        """Set parameters for every following call (validated; ``ValueError`` names the
        valid parameters or range)."""
        self._params.update(registry.validate_settings(params, allow_hidden=False))
        return self

    def reset(self) -> "Enhancer":
        self._preset, self._preset_settings, self._params = None, {}, {}
        return self

    @property
    def settings(self) -> dict[str, Any]:
        """The current preset + parameters (what a call without arguments renders)."""
        return {**self._preset_settings, **self._params}

    # ------------------------------------------------------------------ core
    def resolve_settings(self, linear: torch.Tensor | None, task: str | None = None, intensity: float = 1.0,
                         reference: torch.Tensor | None = None, preset: str | None = None,
                         params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Merge preset < task result < explicit parameters into one validated dict.
        ``linear`` is the (1,3,H,W) linear photo the task looks at."""
        if isinstance(intensity, bool) or not isinstance(intensity, (int, float)) or not 0 <= intensity <= 1:
            raise ValueError(f"intensity must be a number within [0, 1], got {intensity!r}")
        base = dict(self._preset_settings)
        if preset is not None:
            from ..io.presets import get_preset
            base = dict(get_preset(preset).settings)
        base.update(self._params)
        if task is not None:
            T.check_task(task)
            if task == "style_transfer" and reference is None:
                raise ValueError("task 'style_transfer' needs a reference image (reference=...)")
            if linear is None:
                raise ValueError("a task needs the image to analyse")
            base.update(self.analyse(linear, task, intensity, reference))
        if params:
            base.update(registry.validate_settings(params, allow_hidden=False))
        return base

    def analyse(self, linear: torch.Tensor, task: str, intensity: float = 1.0,
                reference: torch.Tensor | None = None) -> dict[str, Any]:
        """The settings a task chooses for this photo (the values "Auto" puts on sliders).
        With a learned model (``general``/``lite``) the learned tasks come from it (controls
        plus the learned residual); ``industrial`` and ``model_type='classic'`` use the
        classical methods."""
        if self.model is not None and self.model.handles(task):
            s = self.model.predict(linear.to(self.device), task,
                                   reference.to(self.device) if reference is not None else None)
            return registry.validate_settings(T.blend(s, intensity))
        return T.analyse(task, linear, reference, intensity)

    def plan(self, settings: Mapping[str, Any], source_max: float = 1.0,
             thumb: torch.Tensor | Callable[[], torch.Tensor] | None = None) -> Plan:
        """A compiled (baked) plan for ``settings``, cached (LRU of 16).

        ``thumb``: the whole photo's linear thumbnail ((1,3,h,w), or a function that makes
        it), from which operations that need photo-level statistics (dehaze's airlight)
        compute them (:func:`kolors.core.registry.fill_photo_stats`); without one they keep
        the values in ``settings``."""
        if thumb is not None and registry.needs_photo_stats(settings):
            settings = registry.fill_photo_stats(settings, thumb() if callable(thumb) else thumb)
        return self._plans.get_or_create(registry.settings_key(settings, round(source_max, 4)),
                                         lambda: Plan(dict(settings), source_max=source_max))

    def render(self, rgb: np.ndarray, settings: Mapping[str, Any], *, out_dtype: Any = None, linear: bool = False,
               scale: float = 1.0, full_size: tuple[int, int] | None = None, offset: tuple[int, int] = (0, 0),
               on_progress: Callable[[float], None] | None = None,
               should_cancel: Callable[[], bool] | None = None,
               on_message: Callable[[str], None] | None = None,
               thumb: torch.Tensor | None = None) -> np.ndarray:
        """Render an RGB ``H×W×3`` array (see :mod:`kolors.engine.render`) with ``settings``,
        already framed (the framing parameters are not applied here: :meth:`export_graded`,
        :meth:`enhance` and the desktop app frame the photo first). ``thumb``: the photo's linear thumbnail for photo-level statistics (default: made
        from ``rgb``, which is then the whole photo)."""
        src_max = float(rgb.max()) if (linear or rgb.dtype == np.float32) and rgb.size else 1.0
        plan = self.plan(settings, max(1.0, src_max),
                         thumb if thumb is not None else (lambda: thumb_linear(rgb, linear=linear)))
        opts = RenderOptions(device=self.device, tile_size=self.mem_optim["tile_size"],
                             half_precision=self.half_precision, scale=scale, full_size=full_size, offset=offset,
                             linear=linear, on_progress=on_progress, should_cancel=should_cancel,
                             on_message=on_message)
        return render_array(rgb, plan, out_dtype, opts)

    # ------------------------------------------------------------------ seed API
    def enhance(self, image: np.ndarray, task: str | None = None, intensity: float = 1.0,
                reference: np.ndarray | str | Path | None = None, preset: str | None = None,
                **params: Any) -> np.ndarray:
        """Enhance an OpenCV-style ``H×W×3`` **BGR** array (uint8, uint16, or float32
        sRGB-encoded with 1.0 = white) and return one of the same dtype and shape.

        ``task``: one of :meth:`tasks` (``style_transfer`` needs ``reference``: a BGR
        array or an image path); ``intensity`` in [0, 1] blends toward the original;
        ``preset``: a preset name; ``params``: any visible parameter (``chroma_boost=1.3``,
        ``color_space='LAB'``, ``region_boost={'roi': [(x1, y1, x2, y2)], 'factor': 2}``)."""
        rgb = _check_image(image)[..., ::-1]
        ref_lin = None
        if reference is not None:
            ref_lin = thumb_linear(self._load_reference(reference))
        # a crop/turn/straighten or manual lens correction in the preset or parameters: the
        # output is framed (an array carries no EXIF, so no lens profile)
        W0, H0 = rgb.shape[1], rgb.shape[0]
        _, fr, _ = prepare_lens(self.resolve_settings(None, None, 1.0, None, preset, params), lens_info(None), W0, H0)
        if fr is not None:
            rgb = frame_array(np.ascontiguousarray(rgb), fr)
        lin = thumb_linear(rgb) if task is not None else None
        settings = self.resolve_settings(lin, task, intensity, ref_lin, preset, params)
        settings = prepare_lens(settings, lens_info(None), W0, H0)[0]      # the manual vignetting gains
        out = self.render(np.ascontiguousarray(rgb), settings)
        return np.ascontiguousarray(out[..., ::-1])

    @staticmethod
    def _load_reference(reference: np.ndarray | str | Path) -> np.ndarray:
        if isinstance(reference, (str, Path)):
            from ..io.images import read_image
            return read_image(reference).data
        return np.ascontiguousarray(_check_image(reference, "reference")[..., ::-1])

    def enhance_file(self, src: str | Path, dst: str | Path, task: str | None = None, intensity: float = 1.0,
                     reference: str | Path | None = None, preset: str | None = None, *, quality: int = 95,
                     bits: int | None = None, on_progress: Callable[[float], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None, raw_options: Any = None,
                     output_sharpening: float = 0.0, profile: str = "srgb", **params: Any) -> Path:
        """Read ``src``, grade it, write ``dst`` atomically (format from the suffix; ICC
        sRGB and the source's EXIF carried over). The source is never written.

        Camera RAW sources (by suffix or content, see :func:`kolors.io.raw.is_raw`) are developed at
        full resolution with ``raw_options`` (:class:`kolors.io.raw.RawOptions` or its dict;
        default: as-shot white balance, blended highlights, AHD), graded from linear light
        (:meth:`render_raw`) and written with an EXIF block made from the camera's metadata
        (make, model, ISO, exposure, aperture, focal length, lens, time); their default
        output precision is 16 bits (8 for JPEG/WebP). ``reference`` may be a RAW too."""
        from ..io.images import read_image
        from ..io.raw import is_raw, read_raw
        ref_lin = _reference_thumb(reference) if reference is not None else None
        raw = is_raw(src)
        source: Any = read_raw(src, raw_options) if raw else read_image(src)
        lin = None
        if task:
            # the task looks at the photo as the preset and parameters frame it (the crop)
            _, fr, _ = prepare_lens(self.resolve_settings(None, None, 1.0, None, preset, params),
                                    lens_info(source.exif), source.width, source.height)
            if fr is not None:
                lin = thumb_linear(frame_array(source.data, fr), linear=raw)
            else:
                lin = _raw_thumb(source) if raw else thumb_linear(source.data)
        settings = self.resolve_settings(lin, task, intensity, ref_lin, preset, params)
        if raw:      # the photo's own starting values (a RAW's noise reduction from its ISO) go under the edit
            from .edit import photo_defaults
            settings = {**photo_defaults(source.metadata), **settings}
        return self.export_graded(src, dst, settings, quality=quality, bits=bits, on_progress=on_progress,
                                  should_cancel=should_cancel, source=source, output_sharpening=output_sharpening,
                                  profile=profile)

    def export_graded(self, src: str | Path, dst: str | Path, settings: Mapping[str, Any], *, quality: int = 95,
                      bits: int | None = None, long_side: int | None = None, raw_options: Any = None,
                      source: Any = None, on_progress: Callable[[float], None] | None = None,
                      should_cancel: Callable[[], bool] | None = None, thumb: torch.Tensor | None = None,
                      output_sharpening: float = 0.0, profile: str = "srgb") -> Path:
        """Render ``src`` with resolved ``settings`` (e.g. a sidecar's) and write ``dst``
        atomically: what :meth:`enhance_file` does once it has chosen the settings, and what
        the desktop app's export runs. ``long_side`` scales the output down (area
        averaging; spatial operations scale their radii with it); the framing in ``settings``
        (crop, straighten, turns, flip) is applied first. ``source``: the already
        decoded :class:`~kolors.io.images.Photo` or RAW, else ``src`` is read. ``thumb``:
        the photo's linear thumbnail for photo-level statistics (the desktop app passes the
        one its previews use, so the export matches them), else made from the source.
        ``output_sharpening`` (0–2): sharpening for the size written (the ``output_sharpen``
        operation, radius in output pixels), 0 = none. An alpha channel of the source
        (``Photo.alpha``) is not graded: it is framed and scaled with the photo and written
        at the output's bit depth to PNG, TIFF and WebP; JPEG has none, so it is dropped
        there with one warning naming the file. ``profile``: the colour space written (``srgb``,
        ``display-p3``, ``adobe-rgb``, ``rec2020``, ``prophoto``), its ICC profile embedded; a
        wide-gamut space keeps the colours of the edit that sRGB would clip (the render is
        made in float and re-encoded, :func:`~kolors.engine.encode.to_output_space`)."""
        import cv2

        from ..core.colorimetry import check_space
        from ..io.images.icc import output_icc
        check_space(profile)
        if profile != "srgb" and Path(dst).suffix.lower() == ".jxl":
            raise ValueError(f"{dst}: JPEG XL is written in sRGB only (pillow-jxl-plugin embeds no other profile); "
                             "use .avif, .png or .tif for another colour space")

        from ..io.formats import ALPHA_FORMATS, WRITE_SUFFIXES
        from ..io.images import read_image, write_image
        from ..io.raw import is_raw, read_raw
        if source is None:
            raw = is_raw(src)
            source = read_raw(src, raw_options) if raw else read_image(src)
        else:
            raw = hasattr(source, "linear16")   # a developed RAW (linear), not a decoded image
        default_dtype = np.dtype(np.uint16) if raw else source.data.dtype
        final_dtype = output_dtype(default_dtype, bits, Path(dst))
        # another colour space: the render in float (sRGB primaries, unclipped), re-encoded after
        out_dtype = final_dtype if profile == "srgb" else np.dtype(np.float32)
        H, W = source.height, source.width
        data = source.data
        alpha = getattr(source, "alpha", None)   # not graded: framed, scaled and written with the photo
        if output_sharpening:
            settings = {**settings, **registry.validate_settings({"output_sharpening": output_sharpening})}
        # lens distortion, crop, straighten, turns, flip: one resampling, first of all
        settings, fr, status = prepare_lens(settings, lens_info(source.exif), W, H)
        if status.startswith("no lens profile") or "unknown" in status:
            log.warning("%s: %s", Path(src).name, status)
        if fr is not None:
            data = frame_array(data, fr)
            alpha = frame_array(alpha, fr) if alpha is not None else None
            H, W = data.shape[:2]
        if long_side is not None and long_side < max(H, W):
            if long_side < 1:
                raise ValueError(f"long side must be at least 1 pixel, got {long_side}")
            s = long_side / max(H, W)
            w, h = max(1, round(W * s)), max(1, round(H * s))
            small = cv2.resize(data, (w, h), interpolation=cv2.INTER_AREA)
            if alpha is not None:
                alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
            s = w / W if W >= H else h / H
            out = self.render(np.ascontiguousarray(small), settings, out_dtype=out_dtype, linear=raw, scale=s,
                              full_size=(H, W), on_progress=on_progress, should_cancel=should_cancel,
                              thumb=thumb)
        elif raw and fr is None:
            out = self.render_raw(source, settings, out_dtype=out_dtype, on_progress=on_progress,
                                  should_cancel=should_cancel, thumb=thumb)
        else:
            out = self.render(data, settings, out_dtype=out_dtype, linear=raw, on_progress=on_progress,
                              should_cancel=should_cancel, thumb=thumb)
        if should_cancel is not None and should_cancel():
            from ..errors import Cancelled
            raise Cancelled("export cancelled")
        if alpha is not None and WRITE_SUFFIXES.get(Path(dst).suffix.lower(), "PNG") not in ALPHA_FORMATS:
            log.warning("%s: its transparency (alpha channel) is dropped: %s has none; export PNG, TIFF or "
                        "WebP to keep it", src, Path(dst).name)
            alpha = None
        if profile != "srgb":
            out = to_output_space(out, profile, final_dtype)
        return Path(write_image(dst, out, quality=quality, exif=source.exif, alpha=alpha, protect=src,
                                icc=output_icc(profile)))

    def render_raw(self, raw: Any, settings: Mapping[str, Any], *, out_dtype: Any = np.uint16,
                   on_progress: Callable[[float], None] | None = None,
                   should_cancel: Callable[[], bool] | None = None,
                   on_message: Callable[[str], None] | None = None,
                   thumb: torch.Tensor | None = None) -> np.ndarray:
        """Render a developed RAW (:class:`kolors.io.raw.RawPhoto`: linear, camera white =
        1, values up to ``raw.headroom``) with ``settings`` into an ``H×W×3`` sRGB-encoded
        array of ``out_dtype``.

        Colour-only grades (no spatial operation) to 8/16-bit output skip the float image:
        the neutral render is one 65536-entry table from LibRaw's 16-bit linear codes, and
        any other colour-only plan runs as the plan's own baked LUT (its shaper covers
        ``[0, headroom]``, so highlights above white reach the operations) in the integer
        LUT kernel, reading the linear codes and writing sRGB codes (``linear_scale``). Everything else renders ``raw.data`` tile by tile with
        :meth:`render` (``linear=True``)."""
        from ..core.lut import apply_lut_u8
        from ..errors import Cancelled
        out_dtype = np.dtype(out_dtype)
        plan = self.plan(settings, max(1.0, float(raw.headroom)),
                         thumb if thumb is not None else (lambda: thumb_linear(raw.data, linear=True)))
        if out_dtype in (np.uint8, np.uint16) and plan.pointwise_only:
            if should_cancel is not None and should_cancel():
                raise Cancelled()
            src = raw.linear16
            if plan.is_identity:  # the table of kolors.engine.encode: the same as the torch-free export
                out = encode_raw_neutral(raw, out_dtype)
            else:  # the plan's stage table reads LibRaw's linear codes (code × scale = value)
                enc = apply_lut_u8(src, plan.stages[0].lut, linear_scale=float(raw.scale) * 65535.0)
                out = enc if out_dtype == np.uint16 else lookup(enc, u16_to_u8_table())
            if on_progress is not None:
                on_progress(1.0)
            return out
        return self.render(raw.data, settings, out_dtype=out_dtype, linear=True, on_progress=on_progress,
                           should_cancel=should_cancel, on_message=on_message, thumb=thumb)

    def create_video_pipeline(self, input_res: tuple[int, int] | None = (1920, 1080),
                              output_res: tuple[int, int] | None = (1280, 720), buffer_size: int = 30):
        """A :class:`kolors.engine.video.VideoPipeline` grading frames with this enhancer
        (``output_res=None`` keeps the input size)."""
        from .video import VideoPipeline
        return VideoPipeline(self, input_res, output_res, buffer_size)

    def export_lut(self, path: str | Path, settings: Mapping[str, Any] | None = None, size: int = 33,
                   title: str = "Kolors") -> Path:
        """Bake ``settings`` (default: the current ones) into a .cube from sRGB-encoded
        input to sRGB-encoded output (what ffmpeg, Resolve, Premiere and OBS expect)."""
        from ..io.luts import write_cube
        if not 2 <= size <= 129:
            raise ValueError(f"LUT size must be within [2, 129], got {size}")
        settings = self.settings if settings is None else settings
        lut = self.plan(settings).encoded_lut(size)
        lut.title = title
        write_cube(path, lut)
        return Path(path)

    def export_torchscript(self, path: str | Path) -> Path:
        """The loaded learned model as TorchScript (see :func:`kolors.model.export.export`)."""
        return self._export_model("torchscript", path)

    def export_onnx(self, path: str | Path) -> Path:
        """The loaded learned model as ONNX (see :func:`kolors.model.export.export`)."""
        return self._export_model("onnx", path)

    def _export_model(self, fmt: str, path: str | Path) -> Path:
        if self.model_type == "classic" or self.model is None:
            raise ValueError(f"no learned model to export (model_type={self.model_type!r}, "
                             f"{'classical methods' if self.model_type == 'classic' else 'no weights loaded'})")
        from ..model.export import export
        return export(fmt, path, model_type=self.model.name, weights=self.model.source)


def _reference_thumb(reference: str | Path) -> torch.Tensor:
    """Linear thumbnail of a reference photo file (a RAW one is developed at half size)."""
    from ..io.images import read_image
    from ..io.raw import is_raw, read_raw
    if is_raw(reference):
        return _raw_thumb(read_raw(reference, mode="half"))
    return thumb_linear(read_image(reference).data)


def _raw_thumb(raw: Any, size: int = 384) -> torch.Tensor:
    """A (1,3,h,w) linear thumbnail of a RawPhoto, from its 16-bit codes (no full float copy)."""
    h, w = raw.linear16.shape[:2]
    step = max(1, int(max(h, w) / size) // 2)
    small = raw.linear16[::step, ::step].astype(np.float32) * np.float32(raw.scale)
    return thumb_linear(small, size, linear=True)


def _check_image(image: Any, what: str = "image") -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{what} must be a numpy H×W×3 array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{what} must be H×W×3 (BGR), got shape {image.shape}")
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ValueError(f"{what} dtype must be uint8, uint16 or float32, got {image.dtype}")
    if image.dtype == np.float32 and not np.isfinite(image).all():
        raise ValueError(f"{what} contains NaN or infinite values")
    return image
