"""Camera RAW → JPEG at full resolution: Kolors against rawtherapee-cli and darktable-cli on
the same files, side by side in one run, plus Kolors' half-size preview.

Files: a 24 MP (6000×4000) DNG written with pidng from kodim23 (resized with
cv2.INTER_CUBIC, shot under a 4500 K light: the same generator as the tests), and the real
RAWs in ../shared/data/raw (CinemaDNG, Canon CRW, Kodak KDC, a synthetic DNG).

Each tool runs as its own process, the way a person runs it, so every time includes the
program's start-up:

* Kolors:      ``python -m kolors enhance FILE -o out.jpg`` (neutral development: as-shot
  white balance, blended highlights, AHD; quality 95). With nothing to grade the command
  takes the torch-free path (``kolors.engine.encode.export_raw_neutral``: LibRaw, one
  table, the writer); the start-up section checks that torch stays out of that process
  and times the same file through the Enhancer (``--set exposure=0``, which imports torch);
* RawTherapee: ``rawtherapee-cli -d -j95 -Y -o out.jpg -c FILE`` (its default profile);
* darktable:   ``darktable-cli FILE out.jpg --core --library :memory: --configdir TMP``
  (its default scene-referred pipeline).

Time is the best wall time of ``--repeats`` interleaved runs (the tools take turns, so a
noisy machine slows them alike); peak memory is the child's ``ru_maxrss`` (``os.wait4``).
Quality: mean ΔE2000 of each output against LibRaw's own ``postprocess()`` of the file
(camera white balance, sRGB, no auto-brightening, the default crop), and for the synthetic
DNG also against the photo it was made from (the ground truth). Outputs of another size
are resized to the reference first. The tools' default looks differ (tone curves, darktable's
+0.7 EV and filmic), so their ΔE measures look as much as fidelity: look at the outputs
too (``--look DIR`` writes them side by side as small PNGs).

Half-size preview: ``kolors.io.raw.read_raw(mode='half')`` against ``mode='full'``
in-process (decode only, cache off; best of 5), and the embedded JPEG where the file has one.

    PYTHONPATH=app .venv/bin/python bench/raw.py [--repeats 2] [--look /tmp/raw_look] [--skip-peers]

Goal: Kolors ≤ 0.5× RawTherapee's time at comparable quality. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "app"))
from _util import loadavg, md_table, print_header, resized  # noqa: E402

DATA = Path(os.environ.get("KOLORS_DATA", ROOT.parent / "shared" / "data"))


def make_synthetic(path: Path) -> np.ndarray:
    """The 24 MP test DNG (pidng, the generator of tests/io/test_raw.py); returns its source."""
    sys.path.insert(0, str(ROOT / "tests" / "io"))
    from test_raw import SHOT_K, make_dng, neutral_of  # noqa: E402
    src = resized(6000, 4000)
    make_dng(path, src, neutral=neutral_of(SHOT_K), make="Kolors", model="Synthetic 24MP")
    return src


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, int, int, str]:
    """(wall s, peak RSS bytes, exit status, stderr tail) of one child process.

    The peak comes from GNU time (``/usr/bin/time -f %M``) around the command: a child
    forked from this (large) process would otherwise report this process's peak as its
    own (Linux carries ``maxrss`` over fork and exec)."""
    gtime = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rssf:
        full = [gtime, "-f", "%M", "-o", rssf.name, *cmd] if os.path.exists(gtime) else cmd
        t = time.perf_counter()
        p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
        wall = time.perf_counter() - t
        try:
            rss = int(open(rssf.name).read().strip().splitlines()[-1]) * 1024
        except (ValueError, IndexError, OSError):
            rss = 0
    err = p.stderr.decode("utf-8", "replace")
    return wall, rss, p.returncode, " ".join(err.split())[-300:]


def tools(tmp: Path) -> dict[str, callable]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
    out: dict[str, callable] = {
        "Kolors": lambda src, dst: [sys.executable, "-m", "kolors", "enhance", str(src), "-o", str(dst),
                                    "--quality", "95"],
    }
    if shutil.which("rawtherapee-cli"):
        out["RawTherapee"] = lambda src, dst: ["rawtherapee-cli", "-d", "-j95", "-Y", "-o", str(dst), "-c", str(src)]
    if shutil.which("darktable-cli"):
        conf = tmp / "dtconf"
        conf.mkdir(exist_ok=True)
        out["darktable"] = lambda src, dst: ["darktable-cli", str(src), str(dst), "--core", "--library", ":memory:",
                                             "--configdir", str(conf)]
    return {k: (v, env) for k, v in out.items()}


def libraw_reference(path: Path) -> np.ndarray:
    """LibRaw's own development (camera WB, sRGB, no auto-bright, blended highlights at
    Kolors' exposure, the default crop), 8-bit."""
    import rawpy

    from kolors.io import raw as R
    ph = R.read_raw(path, mode="half", cache=False)  # for headroom and crop only
    with rawpy.imread(str(path)) as r:
        ref = r.postprocess(use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB, output_bps=8,
                            gamma=(2.4, 12.92), no_auto_bright=True, adjust_maximum_thr=0.0, user_flip=0,
                            highlight_mode=rawpy.HighlightMode.Blend, bright=ph.headroom)
        sizes = r.sizes
    crop = R._crop_rect(sizes, False)
    if crop:
        x, y, w, h = crop
        ref = ref[y:y + h, x:x + w]
    return np.ascontiguousarray(ref)


