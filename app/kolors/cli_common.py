"""What every ``kolors`` command shares: the one error type, ``--set`` parsing, the checks of
input and output paths, and the grading flags the photo and video commands both take.

:mod:`kolors.cli`, :mod:`kolors.cli_video` and :mod:`kolors.cli_model` import this module;
none of them imports another's private names. Imports nothing heavy (``kolors --help``
stays fast): the registry and io are imported where they are used.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

__all__ = ["CliError", "IMAGE_SUFFIXES", "OUTPUT_SUFFIXES", "parse_sets", "check_input", "check_output", "task_flags",
           "engine_flags", "LEARNED_MODELS", "MODEL_TYPES"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
#: what ``-o`` may name: the images Kolors reads, and AVIF and JPEG XL it writes
OUTPUT_SUFFIXES = IMAGE_SUFFIXES + (".avif", ".jxl")
#: the learned model sizes, and with "classic" the model types an Enhancer takes
LEARNED_MODELS = ("general", "lite")
MODEL_TYPES = (*LEARNED_MODELS, "classic")


class CliError(Exception):
    """Bad command-line input: printed as one ``kolors: error: ...`` line, exit status 2."""


def parse_sets(items: Sequence[str] | None, masks: str | None = None) -> dict[str, Any]:
    """``--set name=value`` items as validated ``{parameter: value}`` (visible parameters
    only: those tasks set are refused), with ``masks``: the path of a ``--masks`` JSON file
    (:mod:`kolors.core.masks`), validated like ``--set``; its errors name the file and the
    field."""
    out: dict[str, Any] = {}
    if not items and masks is None:
        return out                  # imports nothing (a neutral RAW export stays torch-free)
    from .core import registry
    if masks is not None:
        from .core.masks import load_masks_file
        prm = registry.get_param("masks")
        try:
            out["masks"] = prm.validate(load_masks_file(masks, resolve_paths=True))
        except ValueError as e:
            msg = str(e).replace("parameter 'masks': ", "")
            raise CliError(msg if msg.startswith(str(masks)) else f"{masks}: {msg}") from None
    if not items:
        return out
    for item in items:
        if "=" not in item:
            raise CliError(f"--set expects name=value, got {item!r}")
        name, text = item.split("=", 1)
        name = name.strip()
        if name == "masks" and text.strip()[:1] not in "[{":   # --set masks=FILE.json is --masks
            out.update(parse_sets(None, text.strip()))
            continue
        prm = registry.get_param(name)
        if prm.hidden:
            raise CliError(f"parameter {name!r} is set by tasks and cannot be given with --set")
        out[name] = prm.validate(prm.parse(text))
    return out


def check_input(path: str) -> Path:
    """``path`` as a Path: an existing file (not a folder); ``CliError`` saying which."""
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}: no such file")
    if p.is_dir():
        raise CliError(f"{path}: is a folder, expected an image file")
    return p


def check_output(inp: Path | str | None, out: str, suffixes: Sequence[str] = OUTPUT_SUFFIXES,
                 what: str = "output") -> Path:
    """``out`` as a Path: not the input file (nor another name of it), a known suffix, an
    existing folder; ``CliError`` saying which."""
    from .io.atomic import same_file
    o = Path(out)
    if inp is not None and o.exists() and same_file(o, inp):
        raise CliError(f"{out}: refusing to overwrite the input file")
    if o.suffix.lower() not in suffixes:
        raise CliError(f"{out}: unknown {what} format {o.suffix or '(none)'}; use one of {', '.join(suffixes)}")
    if not o.parent.exists():
        raise CliError(f"{out}: folder {o.parent} does not exist")
    return o


def task_flags(g: argparse._ArgumentGroup, task_help: str, set_help: str) -> None:
    """``--task``, ``--intensity``, ``--preset``, ``--set`` and ``--reference``."""
    g.add_argument("--task", help=task_help)
    g.add_argument("--intensity", type=float, default=1.0, help="task strength in [0, 1] (default 1)")
    g.add_argument("--preset", help="preset name (see `kolors presets`) or a preset .json file")
    g.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    g.add_argument("--reference", help="reference photo for --task style_transfer")
    g.add_argument("--masks", metavar="FILE.json",
                   help="local adjustments: a JSON list of masks, each with its adjustments (see the README)")


def engine_flags(g: argparse._ArgumentGroup) -> None:
    """``--model`` and ``--device``."""
    g.add_argument("--model", default="general", choices=list(MODEL_TYPES),
                   help="learned model type, or classic methods (default general)")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
