"""Grading throughput on the CPU: a 24 MP (6000×4000) 8-bit photo.

(a) the ``cinema`` preset (colour-only: the whole plan is one integer 3D-LUT kernel),
    first call (JIT + bake) and steady state;
(b) a "full pipeline": every visible operation on at typical values, including the
    spatial/positional ones, rendered tile by tile (tile 512);
(c) ``cv2.LUT`` with a 256-entry table on the same buffer: the floor (one memory pass).

Run from the repository root::

    PYTHONPATH=app .venv/bin/python bench/grade.py [--repeats 3] [--no-breakdown]

Prints a markdown table (ms, MP/s, time ÷ cv2.LUT). Goals: ≥ 100 MP/s and ≤ 10× the
floor for the baked path. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import best_of, fmt_ms, loadavg, md_table, print_header, resized, timed  # noqa: E402

W, H = 6000, 4000


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def full_settings(cube: str) -> dict:
    """Every visible operation active at typical values (``cube``: a .cube for lut_file)."""
    return {
        "exposure": 0.3, "temperature": 5800.0, "tint": 5.0,
        "luma_denoise": 0.3, "chroma_denoise": 0.4,
        "highlights": -0.3, "shadows": 0.3, "whites": 0.1, "blacks": 0.05,
        "contrast": 0.2, "tone_curve": [[0.0, 0.0], [0.25, 0.22], [0.75, 0.8], [1.0, 1.0]],
        "local_contrast": True, "local_contrast_amount": 0.5,
        "detail_recovery": 0.4, "sharpen_amount": 0.8, "sharpen_masking": 0.3,
        "vibrance": 0.25, "chroma_boost": 1.1,
        "hsl_orange_sat": 0.1, "hsl_orange_lum": 0.05, "hsl_blue_hue": -0.1, "hsl_green_sat": -0.15,
        "split_shadow_hue": 210.0, "split_shadow_sat": 0.1, "split_highlight_hue": 40.0,
        "split_highlight_sat": 0.08,
        "film_strength": 0.5, "film_rolloff": 0.5, "film_teal_orange": 0.3,
        "region_boost": {"roi": [[W // 4, H // 4, 3 * W // 4, 3 * H // 4]], "factor": 1.3, "feather": 200},
        "lut_file": cube, "lut_strength": 0.5,
        "vignette": -0.3,
    }


def main() -> None:
    global W, H
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per case (best is reported)")
    ap.add_argument("--full-repeats", type=int, default=1,
                    help="steady-state runs of the full pipeline after its first call (each takes about a "
                         "minute on 2 cores; 3 for best of 3)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the per-operation timings")
    ap.add_argument("--size", default=f"{W}x{H}", help=argparse.SUPPRESS)  # smaller for dry runs
    args = ap.parse_args()
    W, H = map(int, args.size.lower().split("x"))
    cmd = "PYTHONPATH=app .venv/bin/python bench/grade.py" + (f" --repeats {args.repeats}" if args.repeats != 3 else "")
    cmd += f" --full-repeats {args.full_repeats}" if args.full_repeats != 1 else ""
    cmd += " --no-breakdown" if args.no_breakdown else ""
    print_header(f"Grading on a {W * H / 1e6:.0f} MP "
                 f"8-bit photo ({W}×{H}), CPU", cmd)

    import cv2
    import numpy as np
    from kolors import Enhancer
    from kolors.core import registry
    from kolors.core.lut import Lut3D, apply_lut_u8, identity_table
    from kolors.core.pipeline import Plan
    from kolors.io.luts import write_cube
    from kolors.io.presets import get_preset

    img = resized(W, H)
    mp = W * H / 1e6
    reps = max(3, args.repeats)
    rows, notes = [], []

    # (c) the floor: one pass over the buffer through a 256-entry table
    table = np.clip(np.round(255 * (np.arange(256) / 255) ** 0.8), 0, 255).astype(np.uint8)
    cv2.LUT(img[:8, :8], table)
    dst = np.empty_like(img)

    # (a) cinema: the integer LUT path
    cinema = get_preset("cinema").settings
    t_jit, _ = timed(lambda: apply_lut_u8(img[:4, :4].copy(), Lut3D(identity_table(2))))
    e = Enhancer(model_type="classic", device="cpu")
    t_first, out_a = timed(lambda: e.render(img, cinema))
    assert e.plan(cinema).pointwise_only, "cinema is expected to be colour-only"
    # where the first call's time goes: Plan() (lazy: no table yet), the 65³ stage table,
    # the kernel's per-code tables (sRGB decode/encode folded in), the 256³ expanded table
    from kolors.core import lut as L
    t_plan, plan = timed(lambda: Plan(dict(cinema)))
    t_enc, lut = timed(lambda: plan.stages[0].lut)
    t_tab, _ = timed(lambda: apply_lut_u8(img[:4, :4].copy(), lut, encoded=True))
    t_dir, _ = timed(lambda: L.direct_table_u8(lut, encoded=True))
    out = np.empty_like(img)
    # steady state, interleaved with the floor so that both see the same machine load
    # (render: the engine's path = the 256³ table of its cached plan; tetra: the
    # tetrahedral kernel the table is filled with, the path of smaller and 16-bit images)
    elut = e.plan(cinema).stages[0].lut
    cases = {"floor": lambda: cv2.LUT(img, table), "floor_pre": lambda: cv2.LUT(img, table, dst=dst),
             "render": lambda: e.render(img, cinema),
             "kernel": lambda: L._apply_int(img, elut, out, (0, 1, 2), True)}
    best = {k: float("inf") for k in cases}
    for _ in range(reps):
        for k, fn in cases.items():
            best[k] = min(best[k], timed(fn)[0])
    t_floor, t_floor_pre, t_cin, t_kern = best["floor"], best["floor_pre"], best["render"], best["kernel"]

    progress(f"floor {t_floor:.3f} s; cinema first {t_first:.2f} s, steady {t_cin:.3f} s")
    # (b) the full pipeline, tile by tile
    tmp = tempfile.TemporaryDirectory()
    cube = str(Path(tmp.name) / "cinema33.cube")
    write_cube(cube, plan.encoded_lut(33))
    full = registry.validate_settings(full_settings(cube), allow_hidden=False)
    e2 = Enhancer(model_type="classic", device="cpu")
    t_full_first, _ = timed(lambda: e2.render(img, full))
    progress(f"full first {t_full_first:.2f} s")
    fplan = e2.plan(full)
    t_fplan, _ = timed(lambda: Plan(dict(full)))
    stages = " → ".join(("LUT[" + "+".join(op.name for op, _ in st.ops) + "]") if st.pointwise
                        else st.ops[0][0].name for st in fplan.stages)
    freps = max(1, args.full_repeats)
    t_full, _ = best_of(lambda: e2.render(img, full), freps)
    from kolors.core.params import RenderContext as _RC
    halo = fplan.halo(_RC(full_size=(H, W)))

    def row(name, first, t, note=""):
        return [name, "—" if first is None else f"{first:.2f}", fmt_ms(t), f"{mp / t:,.1f}",
                f"{t / t_floor:.2f}×", note]

    rows.append(row("cv2.LUT, 256-entry table (floor)", None, t_floor, "allocates its output"))
    rows.append(row("cv2.LUT into a preallocated dst", None, t_floor_pre, "no page faults on the output"))
    rows.append(row("**cinema**, `Enhancer.render` (integer LUT path)", t_first, t_cin,
                    f"first call (one photo) ≈ Plan {t_plan:.2f} s + 65³ stage bake {t_enc:.2f} s + kernel tables "
                    f"{t_tab:.2f} s + tetrahedral kernel; the kernel's JIT/cache load ({t_jit:.2f} s) was done "
                    f"before, on a 4×4 image. Steady (same grade again: batch, re-export, video) = the "
                    f"plan's 256³ table, built once ({t_dir:.2f} s) after 2^25 pixels"))
    rows.append(row("cinema, tetrahedral kernel alone (65³, `out=` preallocated)", None, t_kern,
                    "the path of images under 8 MP and of 16-bit ones; fills the 256³ table"))
    rows.append(row("**full pipeline**, `Enhancer.render` (tiles of 512)", t_full_first, t_full,
                    f"first call includes baking {sum(st.pointwise for st in fplan.stages)} stage LUTs (65³, lazily on first use)"))

    print(f"Best of {reps} runs each (full pipeline: best of {freps} after its first call); ratio = time ÷ cv2.LUT time (allocating).\n")
    print(md_table(["case", "first call (s)", "steady (ms)", "MP/s", "× cv2.LUT", "notes"], rows))
    print(f"\nFull pipeline stages: {stages}; total halo {halo} px.")

    gb = mp / t_cin >= 100 and t_cin / t_floor <= 10
    print(f"\nGoal (baked path) ≥ 100 MP/s and ≤ 10× the floor: {mp / t_cin:,.0f} MP/s, "
          f"{t_cin / t_floor:.2f}× → {'reached' if gb else 'MISSED'}.")

    if not args.no_breakdown:
        # where the full pipeline's time goes: each stage alone, untiled, on a 3 MP crop
        # placed in the 24 MP photo (full_size/offset set, so radii are the full render's)
        import torch
        from kolors.core.params import RenderContext
        from kolors.engine.render import from_linear, to_linear
        cy, cx = H // 4, W // 3
        crop = np.ascontiguousarray(img[cy:cy + 3 * H // 8, cx:cx + W // 3])
        cmp_ = crop.shape[0] * crop.shape[1] / 1e6
        ctx = RenderContext(full_size=(H, W), offset=(cy, cx), scale=1.0)
        brows = []
        progress("breakdown")

        def brow(name, fn):
            fn()
            t, _ = best_of(fn, 2)
            brows.append([name, fmt_ms(t), f"{cmp_ / t:,.2f}", f"{t * mp / cmp_:,.1f}"])

        with torch.inference_mode():
            x = to_linear(crop)
            brow("decode uint8 → linear float (`to_linear`)", lambda: to_linear(crop))
            for st in fplan.stages:
                names = [op.name for op, _ in st.ops]
                label = ("LUT (" + ", ".join(names) + ")") if st.pointwise else names[0]
                brow(label, lambda st=st: st.run(x, ctx))
            brow("encode linear → uint8 (`from_linear`)", lambda: from_linear(x, np.uint8))
        print(f"\nFull pipeline, per stage alone on a {crop.shape[1]}×{crop.shape[0]} crop of the 24 MP photo "
              f"(untiled, best of 2; the difference to the full render is tiling overhead: halo "
              f"{halo} px around 512-px tiles = {((512 + 2 * halo) / 512) ** 2:.2f}× the pixels):\n")
        print(md_table(["stage", "ms (crop)", "MP/s", "≈ s at 24 MP"], brows))
    print(f"\nload average at end: {loadavg()}")
    tmp.cleanup()


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