def mean_de(img: np.ndarray, ref: np.ndarray, step: int) -> float:
    import cv2

    from kolors.core.color import delta_e2000_rgb
    from kolors.engine.render import to_linear
    if img.shape != ref.shape:
        img = cv2.resize(img, (ref.shape[1], ref.shape[0]), interpolation=cv2.INTER_AREA)
    a = to_linear(np.ascontiguousarray(img[::step, ::step]))
    b = to_linear(np.ascontiguousarray(ref[::step, ::step]))
    return float(delta_e2000_rgb(a, b).mean())


def preview_times(files: list[Path], repeats: int) -> list[list[object]]:
    from kolors.io import raw as R
    rows = []
    for f in files:
        ph = R.read_raw(f, mode="embedded", cache=False)
        modes = ["full", "half"] + (["embedded"] if ph.mode == "embedded" else [])
        best = {m: float("inf") for m in modes}
        for _ in range(repeats):  # interleaved: a load change slows every mode alike
            for m in modes:
                best[m] = min(best[m], _timed(lambda: R.read_raw(f, mode=m, cache=False)))
        full, half, emb = best["full"], best["half"], best.get("embedded")
        rows.append([f.name, f"{ph.full_size[0]}×{ph.full_size[1]}", f"{full:.3f}", f"{half:.3f}",
                     f"{full / half:.2f}×", f"{emb:.3f} ({full / emb:.1f}×)" if emb else "none in file"])
    return rows


def startup_rows(sample: Path, repeats: int, tmp: Path, env: dict) -> tuple[list[list[str]], str]:
    """Start-up costs (best wall time of ``repeats`` fresh processes) and one neutral export
    through both Kolors paths; plus whether the neutral export imported torch."""
    py = sys.executable
    out = tmp / "startup.jpg"
    cmds = [("python -c pass (the interpreter)", [py, "-c", "pass"]),
            ("python -c 'import torch'", [py, "-c", "import torch"]),
            ("kolors --version (the CLI's imports)", [py, "-m", "kolors", "--version"]),
            (f"kolors enhance {sample.name} -o out.jpg (neutral: torch-free path)",
             [py, "-m", "kolors", "enhance", str(sample), "-o", str(out)]),
            (f"kolors enhance {sample.name} -o out.jpg --set exposure=0 (through the Enhancer: torch)",
             [py, "-m", "kolors", "enhance", str(sample), "-o", str(out), "--set", "exposure=0"])]
    best = {name: min(run(cmd, env=env, cwd=tmp)[0] for _ in range(max(1, repeats))) for name, cmd in cmds}
    p = subprocess.run([py, "-X", "importtime", "-m", "kolors", "enhance", str(sample), "-o", str(out)],
                       capture_output=True, text=True, env=env, cwd=tmp)
    mods = {ln.split("|")[-1].strip() for ln in p.stderr.splitlines() if ln.startswith("import time:")}
    torch_note = "imports torch" if "torch" in mods else "does not import torch"
    return [[name, f"{t:.2f}"] for name, t in best.items()], torch_note


