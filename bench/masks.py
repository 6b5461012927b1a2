"""Local adjustments: the cost of masks on a 24 MP (6000×4000) 8-bit photo, CPU.

A global grade (exposure, contrast, vibrance: one baked table) alone, then with 1, 3 and 5
masks of mixed kinds (linear, radial, a 60-point brush stroke, a luminance range, a colour
range), each with pointwise adjustments (one baked table per mask), and one mask with
local contrast (its spatial filter on the masked pass). The global grade alone runs
through the integer LUT kernel; with masks, the photo goes tile by tile in float (the cost
of any spatial stage, paid once), and each mask adds its weight and one table lookup.

Run from the repository root::

    PYTHONPATH=app .venv/bin/python bench/masks.py [--repeats 2]

Prints a markdown table (s, MP/s, added cost per mask). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import best_of, md_table, print_header, resized  # noqa: E402

W, H = 6000, 4000

GLOBAL = {"exposure": 0.2, "contrast": 0.15, "vibrance": 0.2}
MASKS = [
    {"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5],
     "adjustments": {"exposure": -0.7, "highlights": -0.3, "chroma_boost": 1.15}},
    {"kind": "radial", "center": [0.4, 0.55], "radius": [0.2, 0.3], "feather": 0.6,
     "adjustments": {"exposure": 0.4, "shadows": 0.3}},
    {"kind": "brush", "strokes": [{"points": [[0.3 + 0.4 * t, 0.6 + 0.1 * math.sin(6 * t)]
                                              for t in [i / 59 for i in range(60)]], "size": 0.06, "feather": 0.6}],
     "adjustments": {"exposure": -0.5, "vibrance": 0.3}},
    {"kind": "luminance", "range": [0.7, 1.0], "soft": 0.15, "adjustments": {"highlights": -0.4}},
    {"kind": "color", "hue": [60.0, 50.0], "saturation": [0.1, 1.0], "adjustments": {"chroma_boost": 1.3}},
]
LOCAL = [{"kind": "radial", "center": [0.5, 0.5], "radius": [0.3, 0.3], "feather": 0.5,
          "adjustments": {"local_contrast": True, "local_contrast_amount": 0.8}}]


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    global W, H
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=2, help="timed repeats per case after a first call (best)")
    ap.add_argument("--size", default=f"{W}x{H}", help=argparse.SUPPRESS)  # smaller for dry runs
    args = ap.parse_args()
    W, H = map(int, args.size.lower().split("x"))
    cmd = "PYTHONPATH=app .venv/bin/python bench/masks.py" + (f" --repeats {args.repeats}" if args.repeats != 2 else "")
    print_header(f"Masks on a {W * H / 1e6:.0f} MP 8-bit photo ({W}×{H}), CPU", cmd)
    from kolors import Enhancer
    from kolors.core import registry

    img = resized(W, H)
    mp = W * H / 1e6
    e = Enhancer(model_type="classic", device="cpu")
    cases = [("global grade alone (integer LUT kernel)", dict(GLOBAL)),
             ("+ 1 mask (linear)", {**GLOBAL, "masks": MASKS[:1]}),
             ("+ 3 masks (linear, radial, brush)", {**GLOBAL, "masks": MASKS[:3]}),
             ("+ 5 masks (… luminance, colour range)", {**GLOBAL, "masks": MASKS}),
             ("+ 1 mask with local contrast", {**GLOBAL, "masks": LOCAL})]
    times = {}
    for name, s in cases:
        s = registry.validate_settings(s, allow_hidden=False)
        e.render(img, s)                                     # first call: bakes the tables
        t, _ = best_of(lambda s=s: e.render(img, s), args.repeats)
        times[name] = t
        progress(f"{name}: {t:.2f} s")
    t0 = times[cases[0][0]]
    t1, t3, t5 = (times[cases[i][0]] for i in (1, 2, 3))
    rows = []
    for i, (name, _) in enumerate(cases):
        t = times[name]
        rows.append([name, f"{t:.2f}", f"{mp / t:,.1f}", "—" if i == 0 else f"{t - t0:+.2f}"])
    print(md_table(["case", "s", "MP/s", "vs global alone (s)"], rows))
    print(f"\nAdded cost per mask between 1 and 5 masks: {(t5 - t1) / 4:.2f} s "
          f"({(t5 - t1) / 4 / mp * 1000:.0f} ms/MP); 1 → 3 masks: {(t3 - t1) / 2:.2f} s per mask. "
          f"The first mask also moves the photo from the integer kernel to the tiled float path "
          f"({t1 - t0:+.2f} s with its own pass).")


if __name__ == "__main__":
    main()
