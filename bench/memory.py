"""Peak memory of a 100 MP (12247×8165) 8-bit render on the CPU.

Each case runs in a fresh child process, which imports Kolors, records its baseline,
builds the 100 MP image in place (kodim23 tiled into one preallocated array: no large
temporaries), renders it once and reports ``ru_maxrss`` (the process's peak resident
set). Cases:

* ``tiled`` — ``Enhancer(mem_optim={'tile_size': 512})`` with a spatial operation on
  (default ``local_contrast``), so the render goes tile by tile through the float path;
* ``lut``   — the ``cinema`` preset (colour-only): the integer 3D-LUT kernel.

    PYTHONPATH=app .venv/bin/python bench/memory.py [--spatial local_contrast|detail_recovery|chroma_denoise|vignette]

Goal: ≤ 1.5 GB peak. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

W, H = 12247, 8165
MiB = 1024 ** 2
SPATIAL = {
    "local_contrast": {"local_contrast": True, "local_contrast_amount": 0.5},
    "detail_recovery": {"detail_recovery": 0.4},
    "chroma_denoise": {"chroma_denoise": 0.4},
    "vignette": {"vignette": -0.3},
}


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def child(case: str, spatial: str) -> None:
    import numpy as np
    import torch  # noqa: F401  (imported by kolors anyway; counted in the baseline)
    from _util import kodak_rgb
    from kolors import Enhancer
    from kolors.io.presets import get_preset

    tile = kodak_rgb()
    base_peak, base_rss = peak_bytes(), rss_bytes()
    if case == "lut":
        settings = dict(get_preset("cinema").settings)
    else:
        settings = {"exposure": 0.2, **SPATIAL[spatial]}
    e = Enhancer(model_type="classic", device="cpu", mem_optim={"tile_size": 512})

    img = np.empty((H, W, 3), np.uint8)
    th, tw = tile.shape[:2]
    for y in range(0, H, th):
        for x in range(0, W, tw):
            img[y:y + th, x:x + tw] = tile[:H - y, :W - x]
    img_peak, img_rss = peak_bytes(), rss_bytes()
    path = "integer LUT" if e.plan(settings).pointwise_only else "tiled float"
    t = time.perf_counter()
    out = e.render(img, settings)
    dt = time.perf_counter() - t
    print(json.dumps({
        "case": case, "settings": sorted(settings), "path": path, "render_s": dt,
        "image_bytes": img.nbytes, "out_bytes": out.nbytes,
        "base_peak": base_peak, "base_rss": base_rss, "img_peak": img_peak, "img_rss": img_rss,
        "peak": peak_bytes(), "end_rss": rss_bytes(),
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spatial", choices=sorted(SPATIAL), default="local_contrast",
                    help="the spatial operation of the tiled case")
    ap.add_argument("--child", choices=["tiled", "lut"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.spatial)
        return
    from _util import loadavg, md_table, print_header
    cmd = "PYTHONPATH=app .venv/bin/python bench/memory.py"
    if args.spatial != "local_contrast":
        cmd += f" --spatial {args.spatial}"
    print_header(f"Peak memory of a 100 MP 8-bit render ({W}×{H} = {W * H / 1e6:.1f} MP), tile size 512", cmd)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1] / "app"),
                                                      env.get("PYTHONPATH", "")]))
    rows, res = [], []
    for case in ("tiled", "lut"):
        p = subprocess.run([sys.executable, __file__, "--child", case, "--spatial", args.spatial],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            print(f"child {case} failed ({p.returncode}):\n{p.stderr[-3000:]}", file=sys.stderr)
            rows.append([f"{case}: FAILED (exit {p.returncode}, see stderr)"] + [""] * 6)
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"[{time.strftime('%H:%M:%S')}] {case}: peak {r['peak'] / MiB:,.0f} MiB, render {r['render_s']:.1f} s",
              file=sys.stderr, flush=True)
        res.append(r)
        over = r["peak"] - r["base_peak"]
        extra = r["peak"] - r["img_rss"] - r["out_bytes"]
        rows.append([
            f"{case}: {r['path']} ({', '.join(r['settings'])})", f"{r['render_s']:.1f}",
            f"{r['base_peak'] / MiB:,.0f}", f"{r['image_bytes'] / MiB:,.0f} + {r['out_bytes'] / MiB:,.0f}",
            f"**{r['peak'] / MiB:,.0f}**", f"{over / MiB:,.0f}", f"{extra / MiB:,.0f}",
        ])
    print("MiB (2²⁰ bytes); one fresh child process per case; peak = `ru_maxrss` of the child.\n")
    print(md_table(["case", "render (s; first call in a fresh process)", "baseline after imports", "source + result arrays",
                    "peak (whole process)", "peak − baseline", "working set beyond baseline, source and result"],
                   rows))
    goal = 1.5e9
    for r in res:
        ok = r["peak"] <= goal
        print(f"\nGoal ≤ 1.5 GB ({goal / MiB:,.0f} MiB), {r['case']}: peak {r['peak'] / 1e9:.2f} GB "
              f"({r['peak'] / MiB:,.0f} MiB) → {'reached' if ok else 'MISSED by %.2f GB' % ((r['peak'] - goal) / 1e9)}"
              f"; peak − baseline {(r['peak'] - r['base_peak']) / 1e9:.2f} GB.")
    print(f"\nload average at end: {loadavg()}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    if "--child" not in sys.argv:
        print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
