"""Shared helpers of the benchmarks: machine description, best-of-N timing, test
images and markdown tables. Timings are reported, never asserted."""
from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KODAK = Path("/work/shared/data/kodak/kodim23.png")
KODAK_FALLBACK = ROOT / "resources" / "samples" / "kodim23.png"


def _run(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, date, git commit, load average and library versions."""
    model, cpus = "", str(os.cpu_count())
    for line in _run(["lscpu"]).splitlines():
        k, _, v = line.partition(":")
        if k.strip() == "Model name" and not model:
            model = v.strip()
        elif k.strip() == "CPU(s)":
            cpus = v.strip()
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    except OSError:
        pass
    commit = _run(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = " (+ uncommitted changes)" if _run(["git", "status", "--porcelain", "--untracked-files=no"]) \
        or _run(["git", "status", "--porcelain", "app"]) else ""
    import cv2
    import numba
    import torch
    return {
        "machine": f"{model or platform.processor() or 'unknown CPU'}, {cpus} cores, {ram} RAM",
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit + dirty,
        "software": (f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
                     f"({torch.get_num_threads()} threads), numba {numba.__version__} "
                     f"({numba.get_num_threads()} threads), OpenCV {cv2.__version__} "
                     f"({cv2.getNumThreads()} threads)"),
    }


def loadavg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def print_header(title: str, command: str) -> None:
    """The context block every benchmark prints before its table."""
    print(f"### {title}\n")
    for k, v in machine().items():
        print(f"- {k}: {v}")
    print(f"- load average at start (1/5/15 min): {loadavg()}")
    print(f"- command: `{command}`\n", flush=True)


def best_of(fn: Callable[[], object], repeats: int = 3) -> tuple[float, list[float]]:
    """Best wall time (s) of ``repeats`` calls of ``fn`` and all the times."""
    times = []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), times


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def kodak_rgb() -> np.ndarray:
    """The Kodak photo kodim23 as H×W×3 uint8 RGB (shared data folder, else the
    sample shipped in resources/)."""
    import cv2
    for p in (KODAK, KODAK_FALLBACK):
        if p.exists():
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is not None:
                return np.ascontiguousarray(bgr[..., ::-1])
    sys.exit(f"no test photo: neither {KODAK} nor {KODAK_FALLBACK} exists")


def resized(w: int, h: int) -> np.ndarray:
    """kodim23 resized to w×h with cv2.INTER_CUBIC (uint8 RGB, contiguous)."""
    import cv2
    return np.ascontiguousarray(cv2.resize(kodak_rgb(), (w, h), interpolation=cv2.INTER_CUBIC))


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        return v if isinstance(v, str) else f"{v:.3g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def fmt_ms(s: float) -> str:
    return f"{s * 1e3:,.1f}" if s < 10 else f"{s * 1e3:,.0f}"
