"""Video grading speed: ``kolors video`` (in process: :func:`kolors.engine.video.transcode`)
against ``ffmpeg -vf lut3d`` applying the same grade baked to a ``.cube``, in the same run.

Clips: the sample photo scaled to 1920×1080 and 3840×2160, with per-frame grain
(``noise=alls=6:allf=t``) so that no two frames are equal, 25 fps, H.264 yuv420p
(x264 ultrafast, crf 18) with a 440 Hz AAC track.

For each size:

1. preset ``cinema``: Kolors (decode → RGB → the plan's LUT in the integer kernel, with the
   256³ table built during the warm-up → encode) and ffmpeg (``lut3d`` of the preset baked by
   ``Enhancer.export_lut`` at 33³, tetrahedral) — both encoding x264 ultrafast crf 18 with the
   audio copied, then both without encoding (``write=False`` / ``-f null``); the ratio is
   Kolors fps / ffmpeg fps (goal ≥ 1.0);
2. the learned task ``color_enhance`` (general model: analysis of every frame, 8 frames per
   forward pass, the fused numba apply with its 33³ colour table baked per frame), encoding
   as in 1.

Kolors' fps count decode, grade and encode of all frames after the warm-up (model load,
first bake and kernel compilation on a grey frame, reported apart); ffmpeg's is its whole
process wall time. Run from the repository root::

    OMP_NUM_THREADS=2 PYTHONPATH=app .venv/bin/python bench/video.py [--frames 48] [--frames-4k 24]
        [--learned-frames 12] [--learned-frames-4k 6]

Prints a markdown section. Nothing is asserted. GPU: not measured here (no GPU lent).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import KODAK_FALLBACK, loadavg, md_table, print_header  # noqa: E402


def make_clip(path: Path, w: int, h: int, n: int) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(KODAK_FALLBACK), "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-vf",
                    f"scale={w}:{h}:flags=bicubic,noise=alls=6:allf=t,format=yuv420p", "-r", "25", "-frames:v",
                    str(n), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-c:a", "aac", "-shortest",
                    str(path)], check=True)
    return path


def ffmpeg_fps(src: Path, cube: Path, n: int, encode: bool, out: Path) -> float:
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-vf", f"lut3d=file={cube}:interp=tetrahedral"]
    cmd += (["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-c:a", "copy", str(out)] if encode
            else ["-an", "-f", "null", "-"])
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return n / (time.perf_counter() - t)


def kolors_fps(src: Path, out: Path, pipe, encode: bool) -> tuple[float, float, int]:
    from kolors.engine.video import transcode
    st = transcode(src, out, pipe, codec="libx264", crf=18, preset="ultrafast", write=encode)
    return st.fps, st.warm_up, st.frames


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=48, help="frames of the 1080p clip (default 48)")
    ap.add_argument("--frames-4k", type=int, default=24, help="frames of the 4K clip (default 24)")
    ap.add_argument("--learned-frames", type=int, default=12)
    ap.add_argument("--learned-frames-4k", type=int, default=6)
    ap.add_argument("--skip-learned", action="store_true")
    args = ap.parse_args()
    from kolors import Enhancer
    print_header("Video: kolors video vs ffmpeg lut3d", "OMP_NUM_THREADS=2 PYTHONPATH=app .venv/bin/python "
                 "bench/video.py " + " ".join(sys.argv[1:]))
    rows = []
    classic = Enhancer("classic", device="cpu")
    general = None if args.skip_learned else Enhancer("general", device="cpu")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cube = classic.export_lut(tmp / "cinema.cube", classic.resolve_settings(None, preset="cinema"), size=33)
        for label, (w, h), n, nl in (("1080p", (1920, 1080), args.frames, args.learned_frames),
                                     ("4K", (3840, 2160), args.frames_4k, args.learned_frames_4k)):
            clip = make_clip(tmp / f"clip_{label}.mp4", w, h, max(n, nl))
            print(f"[{label}] clip ready, load {loadavg()}", file=sys.stderr, flush=True)
            for encode in (True, False):
                pipe = classic.create_video_pipeline(output_res=None).set_params(preset="cinema")
                kf, warm, frames = kolors_fps(clip, tmp / f"k_{label}.mp4", pipe, encode)
                ff = ffmpeg_fps(clip, cube, frames, encode, tmp / f"f_{label}.mp4")
                rows.append([label, "preset cinema", "x264 ultrafast crf 18, audio copied" if encode else
                             "none (decode + grade)", f"{kf:.1f}", f"{ff:.1f}", f"{kf / ff:.2f}×",
                             f"{warm:.1f}", str(frames)])
                print(rows[-1], f"load {loadavg()}", file=sys.stderr, flush=True)
            if general is not None:
                short = make_clip(tmp / f"short_{label}.mp4", w, h, nl)
                pipe = general.create_video_pipeline(output_res=None).set_params(task="color_enhance",
                                                                                  temporal_smooth=2)
                kf, warm, frames = kolors_fps(short, tmp / f"l_{label}.mp4", pipe, True)
                rows.append([label, "task color_enhance (learned)", "x264 ultrafast crf 18, audio copied",
                             f"{kf:.2f}", "—", "—", f"{warm:.1f}", str(frames)])
                print(rows[-1], f"load {loadavg()}", file=sys.stderr, flush=True)
    print(md_table(["size", "grade", "encode", "Kolors fps", "ffmpeg lut3d fps", "ratio", "warm-up s",
                    "frames"], rows))
    print(f"\n- load average at end: {loadavg()}")
    print("- GPU (4K fps on an H100, goal ≥ 300): not measured (no GPU lent to this task)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
