"""Video files and streams through PyAV (FFmpeg's libraries): decoding, encoding, audio remux.

Frames travel as ``H×W×3`` **RGB** ``uint8`` numpy arrays of sRGB-encoded code values
(what ``VideoFrame.to_ndarray(format="rgb24")`` gives: FFmpeg's YUV→RGB conversion of
the stream), with their presentation timestamp ``pts`` in the source stream's
``time_base``. Nothing here knows torch or the engine.

* :func:`probe` — a :class:`VideoInfo` (size, rate, frame count, duration, audio) or one
  :class:`~kolors.errors.InputError` naming the file.
* :class:`VideoReader` — iterate :class:`Frame` s of the first video stream (multi-threaded
  decode); sources: files, ``http(s)://``/``rtsp://`` URLs, camera devices
  (``/dev/videoN`` or ``"0"`` through v4l2 on Linux, avfoundation on macOS, dshow on
  Windows).
* :class:`VideoWriter` — encode frames to a file written atomically (temporary name in the
  destination folder, renamed on :meth:`VideoWriter.close`; :meth:`VideoWriter.abort` or an
  exception leaves no file), keeping the source's timestamps and remuxing its audio streams
  packet for packet (not re-encoded).
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import InputError
from .atomic import atomic_path

__all__ = ["VideoInfo", "Frame", "probe", "open_source", "VideoReader", "VideoWriter", "is_stream_url",
           "VIDEO_SUFFIXES", "default_pix_fmt"]

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts", ".mts", ".nut")
_URL_SCHEMES = ("http://", "https://", "rtsp://", "rtsps://", "rtmp://", "udp://", "tcp://", "srt://")


def is_stream_url(source: str) -> bool:
    return str(source).lower().startswith(_URL_SCHEMES)


@dataclass
class VideoInfo:
    """What :func:`probe` finds in a video file (``frames``/``duration`` None when the
    container does not say)."""

    path: str
    width: int
    height: int
    fps: Fraction
    frames: int | None
    duration: float | None           # seconds
    codec: str
    pix_fmt: str | None
    time_base: Fraction
    audio: list[dict[str, Any]] = field(default_factory=list)  # codec, rate, channels per audio stream


@dataclass
class Frame:
    """One decoded frame: ``rgb`` H×W×3 uint8 RGB (sRGB-encoded), ``pts`` in
    ``time_base`` units (None when the stream has none), ``time`` in seconds, ``index``
    counts from 0 in decode order."""

    rgb: np.ndarray
    pts: int | None
    time_base: Fraction | None
    time: float | None
    index: int


def _av():
    try:
        import av  # noqa: PLC0415 - optional dependency, imported when video is used
    except ImportError as e:  # pragma: no cover - PyAV is a dependency
        raise InputError("video needs PyAV: pip install av") from e
    return av


def _camera(source: str) -> tuple[str, str | None]:
    """``"0"`` → the platform's camera device and its FFmpeg input format."""
    if sys.platform.startswith("linux"):
        return f"/dev/video{int(source)}", "v4l2"
    if sys.platform == "darwin":
        return source, "avfoundation"
    return f"video={source}", "dshow"


def open_source(source: str | os.PathLike, options: dict[str, str] | None = None, timeout: float = 10.0):
    """Open ``source`` (file, URL, or camera index such as ``"0"``) for reading; returns a
    PyAV input container holding a video stream. A missing, unreadable or video-less
    source raises :class:`InputError` naming it."""
    av = _av()
    src = os.fspath(source)
    fmt = None
    if src.isdigit():
        src, fmt = _camera(src)
    elif src.startswith("/dev/video") and sys.platform.startswith("linux"):
        fmt = "v4l2"
    elif not is_stream_url(src):
        p = Path(src)
        if not p.exists():
            raise InputError(f"{src}: no such file")
        if p.is_dir():
            raise InputError(f"{src}: is a folder, expected a video file")
        if p.stat().st_size == 0:
            raise InputError(f"{src}: empty file, not a video")
    opts = dict(options or {})
    if is_stream_url(src):
        opts.setdefault("rw_timeout", str(int(timeout * 1e6)))
        if src.lower().startswith("rtsp"):
            opts.setdefault("rtsp_transport", "tcp")
    try:
        c = av.open(src, mode="r", format=fmt, options=opts, timeout=timeout)
    except Exception as e:  # noqa: BLE001 - every FFmpeg failure becomes one clear message
        raise InputError(f"{os.fspath(source)}: cannot open as video ({_short(e)})") from None
    if not c.streams.video:
        c.close()
        raise InputError(f"{os.fspath(source)}: has no video stream")
    return c


