"""``kolors video`` and ``kolors live``: grading video files and live streams.

    kolors video IN -o OUT [--task T] [--preset P] [--set name=value ...] [--temporal-smooth N]
                 [--frame-batch N] [--codec C] [--crf Q] [--pix-fmt F] [--size WxH] [--no-audio]
    kolors live --source 0|FILE|rtsp://...|http://... [--preview] [-o OUT] [--max-frames N]
                [--duration S] [same grading options]

``video`` keeps every frame with its timestamp, copies the audio streams packet for packet,
shows a progress bar with the frame rate, and writes the output atomically (Ctrl-C or an
error leaves no file). ``live`` grades frames as they arrive; when grading is slower than
the source, frames are dropped (never blocking the reader) and counted; Ctrl-C stops it
cleanly and keeps what was recorded.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .cli_common import CliError, check_output, engine_flags, parse_sets, task_flags

__all__ = ["add_video_commands", "VIDEO_HANDLERS"]


def _video_grading_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("grading")
    task_flags(g, "a task (see `kolors enhance --help`), analysed on every frame",
               "set a parameter (see `kolors params`); temporal_smooth=N is accepted too")
    g.add_argument("--temporal-smooth", type=float, default=None, metavar="N",
                   help="0-5: smooth the task's parameters across frames, reset at scene cuts (default 0 "
                        "with no task, 2 with a task)")
    g.add_argument("--frame-batch", type=int, default=8, metavar="N",
                   help="frames per forward pass of the learned model (default 8)")
    g.add_argument("--no-jit", action="store_true",
                   help="apply learned grades with the photo engine (torch) instead of the compiled kernel")
    engine_flags(g)
    g.add_argument("--size", metavar="WxH", help="output frame size, e.g. 1280x720 (default: as the source)")


def _encode_args(p: argparse.ArgumentParser, default_codec: str = "libx264") -> None:
    o = p.add_argument_group("encoding")
    o.add_argument("--codec", default=default_codec,
                   help=f"video codec (default {default_codec}; lossless: ffv1, or libx264rgb with --crf 0)")
    o.add_argument("--crf", type=float, default=18, help="quality for x264/x265/VP9 (default 18; 0 = lossless)")
    o.add_argument("--pix-fmt", help="pixel format (default yuv420p, RGB for ffv1/libx264rgb)")
    o.add_argument("--encoder-preset", help="x264/x265 speed preset, e.g. veryfast")
    o.add_argument("--threads", type=int, default=0, help="decoder/encoder threads (default 0: FFmpeg chooses)")


def add_video_commands(sub: Any) -> None:
    v = sub.add_parser("video", help="grade a video file (audio kept, frames and timestamps preserved)")
    v.add_argument("input")
    v.add_argument("-o", "--output", required=True, help="output video (.mp4, .mkv, .mov, ...)")
    v.add_argument("--no-audio", action="store_true", help="drop the audio streams")
    _video_grading_args(v)
    _encode_args(v)

    lv = sub.add_parser("live", help="grade a camera or network stream live")
    lv.add_argument("--source", required=True, help="camera index (0), device, video file, or "
                                                    "rtsp:// / http(s):// stream")
    lv.add_argument("--preview", action="store_true", help="show the graded frames in a window (ffplay)")
    lv.add_argument("-o", "--output", help="also record the graded frames to this file")
    lv.add_argument("--max-frames", type=int, help="stop after this many graded frames")
    lv.add_argument("--duration", type=float, help="stop after this many seconds")
    lv.add_argument("--no-pace", action="store_true",
                    help="read a file or URL as fast as possible (default: at its own frame rate, as a camera)")
    lv.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a network source")
    _video_grading_args(lv)
    _encode_args(lv)


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise CliError(f"--size expects WxH, e.g. 1280x720, got {text!r}") from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise CliError(f"--size must be within 16..16384 pixels a side, got {text!r}")
    return w, h


def _pipeline(args: argparse.Namespace):
    """An Enhancer + VideoPipeline from the grading flags."""
    sets = list(args.set or [])
    smooth = args.temporal_smooth
    rest = []
    for item in sets:
        if item.split("=", 1)[0].strip() == "temporal_smooth":
            try:
                smooth = float(item.split("=", 1)[1])
            except (IndexError, ValueError):
                raise CliError(f"temporal_smooth expects a number in [0, 5], got {item!r}") from None
        else:
            rest.append(item)
    params = parse_sets(rest, args.masks)
    if smooth is None:
        smooth = 2.0 if args.task else 0.0
    if not 0 <= smooth <= 5:
        raise CliError(f"--temporal-smooth must be within [0, 5], got {smooth:g}")
    if not 1 <= args.frame_batch <= 256:
        raise CliError(f"--frame-batch must be within 1..256, got {args.frame_batch}")
    from .engine.enhancer import Enhancer
    enh = Enhancer(model_type=args.model, device=args.device)
    pipe = enh.create_video_pipeline(input_res=None, output_res=_size(args.size))
    ref = None
    if args.reference:
        if not Path(args.reference).exists():
            raise CliError(f"{args.reference}: no such file")
        ref = args.reference                     # read by the pipeline, as Enhancer.enhance does
    pipe.set_params(frame_batch=args.frame_batch, use_jit=not args.no_jit, temporal_smooth=smooth,
                    task=args.task, intensity=args.intensity, preset=args.preset, reference=ref, **params)
    return enh, pipe


def _check_video_output(out: str, inp: str | None) -> Path:
    from .io.video import VIDEO_SUFFIXES
    return check_output(inp, out, VIDEO_SUFFIXES, "video")


def cmd_video(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .engine.video import transcode
    from .io.video import probe
    inp = Path(args.input)
    if not inp.exists():
        raise CliError(f"{args.input}: no such file")
    out = _check_video_output(args.output, args.input)
    info = probe(inp)  # a corrupt or video-less file fails here, before the model loads
    enh, pipe = _pipeline(args)
    bar = tqdm(total=info.frames, desc="kolors video", unit="frame", file=sys.stderr, disable=None,
               dynamic_ncols=True)

    def progress(done: int, total: int | None) -> None:
        bar.update(done - bar.n)

    try:
        st = transcode(inp, out, pipe, codec=args.codec, crf=args.crf, pix_fmt=args.pix_fmt,
                       preset=args.encoder_preset, threads=args.threads, keep_audio=not args.no_audio,
                       on_progress=progress)
    finally:
        bar.close()
    audio = 0 if args.no_audio else len(info.audio)
    print(f"{st.frames} frames graded into {out} in {st.seconds:.1f} s ({st.fps:.1f} fps); "
          f"{audio} audio stream{'s' if audio != 1 else ''} copied; "
          f"{max(0, len(st.cuts) - 1)} scene cut{'s' if len(st.cuts) != 2 else ''}; device {enh.device_name}",
          file=sys.stderr)
    return 0


class _Preview:
    """Graded frames to an ffplay window through a pipe (no Qt outside the gui layer)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.closed = False

    @staticmethod
    def available() -> str | None:
        """Why there can be no preview, or None."""
        if shutil.which("ffplay") is None:
            return "ffplay not found"
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no display"
        return None

    def show(self, rgb: Any, rate: float) -> bool:
        if self.closed:
            return False
        if self.proc is None:
            h, w = rgb.shape[:2]
            self.proc = subprocess.Popen(
                ["ffplay", "-loglevel", "error", "-window_title", "kolors live", "-f", "rawvideo",
                 "-pixel_format", "rgb24", "-video_size", f"{w}x{h}", "-framerate", f"{rate:g}", "-i", "-"],
                stdin=subprocess.PIPE)
        try:
            self.proc.stdin.write(rgb.tobytes())  # type: ignore[union-attr]
            return True
        except (BrokenPipeError, OSError):  # the window was closed
            self.closed = True
            return False

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.terminate()