def _size(f: Path) -> tuple[int, int]:
    from kolors.io.raw import raw_info
    i = raw_info(f)
    return i["width"], i["height"]


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=2, help="interleaved runs per tool and file (best is kept)")
    ap.add_argument("--look", type=Path, help="write small side-by-side PNGs of the outputs here")
    ap.add_argument("--skip-peers", action="store_true", help="Kolors only")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the 24 MP DNG")
    args = ap.parse_args()
    import cv2

    print_header("RAW → JPEG: Kolors, RawTherapee, darktable", "PYTHONPATH=app .venv/bin/python bench/raw.py "
                 + " ".join(sys.argv[1:]))
    tmp = Path(tempfile.mkdtemp(prefix="kolors_raw_bench_"))
    try:
        files: list[Path] = []
        truth: dict[str, np.ndarray] = {}
        if not args.no_synthetic:
            syn = tmp / "synthetic_24mp.dng"
            truth[syn.name] = make_synthetic(syn)
            files.append(syn)
        files += sorted(p for p in (DATA / "raw").rglob("*") if p.is_file() and p.suffix.lower() in
                        (".dng", ".crw", ".kdc", ".cr2", ".nef", ".arw"))
        ts = tools(tmp)
        if args.skip_peers:
            ts = {"Kolors": ts["Kolors"]}
        versions = {"RawTherapee": ["rawtherapee-cli", "-v"], "darktable": ["darktable-cli", "--version"]}
        for name in ts:
            if name in versions:
                v = subprocess.run(versions[name], capture_output=True, text=True).stdout.strip().splitlines()
                print(f"- {name}: {v[0] if v else '?'}")
        missing = [n for n in ("RawTherapee", "darktable") if n not in ts and not args.skip_peers]
        for n in missing:
            print(f"- {n}: not installed (apt-get install rawtherapee darktable)")
        print()

        sample = next((f for f in files if f.suffix.lower() == ".crw"), files[-1])
        st_rows, torch_note = startup_rows(sample, max(3, args.repeats), tmp, ts["Kolors"][1])
        print(f"#### Start-up (fresh processes, best of {max(3, args.repeats)}); the neutral export {torch_note}\n")
        print(md_table(["command", "time (s)"], st_rows))
        print()

        results: dict[tuple[str, str], dict] = {}
        for f in files:
            for rep in range(max(1, args.repeats)):
                for name, (cmd, env) in ts.items():
                    dst = tmp / f"{name}_{f.stem}.jpg"
                    if dst.exists():
                        dst.unlink()
                    wall, rss, rc, err = run(cmd(f, dst), env=env, cwd=tmp)
                    ok = rc == 0 and dst.exists() and dst.stat().st_size > 0
                    r = results.setdefault((f.name, name), {"times": [], "rss": 0, "ok": ok, "err": err})
                    r["ok"] = r["ok"] and ok
                    if ok:
                        r["times"].append(wall)
                        r["rss"] = max(r["rss"], rss)
                        r["out"] = dst
                    else:
                        r["err"] = err or f"exit {rc}, no output"
                print(f"  {f.name} run {rep + 1}: " + ", ".join(
                    f"{n} {min(results[(f.name, n)]['times']):.2f}s" if results[(f.name, n)]["times"] else f"{n} failed"
                    for n in ts), file=sys.stderr, flush=True)

        # batch: the files every tool developed, in one process per tool (start-up paid once)
        common = [f for f in files if all(results[(f.name, n)]["times"] for n in ts)]
        batch_rows = []
        if len(common) > 1 and len(ts) > 1:
            bdir = tmp / "batch_in"
            bdir.mkdir()
            for f in common:
                shutil.copy(f, bdir / f.name)  # darktable-cli fails on symlinks
            mp = sum(np.prod(_size(f)) for f in common) / 1e6
            bcmd = {"Kolors": lambda o: [sys.executable, "-m", "kolors", "batch", str(bdir), "-o", str(o),
                                         "--format", "jpg", "--quality", "95"],
                    "RawTherapee": lambda o: ["rawtherapee-cli", "-d", "-j95", "-Y", "-o", str(o), "-c",
                                              *map(str, sorted(bdir.iterdir()))],
                    "darktable": lambda o: ["darktable-cli", *[a for f in sorted(bdir.iterdir())
                                                               for a in ("--import", str(f))],
                                            str(o), "--out-ext", "jpg", "--core", "--library", ":memory:",
                                            "--configdir", str(tmp / "dtconf")]}
            best: dict[str, float] = {}
            brss: dict[str, int] = {}
            bfail: dict[str, str] = {}
            for rep in range(max(1, args.repeats)):
                for name in ts:
                    odir = tmp / f"batch_{name}_{rep}"
                    odir.mkdir()
                    o = odir / "$(FILE_NAME)" if name == "darktable" else odir
                    wall, rss, rc, err = run(bcmd[name](o), env=ts[name][1], cwd=tmp)
                    written = len([q for q in odir.iterdir() if q.suffix.lower() == ".jpg" and q.stat().st_size])
                    if rc == 0 and written == len(common):
                        best[name] = min(best.get(name, wall), wall)
                        brss[name] = max(brss.get(name, 0), rss)
                    else:
                        bfail[name] = f"failed: exit {rc}, {written} of {len(common)} written"
            rt_b = best.get("RawTherapee")
            for name in ts:
                if name in best:
                    batch_rows.append([name, f"{best[name]:.2f}", f"{best[name] / rt_b:.2f}×" if rt_b else "—",
                                       f"{mp / best[name]:.2f}", f"{brss[name] / 2**20:,.0f}"])
                else:
                    batch_rows.append([name, bfail.get(name, "failed"), "—", "—", "—"])
                if name in best and name in bfail:
                    batch_rows[-1][0] += f" ({bfail[name]} in another run)"

        rows, looks = [], []
        for f in files:
            ref = libraw_reference(f)
            step = max(1, int(np.sqrt(ref.shape[0] * ref.shape[1] / 2e6)))
            rt = results.get((f.name, "RawTherapee"), {})
            rt_time = min(rt["times"]) if rt.get("times") else None
            tiles = []
            for name in ts:
                r = results[(f.name, name)]
                if not r["times"]:
                    rows.append([f.name, name, "failed", "—", "—", "—", "—", r["err"][:120]])
                    continue
                img = cv2.imread(str(r["out"]), cv2.IMREAD_COLOR)[..., ::-1]
                de = mean_de(img, ref, step)
                de_truth = f"{mean_de(img, truth[f.name], step):.2f}" if f.name in truth else "—"
                t = min(r["times"])
                rel = f"{t / rt_time:.2f}×" if rt_time else "—"
                rows.append([f.name, name, f"{t:.2f}", rel, f"{r['rss'] / 2**20:,.0f}", f"{de:.2f}", de_truth,
                             f"{img.shape[1]}×{img.shape[0]}"])
                tiles.append((name, img))
            if args.look:
                looks.append((f, ref, tiles))
        print(f"load average at the end: {loadavg()}\n")
        print("#### Full-resolution RAW → JPEG (each tool as its own process; best of "
              f"{args.repeats})\n")
        print(md_table(["file", "tool", "time (s)", "÷ RawTherapee", "peak RSS (MiB)", "ΔE vs LibRaw",
                        "ΔE vs source", "output / note"], rows))
        print()
        if batch_rows:
            print(f"#### Batch: {', '.join(f.name for f in common)} in one process per tool (best of "
                  f"{args.repeats})\n")
            print(md_table(["tool", "time (s)", "÷ RawTherapee", "MP/s", "peak RSS (MiB)"], batch_rows))
            print()
        pv = [f for f in files]
        print("#### Half-size preview (in-process decode, cache off; best of 5)\n")
        print(md_table(["file", "full size", "full decode (s)", "half (s)", "full ÷ half", "embedded JPEG (s)"],
                       preview_times(pv, 5)))
        if args.look:
            args.look.mkdir(parents=True, exist_ok=True)
            for f, ref, tiles in looks:
                h = 360
                row = [cv2.resize(ref, (int(ref.shape[1] * h / ref.shape[0]), h), interpolation=cv2.INTER_AREA)]
                for _, img in tiles:
                    row.append(cv2.resize(img, (int(img.shape[1] * h / img.shape[0]), h), interpolation=cv2.INTER_AREA))
                strip = np.concatenate(row, 1)
                cv2.imwrite(str(args.look / f"{f.stem}.png"), strip[..., ::-1])
            print(f"\n(look: {args.look}/*.png — LibRaw reference, then " + ", ".join(n for n in ts) + ")")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