def _short(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or " ".join(str(e).split()) or type(e).__name__
    return text.split(": '")[0] if len(text) > 200 else text


def probe(path: str | os.PathLike) -> VideoInfo:
    """Describe the first video stream and the audio streams of ``path``."""
    c = open_source(path)
    try:
        vs = c.streams.video[0]
        cc = vs.codec_context
        fps = vs.average_rate or vs.guessed_rate or Fraction(25)
        frames = int(vs.frames) if vs.frames else None
        dur = None
        if vs.duration is not None and vs.time_base is not None:
            dur = float(vs.duration * vs.time_base)
        elif c.duration is not None:
            dur = c.duration / 1e6
        audio = [{"codec": a.codec_context.name, "rate": a.rate, "channels": a.channels} for a in c.streams.audio]
        return VideoInfo(os.fspath(path), cc.width, cc.height, Fraction(fps), frames, dur, cc.name,
                         cc.format.name if cc.format else None, vs.time_base or Fraction(1, 90000), audio)
    finally:
        c.close()


class VideoReader:
    """Iterate the frames of the first video stream of ``source`` (see :func:`open_source`).

    ``threads``: decoder threads (0 = FFmpeg chooses; frame+slice threading). Frames come
    as :class:`Frame` (RGB uint8). A frame that fails to decode in the middle of a file is
    an :class:`InputError` naming the source; :meth:`close` (or ``with``) releases it."""

    def __init__(self, source: str | os.PathLike, threads: int = 0, options: dict[str, str] | None = None,
                 timeout: float = 10.0):
        self.source = os.fspath(source)
        self.container = open_source(source, options, timeout)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.stream.codec_context.thread_count = int(threads)
        cc = self.stream.codec_context
        self.width, self.height = cc.width, cc.height
        self.time_base = self.stream.time_base
        self.fps = Fraction(self.stream.average_rate or self.stream.guessed_rate or 25)

    def __iter__(self) -> Iterator[Frame]:
        n = 0
        try:
            for fr in self.container.decode(self.stream):
                rgb = fr.to_ndarray(format="rgb24")
                tb = fr.time_base or self.time_base
                t = float(fr.pts * tb) if fr.pts is not None and tb is not None else None
                yield Frame(rgb, fr.pts, tb, t, n)
                n += 1
        except InputError:
            raise
        except Exception as e:  # noqa: BLE001 - a corrupt stream becomes one clear message
            av = _av()
            if isinstance(e, (av.error.FFmpegError, ValueError)) and not isinstance(e, av.error.ExitError):
                raise InputError(f"{self.source}: cannot decode frame {n} ({_short(e)})") from None
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


#: the pixel format a codec writes by default: lossless RGB codecs keep RGB
_PIX_FMT = {"libx264rgb": "rgb24", "ffv1": "bgr0", "png": "rgb24", "qtrle": "rgb24", "utvideo": "gbrp",
            "rawvideo": "rgb24", "libx264": "yuv420p", "libx265": "yuv420p", "libvpx-vp9": "yuv420p",
            "mpeg4": "yuv420p", "libopenh264": "yuv420p", "libsvtav1": "yuv420p", "libaom-av1": "yuv420p",
            "h264_nvenc": "yuv420p", "hevc_nvenc": "yuv420p", "prores_ks": "yuv422p10le"}


#: containers that store negative timestamps (others shift every stream to start at 0)
_KEEP_TS = (".mkv", ".mp4", ".mov", ".m4v", ".webm")


def default_pix_fmt(codec: str) -> str:
    return _PIX_FMT.get(codec, "yuv420p")


class VideoWriter:
    """Encode RGB frames into ``path`` (container from its suffix), atomically.

    ``rate``: frame rate (Fraction); ``time_base``: the unit of the ``pts`` passed to
    :meth:`write` (give the source stream's to keep its timestamps exactly; default
    ``1/rate``, frames numbered). ``codec`` (default libx264), ``crf`` (x264/x265/VP9
    quality; ``0`` with ``libx264rgb`` or codec ``ffv1`` is lossless), ``pix_fmt`` (default
    per codec: yuv420p, or RGB for lossless RGB codecs), ``preset`` (x264/x265 speed),
    ``threads`` (0 = FFmpeg chooses). ``audio_from``: a file whose audio streams are copied
    packet for packet (their timestamps kept), interleaved with the video. ``protect``:
    the input file, never overwritten.

    Frames are written with :meth:`write`; :meth:`close` flushes the encoder, copies the
    remaining audio and renames the temporary file onto ``path``; :meth:`abort` (or an
    exception inside ``with``) removes it."""

    def __init__(self, path: str | os.PathLike, width: int, height: int, rate: Fraction | float,
                 time_base: Fraction | None = None, codec: str = "libx264", crf: float | None = 18,
                 pix_fmt: str | None = None, preset: str | None = None, threads: int = 0,
                 audio_from: str | os.PathLike | None = None, protect: str | os.PathLike | None = None,
                 options: dict[str, str] | None = None):
        av = _av()
        self.path = Path(os.fspath(path))
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise InputError(f"{self.path}: unknown video format {self.path.suffix or '(none)'}; "
                             f"use one of {', '.join(VIDEO_SUFFIXES)}")
        if width % 2 or height % 2:
            pix = pix_fmt or default_pix_fmt(codec)
            if pix.startswith(("yuv420", "nv12", "yuvj420")):
                raise InputError(f"{self.path}: {pix} needs an even frame size, got {width}×{height}")
        self._stack = contextlib.ExitStack()
        self._tmp = self._stack.enter_context(atomic_path(self.path, protect))
        self._done = False
        self.frames = 0
        try:
            # keep the source's timestamps as they are: a negative start (AAC priming
            # samples before the first frame) is not shifted onto every stream
            copts = {"avoid_negative_ts": "disabled"} if self.path.suffix.lower() in _KEEP_TS else {}
            self.container = av.open(self._tmp, mode="w", container_options=copts)
            rate = Fraction(rate).limit_denominator(1_000_000)
            try:
                self.stream = self.container.add_stream(codec, rate=rate)
            except Exception as e:  # noqa: BLE001
                raise InputError(f"{self.path}: cannot encode with codec {codec!r} ({_short(e)})") from None
            self.stream.width, self.stream.height = int(width), int(height)
            self.stream.pix_fmt = pix_fmt or default_pix_fmt(codec)
            self.time_base = Fraction(time_base) if time_base else 1 / rate
            self.stream.time_base = self.time_base
            self.stream.codec_context.time_base = self.time_base
            self.stream.thread_type = "AUTO"
            self.stream.codec_context.thread_count = int(threads)
            opts = dict(options or {})
            if crf is not None and codec in ("libx264", "libx264rgb", "libx265", "libvpx-vp9", "libsvtav1",
                                             "libaom-av1"):
                opts.setdefault("crf", f"{crf:g}")
                if codec == "libvpx-vp9":
                    opts.setdefault("b", "0")
            if preset and codec in ("libx264", "libx264rgb", "libx265"):
                opts.setdefault("preset", preset)
            if codec == "ffv1":
                opts.setdefault("level", "3")
                opts.setdefault("slices", "4")
            self.stream.options = opts
            self._audio_in = None
            self._audio_map: dict[int, Any] = {}
            self._audio_iter: Iterator[Any] | None = None
            self._pending = None
            if audio_from is not None:
                self._open_audio(audio_from)
            try:  # opens the encoder and writes the header now: bad settings fail before any grading
                self.container.start_encoding()
            except Exception as e:  # noqa: BLE001
                raise InputError(f"{self.path}: cannot encode {codec} {self.stream.pix_fmt} {width}×{height} "
                                 f"({_short(e)})") from None
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------------ audio
    def _open_audio(self, src: str | os.PathLike) -> None:
        av = _av()
        try:
            inp = av.open(os.fspath(src), mode="r")
        except Exception as e:  # noqa: BLE001
            raise InputError(f"{os.fspath(src)}: cannot read its audio ({_short(e)})") from None
        if not inp.streams.audio:
            inp.close()
            return
        self._audio_in = inp
        for a in inp.streams.audio:
            try:
                self._audio_map[a.index] = self.container.add_stream_from_template(a)
            except Exception as e:  # noqa: BLE001
                raise InputError(f"{self.path}: the {self.path.suffix} container cannot hold the source's "
                                 f"{a.codec_context.name} audio ({_short(e)}); use .mkv") from None
        self._audio_iter = iter(inp.demux(*inp.streams.audio))

    def _mux_audio_until(self, t: float | None) -> None:
        """Copy source audio packets with a timestamp up to ``t`` seconds (all when None)."""
        if self._audio_iter is None:
            return
        while True:
            pkt = self._pending
            self._pending = None
            if pkt is None:
                pkt = next(self._audio_iter, None)
                if pkt is None:
                    self._audio_iter = None
                    return
            if pkt.dts is None and pkt.pts is None:  # demuxer flush packet
                continue
            ts = pkt.dts if pkt.dts is not None else pkt.pts
            if t is not None and float(ts * pkt.time_base) > t:
                self._pending = pkt
                return
            pkt.stream = self._audio_map[pkt.stream_index]
            self.container.mux(pkt)

    # ------------------------------------------------------------------ video
    def write(self, rgb: np.ndarray, pts: int | None = None) -> None:
        """Encode one H×W×3 uint8 RGB frame at ``pts`` (in :attr:`time_base`; default: the
        frame number)."""
        av = _av()
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an H×W×3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
        if rgb.shape[:2] != (self.stream.height, self.stream.width):
            raise ValueError(f"frame is {rgb.shape[1]}×{rgb.shape[0]}, the video {self.stream.width}×"
                             f"{self.stream.height}")
        fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        fr.pts = self.frames if pts is None else int(pts)
        fr.time_base = self.time_base
        self._mux(self.stream.encode(fr))
        self.frames += 1

    def _mux(self, packets: list[Any]) -> None:
        for pkt in packets:
            if self._audio_iter is not None and pkt.dts is not None:
                self._mux_audio_until(float(pkt.dts * pkt.time_base))
            self.container.mux(pkt)

    def close(self) -> Path:
        """Flush, copy the remaining audio, and install the file at :attr:`path`."""
        if self._done:
            return self.path
        try:
            self._mux(self.stream.encode(None))
            self._mux_audio_until(None)
            self.container.close()
            if self._audio_in is not None:
                self._audio_in.close()
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._stack.close()  # renames the temporary file onto the destination
        return self.path

    def abort(self) -> None:
        """Stop and leave no file at the destination (nor a temporary one)."""
        if self._done:
            return
        self._done = True
        for c in (getattr(self, "container", None), getattr(self, "_audio_in", None)):
            if c is not None:
                with contextlib.suppress(Exception):
                    c.close()
        with contextlib.suppress(BaseException):
            self._stack.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)  # removes the temporary file

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
