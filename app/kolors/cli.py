"""The ``kolors`` command.

    kolors enhance IN -o OUT [--task T] [--intensity X] [--preset P] [--set name=value ...]
    kolors batch IN_DIR_OR_GLOB -o OUT_DIR [--format jpg|png|tiff] ...
    kolors presets [list|show NAME]
    kolors lut -o FILE.cube [--preset P] [--set ...] [--size 33]
    kolors info IN
    kolors params

IN may be a camera RAW (NEF, CR2, CR3, CRW, ARW, RAF, ORF, RW2, PEF, DNG, KDC, ...): it is
developed through LibRaw (``--raw-wb``, ``--raw-highlights``, ``--raw-demosaic``) and graded
from linear light; ``kolors info`` prints the camera, ISO, shutter, aperture and lens.

Bad input gives one line on stderr (``kolors: error: ...``), exit status 2, and no output
file. ``kolors`` with no arguments will open the desktop app.
"""
from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Sequence

from .cli_common import (IMAGE_SUFFIXES, MODEL_TYPES, CliError, check_input, check_output, engine_flags,
                         parse_sets, task_flags)

__all__ = ["main", "build_parser"]

FORMATS = {"jpg": ".jpg", "jpeg": ".jpg", "png": ".png", "tif": ".tif", "tiff": ".tif", "webp": ".webp",
           "avif": ".avif", "jxl": ".jxl"}