def cmd_live(args: argparse.Namespace) -> int:
    from fractions import Fraction

    from .engine.video import run_live
    from .io.video import VideoWriter, is_stream_url
    src = args.source
    if not (src.isdigit() or src.startswith("/dev/") or is_stream_url(src)) and not Path(src).exists():
        raise CliError(f"{src}: no such file")
    out = _check_video_output(args.output, None if src.isdigit() or is_stream_url(src) else src) \
        if args.output else None
    if args.max_frames is not None and args.max_frames < 1:
        raise CliError(f"--max-frames must be at least 1, got {args.max_frames}")
    preview = None
    if args.preview:
        why = _Preview.available()
        if why:
            print(f"kolors: warning: no preview window ({why}); grading goes on", file=sys.stderr)
        else:
            preview = _Preview()
    if out is None and preview is None and args.max_frames is None and args.duration is None:
        print("kolors: note: no --output and no --preview: frames are graded and counted only", file=sys.stderr)
    enh, pipe = _pipeline(args)
    state: dict[str, Any] = {"writer": None, "t0": None, "rate": Fraction(25), "last": 0.0}

    def on_frame(rgb: Any, f: Any) -> bool:
        if out is not None:
            w = state["writer"]
            if w is None:
                tb = f.time_base or Fraction(1, 1000)
                w = VideoWriter(out, rgb.shape[1], rgb.shape[0], state["rate"], tb, codec=args.codec, crf=args.crf,
                                pix_fmt=args.pix_fmt, preset=args.encoder_preset, threads=args.threads)
                state["writer"], state["t0"] = w, f.pts
            pts = None if f.pts is None or state["t0"] is None else f.pts - state["t0"]
            if pts is not None and pts < 0:
                return True
            w.write(rgb, pts)
        if preview is not None and not preview.show(rgb, float(state["rate"])):
            return False
        return True

    def on_stats(st: Any) -> None:
        now = time.monotonic()
        if sys.stderr.isatty() and now - state["last"] > 0.5:
            state["last"] = now
            print(f"\rkolors live: {st.graded} graded, {st.dropped} dropped, {st.fps:.1f} fps", end="",
                  file=sys.stderr, flush=True)

    def on_start(reader: Any) -> None:
        state["rate"] = reader.fps

    interrupted = False
    try:
        st = run_live(src, pipe, on_frame=on_frame, max_frames=args.max_frames, duration=args.duration,
                      pace=False if args.no_pace else None, timeout=args.timeout, on_stats=on_stats,
                      on_start=on_start)
    except KeyboardInterrupt:
        interrupted = True
        st = pipe.live_stats
    except BaseException:
        if state["writer"] is not None:
            state["writer"].abort()
        raise
    finally:
        if preview is not None:
            preview.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if state["writer"] is not None:
        state["writer"].close()
    total = st.graded + st.dropped
    pct = 100.0 * st.dropped / total if total else 0.0
    print(f"kolors live: {st.graded} frames graded, {st.dropped} dropped ({pct:.1f}%) of {st.read} read in "
          f"{st.seconds:.1f} s ({st.fps:.1f} fps graded)"
          + (f"; recorded to {out}" if state["writer"] is not None else "")
          + ("; stopped by Ctrl-C" if interrupted else "")
          + (f"; source ended: {st.error}" if st.error else ""), file=sys.stderr)
    return 0


VIDEO_HANDLERS = {"video": cmd_video, "live": cmd_live}
