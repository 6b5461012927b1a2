"""Training samples per CPU-second: the end-to-end network's recipe against the
illuminant estimator's, side by side in one run on the same photos and threads.

(a) ``kolors train --stage multitask --model general`` as the shipped weights were trained
    (crops up to 640 px, 256×256 samples, batch 8): ``--steps`` steps;
(b) ``kolors train --stage illuminant`` as the shipped estimator is trained (64×64
    thumbnails degraded on the thumbnail, batch 256): ``--steps-illuminant`` steps.

Each figure is the training loop's own time (``history[-1]['seconds']``: sampling,
degrading, forward, backward, optimiser), without loading the photos or building the
thumbnail bank (printed apart). Run from the repository root::

    PYTHONPATH=app .venv/bin/python bench/train_rate.py --data /tmp/train_data [--threads 2]

Prints a markdown table. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import md_table, print_header  # noqa: E402


def _run(opts) -> tuple[float, float, int]:
    """(loop seconds, wall seconds, samples) of one training call."""
    import torch

    from kolors.model.train import train
    t0 = time.perf_counter()
    out = train(opts, progress=False)
    wall = time.perf_counter() - t0
    ck = torch.load(out, map_location="cpu", weights_only=True)
    secs = float(ck["history"][-1]["seconds"])
    return secs, wall, opts.batch * opts.steps_per_epoch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder of training photos (the shipped set: /tmp/train_data)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6, help="multitask steps (batch 8)")
    ap.add_argument("--steps-illuminant", type=int, default=60, help="illuminant steps (batch 256)")
    args = ap.parse_args()
    from kolors.model.train import TrainOptions
    print_header("Training samples per second (`bench/train_rate.py`)", "PYTHONPATH=app .venv/bin/python "
                 + " ".join(["bench/train_rate.py", *sys.argv[1:]]))
    rows, rates = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("end-to-end network, multitask (general, batch 8, 256 px)",
                  TrainOptions(data=args.data, out=f"{tmp}/mt.pt", stage="multitask", model_type="general", epochs=1,
                               steps_per_epoch=args.steps, batch=8, seed=0, threads=args.threads)),
                 ("illuminant estimator (batch 256, 64 px thumbnails)",
                  TrainOptions(data=args.data, out=f"{tmp}/ill.pt", stage="illuminant", epochs=1,
                               steps_per_epoch=args.steps_illuminant, batch=256, seed=0, threads=args.threads))]
        for name, opts in cases:
            secs, wall, n = _run(opts)
            rates[name] = n / secs
            rows.append([name, str(n), f"{secs:.1f}", f"{wall - secs:.1f}", f"{n / secs:.1f}"])
    base = rates[cases[0][0]]
    for r, (name, _) in zip(rows, cases):
        r.append(f"{rates[name] / base:.0f}×")
    print(md_table(["recipe", "samples", "loop s", "setup s", "samples/s", "÷ end-to-end"], rows))


if __name__ == "__main__":
    main()