def _grading_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("grading")
    from .engine.task_table import TASK_NAMES
    task_flags(g, "one of: " + ", ".join(TASK_NAMES),
               "set a parameter, e.g. --set chroma_boost=1.3 (see `kolors params`)")
    engine_flags(g)
    g.add_argument("--tile-size", type=int, default=512, help="tile size of full-resolution renders")
    r = p.add_argument_group("camera RAW (NEF, CR2, CR3, CRW, ARW, RAF, ORF, RW2, DNG, ...)")
    r.add_argument("--raw-wb", choices=["as_shot", "auto", "daylight", "custom"], default=None,
                   help="white balance of the RAW development (default as_shot)")
    r.add_argument("--raw-temperature", type=float, metavar="K",
                   help="light temperature for --raw-wb custom (2000-15000 K)")
    r.add_argument("--raw-tint", type=float, help="tint for --raw-wb custom (-100..100, + = magenta)")
    r.add_argument("--raw-highlights", choices=["clip", "blend", "reconstruct"], default=None,
                   help="highlight handling (default blend: keeps headroom above white)")
    r.add_argument("--raw-demosaic", default=None, metavar="ALGO",
                   help="demosaic algorithm (default ahd; see `kolors info` of a RAW for the list)")
    o = p.add_argument_group("output")
    o.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality 1-100 (default 95)")
    o.add_argument("--bits", type=int, choices=[8, 16, 32], help="output bit depth (default: as the source)")
    from .core.colorimetry import OUTPUT_SPACES
    o.add_argument("--profile", default="srgb", choices=list(OUTPUT_SPACES),
                   help="colour space written, its ICC profile embedded (default srgb); the wide-gamut spaces keep "
                        "colours sRGB would clip (use --bits 16 for them)")
    o.add_argument("--output-sharpening", type=float, default=0.0, metavar="AMOUNT",
                   help="sharpening for the size written, 0-2 (default 0: none; 1 = screen)")


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version
    try:
        __version__ = version("kolors")
    except PackageNotFoundError:
        __version__ = "0.1.0 (source)"
    p = argparse.ArgumentParser(prog="kolors", description="Kolors colour grading: grade photos from the "
                                "command line, or run without arguments to open the app.")
    p.add_argument("--version", action="version", version=f"kolors {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    e = sub.add_parser("enhance", help="grade one photo")
    e.add_argument("input")
    e.add_argument("-o", "--output", required=True)
    _grading_args(e)

    b = sub.add_parser("batch", help="grade a folder or glob of photos")
    b.add_argument("input", help="folder, or a glob pattern in quotes")
    b.add_argument("-o", "--output", required=True, help="output folder (created)")
    b.add_argument("--format", choices=sorted(FORMATS), default="jpg", help="output format (default jpg)")
    b.add_argument("--suffix", default="", help="added to each output name before the extension")
    b.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (default) or ray: one task per photo on a Ray cluster (pip install 'kolors[ray]')")
    b.add_argument("--address", help="with --engine ray: the cluster (host:port, or auto); default: a local one")
    b.add_argument("--workers", type=int, help="with --engine ray: how many workers (default: one per CPU)")
    _grading_args(b)

    pr = sub.add_parser("presets", help="list presets, show one, or import Lightroom/Camera Raw presets")
    pr.add_argument("action", nargs="?", default="list", choices=["list", "show", "import"])
    pr.add_argument("name", nargs="?", help="show: a preset name; import: an .xmp preset or a folder of them")

    lt = sub.add_parser("lut", help="bake a preset/settings into a .cube LUT")
    lt.add_argument("-o", "--output", required=True)
    lt.add_argument("--preset")
    lt.add_argument("--set", action="append", metavar="NAME=VALUE")
    lt.add_argument("--size", type=int, default=33, help="LUT size (default 33)")

    i = sub.add_parser("info", help="describe an image file")
    i.add_argument("input")

    sub.add_parser("params", help="list the operations in pipeline order and their parameters "
                                  "(--set names, ranges, defaults)")

    g = sub.add_parser("gui", help="open the desktop app (also what `kolors` alone does)")
    g.add_argument("path", nargs="?", help="a photo or a folder to open")
    g.add_argument("--model", choices=list(MODEL_TYPES), default="general",
                   help="learned model of the tasks (default general)")
    g.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    g.add_argument("--smoke-export", metavar="OUT", help="check an installation: open PATH, apply --preset, "
                   "export to OUT through the window, exit 0 (1 on any error)")
    g.add_argument("--preset", help="with --smoke-export: the preset to apply")

    from .cli_model import add_model_commands
    add_model_commands(sub)
    from .cli_video import add_video_commands
    add_video_commands(sub)
    return p


def _enhancer(args: argparse.Namespace):
    from .engine.enhancer import Enhancer
    return Enhancer(model_type=args.model, device=args.device, mem_optim={"tile_size": args.tile_size})


def _raw_options(args: argparse.Namespace):
    """RawOptions from the --raw-* flags (None when none is given)."""
    given = {k: v for k, v in (("white_balance", args.raw_wb), ("temperature", args.raw_temperature),
                               ("tint", args.raw_tint), ("highlights", args.raw_highlights),
                               ("demosaic", args.raw_demosaic)) if v is not None}
    if not given:
        return None
    if ("temperature" in given or "tint" in given) and given.get("white_balance", "custom") != "custom":
        raise CliError("--raw-temperature/--raw-tint need --raw-wb custom")
    if "temperature" in given or "tint" in given:
        given["white_balance"] = "custom"
    from .io.raw import RawOptions
    try:
        return RawOptions(**given)
    except ValueError as e:
        raise CliError(str(e).replace("raw option 'white_balance'", "--raw-wb")
                       .replace("raw option 'temperature'", "--raw-temperature")
                       .replace("raw option 'tint'", "--raw-tint")
                       .replace("raw option 'highlights'", "--raw-highlights")
                       .replace("raw option 'demosaic'", "--raw-demosaic")) from None


def _grade_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.quality is not None and not 1 <= args.quality <= 100:
        raise CliError(f"--quality must be within 1..100, got {args.quality}")
    if not 0.0 <= args.output_sharpening <= 2.0:
        raise CliError(f"--output-sharpening must be within 0..2, got {args.output_sharpening:g}")
    kw = dict(task=args.task, intensity=args.intensity, reference=args.reference, preset=args.preset,
              quality=args.quality, bits=args.bits, **parse_sets(args.set, args.masks))
    if args.output_sharpening:
        kw["output_sharpening"] = args.output_sharpening
    if args.profile != "srgb":
        kw["profile"] = args.profile
    raw = _raw_options(args)
    if raw is not None:
        kw["raw_options"] = raw
    return kw


def _no_grade(args: argparse.Namespace) -> bool:
    """True when the flags ask for no grade: no task, preset, --set or reference, 8/16-bit
    output, and engine flags the Enhancer would accept (so that it still reports bad ones)."""
    return (args.task is None and args.preset is None and not args.set and not args.reference
            and args.masks is None
            and not args.output_sharpening and args.profile == "srgb" and args.bits in (None, 8, 16) and 0 <= args.intensity <= 1
            and 64 <= args.tile_size <= 16384 and str(args.device).strip().lower() in ("auto", "cpu"))


def _neutral_raw(args: argparse.Namespace, path: Path) -> bool:
    """A camera RAW with nothing to grade is developed by
    :func:`kolors.engine.encode.export_raw_neutral`: the Enhancer's file without importing
    torch (most of the start-up of a one-photo export)."""
    from .io.raw import is_raw
    return _no_grade(args) and is_raw(path)   # by suffix or content (a RAW named .jpg)


def _develop_neutral(src: Path, dst: Path, kw: dict[str, Any]) -> None:
    from .engine.encode import export_raw_neutral
    export_raw_neutral(src, dst, kw.get("raw_options"), quality=kw["quality"], bits=kw["bits"])


def cmd_enhance(args: argparse.Namespace) -> int:
    inp = check_input(args.input)
    out = check_output(inp, args.output)
    if args.reference:
        check_input(args.reference)
    kw = _grade_kwargs(args)
    if _neutral_raw(args, inp):
        _develop_neutral(inp, out, kw)
    else:
        _enhancer(args).enhance_file(inp, out, **kw)
    return 0


def _collect(pattern: str) -> list[Path]:
    p = Path(pattern)
    if p.is_dir():
        from .io.images import RAW_SUFFIXES
        files = sorted(x for x in p.iterdir()
                       if x.is_file() and (x.suffix.lower() in IMAGE_SUFFIXES or x.suffix.lower() in RAW_SUFFIXES))
    else:
        files = sorted(Path(x) for x in glob.glob(pattern) if Path(x).is_file())
        if not files and not any(c in pattern for c in "*?["):
            raise CliError(f"{pattern}: no such file or folder")
    if not files:
        raise CliError(f"{pattern}: no images found")
    return files


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm
    files = _collect(args.input)
    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    kw = _grade_kwargs(args)
    ext = FORMATS[args.format]
    if args.engine == "ray":
        return _batch_ray(args, files, outdir, ext, kw)
    if args.address or args.workers:
        raise CliError("--address and --workers go with --engine ray")
    enh = None if _no_grade(args) else _enhancer(args)  # with no grade: made for the first non-RAW photo
    failed = 0
    for f in tqdm(files, desc="kolors batch", unit="photo", file=sys.stderr, disable=None):
        dst = outdir / f"{f.stem}{args.suffix}{ext}"
        try:
            if dst.resolve() == f.resolve():
                raise CliError(f"{f}: refusing to overwrite the input file")
            if _neutral_raw(args, f):
                _develop_neutral(f, dst, kw)
            else:
                if enh is None:
                    enh = _enhancer(args)
                enh.enhance_file(f, dst, **kw)
        except Exception as e:  # noqa: BLE001 - a failing file is reported, the batch goes on
            failed += 1
            tqdm.write(f"kolors: error: {_msg(e, f)}", file=sys.stderr)
    done = len(files) - failed
    print(f"{done} of {len(files)} photos graded into {outdir}" + (f"; {failed} failed" if failed else ""),
          file=sys.stderr)
    return 1 if failed else 0


def _batch_ray(args: argparse.Namespace, files: list[Path], outdir: Path, ext: str, kw: dict[str, Any]) -> int:
    """The batch on Ray (:func:`kolors.engine.batch_ray.run_ray_batch`): the same job per photo,
    the same report."""
    from tqdm import tqdm

    from .engine.batch_ray import run_ray_batch
    if args.workers is not None and args.workers < 1:
        raise CliError(f"--workers must be at least 1, got {args.workers}")
    items, failed = [], 0
    for f in files:
        dst = outdir / f"{f.stem}{args.suffix}{ext}"
        if dst.resolve() == f.resolve():
            failed += 1
            print(f"kolors: error: {f}: refusing to overwrite the input file", file=sys.stderr)
            continue
        items.append((f, dst, _neutral_raw(args, f)))
    engine = {"model_type": args.model, "device": args.device, "mem_optim": {"tile_size": args.tile_size}}
    bar = tqdm(total=len(items), desc="kolors batch (ray)", unit="photo", file=sys.stderr, disable=None)

    def done(i: int, err: str) -> None:
        bar.update(1)
        if err:
            tqdm.write(f"kolors: error: {err}", file=sys.stderr)

    try:
        errors = run_ray_batch(items, engine, kw, address=args.address, workers=args.workers, on_result=done)
    except RuntimeError as e:
        raise CliError(str(e)) from None
    finally:
        bar.close()
    failed += len(errors)
    print(f"{len(files) - failed} of {len(files)} photos graded into {outdir}" + (f"; {failed} failed" if failed else ""),
          file=sys.stderr)
    return 1 if failed else 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .io.presets import get_preset, list_presets
    if args.action == "list":
        for name in list_presets():
            pr = get_preset(name)
            print(f"{name:16s} {'(user) ' if pr.user else ''}{pr.description}")
        return 0
    if args.action == "import":
        return _import_presets(args.name)
    if not args.name:
        raise CliError("presets show needs a preset name")
    pr = get_preset(args.name)
    print(json.dumps(pr.to_json(), indent=2))
    return 0


def _import_presets(src: str | None) -> int:
    """``kolors presets import FILE.xmp|DIR``: one line per imported preset, one warning line
    per preset naming what had no counterpart; bad files are named and make the exit non-zero."""
    from .io.presets import ImportFailed, import_xmp_presets
    if not src:
        raise CliError("presets import needs an .xmp preset or a folder of them")
    try:
        done = import_xmp_presets(src)
        failed = None
    except ImportFailed as e:
        done, failed = e.imported, e
    for imp in done:
        print(f"imported {imp.name} from {imp.source}")
        if imp.warning:
            print(f"kolors: warning: {imp.warning}", file=sys.stderr)
    if failed is not None:
        raise CliError(str(failed))
    return 0


def cmd_lut(args: argparse.Namespace) -> int:
    from .engine.enhancer import Enhancer
    out = Path(args.output)
    if out.suffix.lower() != ".cube":
        raise CliError(f"{args.output}: the LUT file must end in .cube")
    if not out.parent.exists():
        raise CliError(f"{args.output}: folder {out.parent} does not exist")
    enh = Enhancer(model_type="classic", device="cpu")
    if args.preset:
        enh.set_preset(args.preset)
    enh.set_params(**parse_sets(args.set))
    enh.export_lut(out, size=args.size, title=f"Kolors {args.preset or 'custom'}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .io.images import image_info
    from .io.raw import DEMOSAICS, is_raw, raw_info
    path = check_input(args.input)
    if is_raw(path):
        got = raw_info(path)
        info = {k: got.pop(k) for k in ("path", "format", "width", "height", "bits", "orientation")}
        for k in ("camera_make", "camera_model", "lens", "iso", "exposure_time", "f_number", "focal_length"):
            info[k] = got.pop(k, "(not recorded)")
        info.update(got)
        info["raw_demosaic"] = ", ".join(DEMOSAICS)
    else:
        info = image_info(path)
    for k, v in info.items():
        print(f"{k:14s} {v}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from .core import registry
    for row in registry.pipeline_table():
        op = registry.get_op(row["name"])
        print(f"{row['position']:2d}. {op.label} ({row['name']}, {row['group']}, {row['kind']}, version {row['version']})")
        for k in row["params"]:
            print(f"      {k:26s} {op.params[k].describe()}")
    return 0


def _msg(e: BaseException, path: Any = None) -> str:
    text = str(e) or type(e).__name__
    if isinstance(e, OSError) and getattr(e, "filename", None) is None and path is not None:
        text = f"{path}: {text}"
    if isinstance(e, OSError) and e.filename:
        text = f"{e.filename}: {e.strerror or text}"
    return " ".join(text.split())


def cmd_gui(args: argparse.Namespace) -> int:
    from .gui.app import run_gui
    if args.path and not Path(args.path).exists():
        raise CliError(f"{args.path}: no such file or folder")
    return run_gui(args.path, model_type=args.model, device=args.device, smoke_export=args.smoke_export,
                   preset=args.preset)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        try:
            from .gui.app import run_gui
        except ImportError as e:
            print(f"kolors: the desktop app is not available ({e}); see `kolors --help`", file=sys.stderr)
            return 2
        return run_gui()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="kolors: %(message)s")
    if not args.verbose:
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"kolors\..*")
    # a warning for the person (an ICC profile that cannot be used, NaN pixels, a dropped
    # alpha channel) is one line like the errors, not Python's file:line format
    warnings.showwarning = lambda message, category, *a, **k: print(  # noqa: E731
        f"kolors: warning: {' '.join(str(message).split())}", file=sys.stderr)
    handlers = {"enhance": cmd_enhance, "batch": cmd_batch, "presets": cmd_presets, "lut": cmd_lut,
                "info": cmd_info, "params": cmd_params, "gui": cmd_gui}
    from .cli_model import MODEL_HANDLERS
    handlers.update(MODEL_HANDLERS)
    from .cli_video import VIDEO_HANDLERS
    handlers.update(VIDEO_HANDLERS)
    if args.cmd is None:
        parser.print_help()
        return 0
    try:
        return handlers[args.cmd](args)
    except KeyboardInterrupt:
        print("kolors: interrupted", file=sys.stderr)
        return 130
    except (CliError, ValueError, OSError, MemoryError) as e:
        print(f"kolors: error: {_msg(e, getattr(args, 'input', None))}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("KOLORS_DEBUG"):
            raise
        print(f"kolors: error: {type(e).__name__}: {_msg(e)}", file=sys.stderr)
        return 1
