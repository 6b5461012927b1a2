"""How closely the baked LUT path follows direct evaluation, over many random settings.

The test suite checks one draw (``tests/core/test_pipeline.py``); this scans several
seeds × all 24 Kodak photos (half size) with the same random-settings generator and
reports the distribution of the per-photo mean and max ΔE2000, both on the linear output
as rendered (values above white included) and on the displayed result (clipped to
[0, 1], what an 8/16-bit export holds). Accuracy, not speed: nothing here is timed.

    PYTHONPATH=app python bench/lut_accuracy.py --seeds 1 2 3
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
    args = ap.parse_args()
    torch.set_num_threads(1)
    photos = sorted(Path(args.data).glob("kodim*.png"))
    rows = []
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for path in photos:
            img = _load(path)[..., ::2, ::2].contiguous()
            s = random_settings(rng)
            a, b = Plan(s).run(img), Plan(s, bake=False).run(img)
            de = color.delta_e2000_rgb(a, b)
            dc = color.delta_e2000_rgb(a.clamp(0, 1), b.clamp(0, 1))
            rows.append((seed, path.name, float(de.mean()), float(de.max()), float(dc.mean()), float(dc.max()),
                         {k: (round(v, 2) if isinstance(v, float) else v) for k, v in s.items()}))
    n = len(rows)
    for label, i_mean, i_max in (("linear output", 2, 3), ("displayed (clipped to [0, 1])", 4, 5)):
        means = np.array([r[i_mean] for r in rows])
        maxes = np.array([r[i_max] for r in rows])
        print(f"{label}: {n} renders; mean ΔE2000 worst {means.max():.3f} (> 0.1: {(means > 0.1).sum()}); "
              f"max ΔE2000 median {np.median(maxes):.2f}, worst {maxes.max():.2f} (> 1.0: {(maxes > 1.0).sum()})")
    print("worst renders (displayed max):")
    for r in sorted(rows, key=lambda r: -r[5])[:5]:
        print(f"  seed {r[0]} {r[1]}: max {r[5]:.2f} (linear {r[3]:.2f}), mean {r[4]:.3f}  {r[6]}")


if __name__ == "__main__":
    main()
