"""What each finishing operation adds to a 24 MP export (CPU).

A 6000×4000 8-bit photo (kodim23, resized) is exported to JPEG through
``Enhancer.export_graded`` (decode, framing, render, encode: what ``kolors enhance`` does)
once with only exposure +0.3 (the baseline) and once with the baseline plus each new
operation; the table reports each run and the difference. The cases run interleaved
(baseline, case, baseline, ...) so they share the machine's load, best of ``--repeats``.

    PYTHONPATH=app .venv/bin/python bench/finishing.py [--repeats 2] [--size 6000x4000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import fmt_ms, loadavg, md_table, print_header, resized, timed  # noqa: E402

CASES = {
    "crop 0.1–0.9 (exact slice)": {"crop": [0.1, 0.1, 0.9, 0.9]},
    "rotate 90 + flip": {"rotate": "90", "flip": "horizontal"},
    "straighten 2.5° (bicubic resampling)": {"straighten": 2.5},
    "lens: manual distortion 0.3 + vignetting 0.3": {"lens_distortion": 0.3, "lens_vignetting": 0.3},
    "capture sharpening 1.0, masking 0.3": {"sharpen_amount": 1.0, "sharpen_masking": 0.3},
    "luminance noise reduction 0.4": {"luma_denoise": 0.4},
    "dehaze 0.5": {"dehaze": 0.5},
    "output sharpening 1.0": {"__output_sharpening": 1.0},
    "tone curve RGB + red channel": {"tone_curve": [[0, 0], [0.25, 0.2], [0.75, 0.8], [1, 1]],
                                     "tone_curve_red": [[0, 0], [0.5, 0.55], [1, 1]]},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--size", default="6000x4000")
    args = ap.parse_args()
    W, H = map(int, args.size.lower().split("x"))
    cmd = "PYTHONPATH=app .venv/bin/python bench/finishing.py" + (f" --repeats {args.repeats}" if args.repeats != 2 else "")
    print_header(f"Finishing operations on a {W * H / 1e6:.0f} MP export ({W}×{H} JPEG q95), CPU", cmd)
    import cv2
    from kolors import Enhancer
    tmp = tempfile.TemporaryDirectory()
    src = Path(tmp.name) / "photo.png"
    cv2.imwrite(str(src), resized(W, H)[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    enh = Enhancer(model_type="classic", device="cpu")
    base = {"exposure": 0.3}

    def export(extra: dict) -> float:
        s = {**base, **{k: v for k, v in extra.items() if not k.startswith("__")}}
        t, _ = timed(lambda: enh.export_graded(src, Path(tmp.name) / "out.jpg", s,
                                               output_sharpening=extra.get("__output_sharpening", 0.0)))
        return t

    export({})                                   # warm-up: numba kernels, the first bake
    rows = []
    for name, extra in CASES.items():
        export(extra)                            # the case's own first bake / JIT
        tb, tc = float("inf"), float("inf")
        for _ in range(max(1, args.repeats)):
            tb = min(tb, export({}))
            tc = min(tc, export(extra))
        rows.append([name, fmt_ms(tb), fmt_ms(tc), fmt_ms(tc - tb)])
        print(f"[{time.strftime('%H:%M:%S')}] {name}: +{tc - tb:.2f} s", file=sys.stderr, flush=True)
    print(md_table(["operation (with exposure +0.3)", "baseline export (ms)", "with it (ms)", "adds (ms)"], rows))
    print(f"\nload average at end: {loadavg()}")
    tmp.cleanup()


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
