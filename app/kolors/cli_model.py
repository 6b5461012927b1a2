"""``kolors train``, ``kolors eval`` and ``kolors export``: the learned model's commands."""
from __future__ import annotations

import argparse
from typing import Any

from .cli_common import LEARNED_MODELS

__all__ = ["add_model_commands", "MODEL_HANDLERS"]


def add_model_commands(sub: Any) -> None:
    t = sub.add_parser("train", help="train the learned enhancer on a folder of photos")
    t.add_argument("--data", required=True, help="folder of photos (searched recursively)")
    t.add_argument("--stage", choices=["pretrain", "multitask", "finetune", "illuminant"], default="multitask",
                   help="illuminant: the illuminant/exposure/need estimator shared by both models "
                        "(resources/models/kolors_illuminant.pt)")
    t.add_argument("--model", choices=list(LEARNED_MODELS), default="general", help="model size (default general)")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--steps", type=int, default=100, help="steps per epoch (default 100)")
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--out", required=True, help="checkpoint written after every epoch")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resume", action="store_true", help="continue from --out where it stopped")
    t.add_argument("--init", help="weights to start from (e.g. the pretrain checkpoint; finetune: "
                   "default the shipped weights)")
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    t.add_argument("--grad-checkpoint", action="store_true", help="gradient checkpointing (less memory)")
    t.add_argument("--threads", type=int, help="CPU threads for torch")
    t.add_argument("--ship", metavar="FILE", help="also write the inference-only weights here")
    t.add_argument("--tasks", nargs="+", metavar="TASK", help="multitask/finetune: train on these learned "
                   "tasks only, in turn through each batch (default: all seven; a task named twice gets "
                   "twice the share)")
    t.add_argument("--only", choices=["task_embedding"], help="train only the task embedding rows of --tasks "
                   "(every other weight stays bit-identical, so the other tasks do not change)")

    ev = sub.add_parser("eval", help="measure the model and the classical baselines on degraded photos")
    ev.add_argument("--data", required=True, help="folder of clean photos")
    ev.add_argument("--tasks", nargs="+", help="tasks to measure (default: every learned task)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--limit", type=int, help="use only the first N photos")
    ev.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ev.add_argument("--weights", nargs=2, metavar=("GENERAL", "LITE"), help="checkpoints to use instead of "
                    "the shipped ones")

    ca = sub.add_parser("calibrate", help="fit each task's learned-residual strength on held-out photos")
    ca.add_argument("--data", required=True, help="folder of photos the model was not trained on")
    ca.add_argument("--weights", required=True, help="checkpoint to calibrate")
    ca.add_argument("-o", "--output", required=True, help="checkpoint written with the fitted strengths "
                    "(may be --weights itself)")
    ca.add_argument("--tasks", nargs="+", metavar="TASK", help="tasks to fit (default: every learned task)")
    ca.add_argument("--samples", type=int, default=48, help="crops per task (default 48)")
    ca.add_argument("--seed", type=int, default=0)

    ex = sub.add_parser("export", help="export the learned model to TorchScript or ONNX")
    ex.add_argument("--format", choices=["torchscript", "onnx"], required=True)
    ex.add_argument("-o", "--output", required=True)
    ex.add_argument("--model", choices=list(LEARNED_MODELS), default="general")
    ex.add_argument("--weights", help="checkpoint to export instead of the shipped one")


def cmd_train(args: argparse.Namespace) -> int:
    from .model.train import TrainOptions, train
    out = train(TrainOptions(data=args.data, out=args.out, stage=args.stage, model_type=args.model,
                             epochs=args.epochs, batch=args.batch, steps_per_epoch=args.steps, lr=args.lr,
                             seed=args.seed, resume=args.resume, init=args.init, device=args.device,
                             grad_checkpoint=args.grad_checkpoint, threads=args.threads,
                             tasks=tuple(args.tasks) if args.tasks else None, only=args.only))
    if args.ship and args.stage == "illuminant":  # already inference-only
        from .io.atomic import atomic_write
        data = out.read_bytes()
        atomic_write(args.ship, lambda f: f.write(data))
    elif args.ship:
        from .model.io import ship_weights
        ship_weights(out, args.ship)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .engine.evaluate import evaluate, format_table
    rows = evaluate(args.data, tasks=args.tasks, seed=args.seed, limit=args.limit,
                    weights=tuple(args.weights) if args.weights else None)
    print(format_table(rows, markdown=args.markdown))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .model.calibrate import calibrate, write_calibration
    from .model.infer import LearnedModel
    res = calibrate(LearnedModel.from_file(args.weights), args.data, tasks=args.tasks, samples=args.samples,
                    seed=args.seed)
    head = "strength " + " ".join(f"{s:>5.1f}" for s in next(iter(res.values()))["strengths"])
    print(f"{'task':24s} fitted  mean loss (ΔE2000 + 10·(1 − SSIM)) at {head}")
    for task, r in res.items():
        print(f"{task:24s} {r['strength']:5.1f}   " + " ".join(f"{v:5.2f}" for v in r["loss"]))
    write_calibration(args.weights, args.output, res, args.data, args.seed)
    print(f"wrote {args.output}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .model.export import export
    export(args.format, args.output, model_type=args.model, weights=args.weights)
    return 0


MODEL_HANDLERS = {"train": cmd_train, "eval": cmd_eval, "calibrate": cmd_calibrate, "export": cmd_export}
