"""How closely the baked LUT path follows direct evaluation, over many random settings.

The test suite checks one draw (``tests/core/test_pipeline.py``); this scans several
seeds × all 24 Kodak photos (half size) with the same random-settings generator and
reports the distribution of the per-photo mean and max ΔE2000, both on the linear output
as rendered (values above white included) and on the displayed result (clipped to
[0, 1], what an 8/16-bit export holds), and how many table cells the stages' self-check
(:class:`kolors.core.pipeline.Stage`) evaluates directly. Accuracy, not speed: nothing here is timed.

    PYTHONPATH=app python bench/lut_accuracy.py --seeds 1 2 3
    PYTHONPATH=app python bench/lut_accuracy.py --integer 33 --seeds 1   # the 8-bit code path

``--integer N`` scores an 8-bit path instead: the N³ table from sRGB codes to codes
(:meth:`Plan.encoded_lut`; ``-1``: the plan's own linear-light stage table with the sRGB
decode/encode folded into the kernel's tables, what the engine uses) on the 8-bit photo, against the direct float render, with the
ΔE of 8-bit quantisation alone beside it (the floor any 8-bit output has).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app"), str(ROOT / "tests" / "core")]

import kolors.core.lut  # noqa: E402,F401  (numba before colour-science, see tests/conftest.py)
import torch  # noqa: E402
from test_pipeline import _load, random_settings  # noqa: E402

from kolors.core import color  # noqa: E402
from kolors.core.pipeline import Plan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--data", default="/work/shared/data/kodak")
    ap.add_argument("--integer", type=int, default=0, metavar="N",
                    help="score an 8-bit path: an N³ code table, or -1 for the plan's stage table")
    args = ap.parse_args()
    if args.integer:
        return integer_path(args)
    torch.set_num_threads(1)
    photos = sorted(Path(args.data).glob("kodim*.png"))
    rows, hard = [], []
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for path in photos:
            img = _load(path)[..., ::2, ::2].contiguous()
            s = random_settings(rng)
            plan = Plan(s)
            a, b = plan.run(img), Plan(s, bake=False).run(img)
            de = color.delta_e2000_rgb(a, b)
            hard.append(sum(int(st._hard.sum()) for st in plan.stages if st.pointwise and st._hard is not None))
            dc = color.delta_e2000_rgb(a.clamp(0, 1), b.clamp(0, 1))
            rows.append((seed, path.name, float(de.mean()), float(de.max()), float(dc.mean()), float(dc.max()),
                         {k: (round(v, 2) if isinstance(v, float) else v) for k, v in s.items()}))
    n = len(rows)
    for label, i_mean, i_max in (("linear output", 2, 3), ("displayed (clipped to [0, 1])", 4, 5)):
        means = np.array([r[i_mean] for r in rows])
        maxes = np.array([r[i_max] for r in rows])
        print(f"{label}: {n} renders; mean ΔE2000 worst {means.max():.3f} (> 0.1: {(means > 0.1).sum()}); "
              f"max ΔE2000 median {np.median(maxes):.2f}, worst {maxes.max():.2f} (> 1.0: {(maxes > 1.0).sum()})")
    h = np.array(hard)
    print(f"self-check: {(h > 0).sum()} of {n} renders evaluate some table cells directly "
          f"(most: {h.max()} of {64 ** 3} cells)")
    print("worst renders (displayed max):")
    for r in sorted(rows, key=lambda r: -r[5])[:5]:
        print(f"  seed {r[0]} {r[1]}: max {r[5]:.2f} (linear {r[3]:.2f}), mean {r[4]:.3f}  {r[6]}")


def integer_path(args: argparse.Namespace) -> None:
    from PIL import Image

    from kolors.core.lut import apply_lut_u8
    torch.set_num_threads(1)
    rows = []
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for path in sorted(Path(args.data).glob("kodim*.png")):
            src = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB"))[::2, ::2])
            s = random_settings(rng)
            plan = Plan(s)
            got = (apply_lut_u8(src, plan.stages[0].lut, encoded=True) if args.integer < 0
                   else apply_lut_u8(src, plan.encoded_lut(args.integer)))
            lin = color.srgb_to_linear(torch.from_numpy(src.astype(np.float32) / 255).permute(2, 0, 1)[None])
            ref = Plan(s, bake=False).run(lin).clamp(0, 1)
            g = color.srgb_to_linear(torch.from_numpy(got.astype(np.float32) / 255).permute(2, 0, 1)[None])
            q = color.srgb_to_linear((color.linear_to_srgb(ref) * 255 + 0.5).floor() / 255)
            de = color.delta_e2000_rgb(g, ref)
            rows.append((float(de.max()), float(de.mean()), float(color.delta_e2000_rgb(q, ref).max())))
    a = np.array(rows)
    what = "the plan's 65³ linear-light stage table" if args.integer < 0 else f"{args.integer}³ code table"
    print(f"8-bit path, {what}: {len(a)} renders; worst mean {a[:, 1].max():.3f}; max ΔE2000 "
          f"median {np.median(a[:, 0]):.2f}, worst {a[:, 0].max():.2f} (> 1.0: {(a[:, 0] > 1).sum()}); "
          f"8-bit quantisation alone: worst max {a[:, 2].max():.2f}")


if __name__ == "__main__":
    main()
