"""The learned model's speed on the CPU: the thumbnail network and the full-resolution apply step.

(1) Network: ``KolorsNet`` on one 256×256 thumbnail (batch 1), general and lite, torch on the
    CPU, best of 10 after 3 warm-up calls; also ``LearnedModel.predict`` on the 4K photo
    (area-average thumbnail + network + settings).
(2) Apply: the learned residual (global LUT + local affine grid, the general model's
    prediction for the photo) on a 3840×2160 float32 linear frame, best of 3 after a warm-up:
    (a) eager ``kolors.core.residual.apply_residual`` on the whole frame;
    (b) the registry operation as the engine runs it: ``Plan(settings).run`` on the whole
        frame (settings = the residual only), then ``Enhancer.render`` of the same settings
        (tiles of 512, float32 linear in and out) and of the model's whole prediction
        (controls through their baked LUT stage, then the residual);
    (c) onnxruntime on the exported graph (``kolors.model.export``: network + apply step in one
        graph), at 4K and, to split off the network, at 16×16.

Weights: ``resources/models/kolors_<type>.pt`` (shipped) when present, else
``/work/train/kolors_<type>.pt`` (an interim training checkpoint), else a random checkpoint
(timings do not depend on the values). ``--weights-general``/``--weights-lite`` override.

Run from the repository root::

    PYTHONPATH=app .venv/bin/python bench/model.py [--size 3840x2160] [--no-onnx]

Prints a markdown section. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ROOT, best_of, fmt_ms, loadavg, md_table, print_header, resized, timed  # noqa: E402

TRAIN_DIR = Path("/work/train")


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pick_weights(model_type: str, override: str | None, tmp: Path) -> tuple[Path, str]:
    """The checkpoint to time and what it is."""
    if override:
        return Path(override), f"`{override}`"
    shipped = ROOT / "resources" / "models" / f"kolors_{model_type}.pt"
    if shipped.is_file():
        return shipped, f"shipped `resources/models/{shipped.name}`"
    interim = TRAIN_DIR / f"kolors_{model_type}.pt"
    if interim.is_file():
        return interim, f"interim training checkpoint `{interim}`"
    import torch
    from kolors.model.io import save_checkpoint
    from kolors.model.net import CONFIGS, KolorsNet
    torch.manual_seed(0)
    net = KolorsNet(CONFIGS[model_type])
    with torch.no_grad():  # non-trivial heads (the zero-initialised ones would give an identity residual)
        net.basis.normal_(0.0, 0.05)
        net.lut_w.weight.normal_(0.0, 0.3)
        net.local[-1].weight.normal_(0.0, 0.3)
        net.ctrl.weight.normal_(0.0, 0.3)
    return save_checkpoint(tmp / f"random_{model_type}.pt", net), "random (untrained) checkpoint"


def onnx_case(args, model, lin, ids, ref, tmp: Path, case) -> None:
    """(c): export the general model to ONNX and time it in onnxruntime."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from kolors.model.export import INPUT_NAMES, export
    from kolors.model.infer import thumb256
    t_exp, onnx_path = timed(lambda: export("onnx", tmp / "kolors_general.onnx", weights=model.source))
    so = ort.SessionOptions()
    so.intra_op_num_threads = torch.get_num_threads()
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    th = thumb256(lin).numpy()

    def feed(image: np.ndarray) -> dict:
        return dict(zip(INPUT_NAMES, [th, ids.numpy(), np.zeros_like(th), np.zeros(1, np.float32), image,
                                      np.ones(1, np.float32)]))
    big, small = feed(lin.numpy()), feed(np.ascontiguousarray(lin[:, :, :16, :16].numpy()))
    out_c = sess.run(None, big)[3]
    diff_c = float(np.abs(out_c - ref.numpy()).max())
    del out_c
    for _ in range(3):
        sess.run(None, small)
    t_small, _ = best_of(lambda: sess.run(None, small), args.net_repeats)
    case("(c) onnxruntime, exported graph (network + apply)", lambda: sess.run(None, big),
         f"network alone (16×16 image) {t_small * 1e3:.1f} ms; max diff to (a) {diff_c:.1e}; "
         f"legacy exporter, opset 17, export took {t_exp:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="3840x2160", help="frame size for the apply step (default 4K UHD)")
    ap.add_argument("--repeats", type=int, default=3, help="timed apply runs per case (best is reported)")
    ap.add_argument("--net-repeats", type=int, default=10, help="timed network calls (best is reported)")
    ap.add_argument("--no-onnx", action="store_true", help="skip the onnxruntime case")
    ap.add_argument("--weights-general")
    ap.add_argument("--weights-lite")
    ap.add_argument("--task", default="color_enhance")
    ap.add_argument("--threads", type=int, help="torch and onnxruntime threads (default: torch's, = cores)")
    args = ap.parse_args()
    W, H = map(int, args.size.lower().split("x"))
    cmd = "PYTHONPATH=app .venv/bin/python bench/model.py" + (f" --size {args.size}" if args.size != "3840x2160" else "")
    cmd += " --no-onnx" if args.no_onnx else ""
    cmd += f" --threads {args.threads}" if args.threads else ""
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    print_header(f"Learned model on the CPU: network and apply at {W}×{H}", cmd)

    import numpy as np
    import torch
    from kolors import Enhancer
    from kolors.core import registry
    from kolors.core.color import srgb_to_linear
    from kolors.core.pipeline import Plan
    from kolors.core.residual import apply_residual
    from kolors.model.infer import LearnedModel, thumb256
    from kolors.model.net import TASK_IDS

    tmpdir = tempfile.TemporaryDirectory()
    tmp = Path(tmpdir.name)
    mp = W * H / 1e6
    rgb8 = resized(W, H)
    lin = srgb_to_linear(torch.from_numpy(rgb8).permute(2, 0, 1)[None].float() / 255.0).contiguous()
    ids = torch.tensor([TASK_IDS[args.task]])
    if args.threads:  # again: importing the engine resets torch's thread count
        torch.set_num_threads(args.threads)
    print(f"- photo: kodim23 resized to {W}×{H}, float32 linear; task `{args.task}`; torch threads "
          f"{torch.get_num_threads()}")

    # (1) the network
    net_rows, models = [], {}
    for mt, override in (("general", args.weights_general), ("lite", args.weights_lite)):
        path, what = pick_weights(mt, override, tmp)
        model = LearnedModel.from_file(path, "cpu")
        models[mt] = model
        print(f"- {mt} weights: {what}")
        th = thumb256(lin)
        threads = torch.get_num_threads()
        per_threads = []
        for n in sorted({1, threads}):
            torch.set_num_threads(n)
            with torch.inference_mode():
                for _ in range(3):
                    model.net(th, ids)
                t_net, times = best_of(lambda: model.net(th, ids), args.net_repeats)
            per_threads += [f"{t_net * 1e3:.1f}", f"{sorted(times)[len(times) // 2] * 1e3:.1f}"]
        torch.set_num_threads(threads)
        t_pred, _ = best_of(lambda: model.predict(lin, args.task), 3)
        net_rows.append([mt, f"{model.net.n_params():,}", *per_threads, fmt_ms(t_pred)])
        progress(f"{mt}: network {' / '.join(per_threads)} ms, predict {t_pred * 1e3:.0f} ms")
    print()
    heads = []
    for n in sorted({1, torch.get_num_threads()}):
        heads += [f"network ms, {n} thread{'s' if n > 1 else ''} (best of {args.net_repeats})", "median ms"]
    print(md_table(["model", "parameters", *heads, f"`predict` on the {W}×{H} photo, ms (best of 3)"], net_rows))
    print()

    # (2) the apply step, with the general model's prediction for this photo
    model = models["general"]
    settings = model.predict(lin, args.task)
    lut = torch.as_tensor(np.asarray(settings["learned_lut"], np.float32))[None]
    grid = torch.as_tensor(np.asarray(settings["learned_grid"], np.float32))[None]
    residual = registry.validate_settings({"learned_lut": settings["learned_lut"],
                                           "learned_grid": settings["learned_grid"], "learned_strength": 1.0})
    rows = []
    reps = max(1, args.repeats)

    def case(name: str, fn, note: str = "") -> None:
        t_first, _ = timed(fn)
        t, _ = best_of(fn, reps)
        rows.append([name, fmt_ms(t_first), fmt_ms(t), f"{mp / t:,.1f}", f"{1 / t:.2f}", note])
        progress(f"{name}: {t:.3f} s ({mp / t:.1f} MP/s)")

    with torch.inference_mode():
        ref = apply_residual(lin, lut, grid, 1.0)
        case("(a) eager `apply_residual`, whole frame", lambda: apply_residual(lin, lut, grid, 1.0))
        plan = Plan(dict(residual))
        out_b = plan.run(lin)
        diff_b = float((out_b - ref).abs().max())
        case("(b) `Plan(residual).run`, whole frame", lambda: plan.run(lin),
             f"registry op `{'+'.join(plan.ops())}`; max diff to (a) {diff_b:.1e}")
        enh = Enhancer(model_type="classic", device="cpu")
        src = np.ascontiguousarray(lin[0].permute(1, 2, 0).numpy())
        case("(b) `Enhancer.render(residual)`, tiles of 512",
             lambda: enh.render(src, residual, linear=True, out_dtype=np.float32),
             "float32 linear in and out; includes the HWC↔tensor copies")
        full_plan = enh.plan(settings, max(1.0, float(src.max())))
        case("(b) `Enhancer.render(prediction)`, tiles of 512",
             lambda: enh.render(src, settings, linear=True, out_dtype=np.float32),
             f"controls + residual: {' → '.join(full_plan.ops())}; first call bakes the controls' LUT")
        del out_b

    if not args.no_onnx:
        try:
            onnx_case(args, model, lin, ids, ref, tmp, case)
        except Exception as e:  # noqa: BLE001 - report it in the table, keep the other rows
            rows.append(["(c) onnxruntime, exported graph", "—", "—", "—", "—", f"failed: {type(e).__name__}: {e}"])
    print(md_table(["apply path", "first call ms", f"best of {reps} ms", "MP/s", "frames/s", "note"], rows))
    print(f"\n- load average at the end (1/5/15 min): {loadavg()}")


if __name__ == "__main__":
    main()
