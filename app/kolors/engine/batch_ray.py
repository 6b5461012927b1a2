"""``kolors batch --engine ray``: the same per-photo job as the local batch, on a Ray cluster.

One Ray task per photo, run by a pool of actors (one per worker slot) that each load the
engine — and so the learned model — once and grade photo after photo with
:meth:`~kolors.engine.enhancer.Enhancer.enhance_file`, the local batch's own call: outputs are
written by the worker, atomically (temporary file, then rename), so a photo graded on the
cluster is byte-identical to the one graded here. Results come back as each photo finishes:
progress and failures are reported as the local batch reports them, and one failing photo
does not stop the others.

Paths are made absolute; on a cluster of several machines the input and output folders must
be on storage every node sees at the same path (NFS, a mounted bucket). Ray is an optional
extra (``pip install 'kolors[ray]'``); the local batch never imports it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = ["run_ray_batch", "RAY_MISSING"]

RAY_MISSING = "kolors batch --engine ray needs Ray: pip install 'kolors[ray]' (or pip install 'ray>=2.9,<3')"


class _Grader:
    """The actor: one engine per worker process, loaded once."""

    def __init__(self, engine_args: dict[str, Any], threads: int):
        import torch
        torch.set_num_threads(max(1, int(threads)))
        from .enhancer import Enhancer
        self.enh = Enhancer(**engine_args)

    def grade(self, index: int, src: str, dst: str, kw: dict[str, Any], neutral: bool) -> tuple[int, str]:
        """Grade one photo (``neutral``: a RAW with nothing to grade, developed as the local
        batch does, :func:`~kolors.engine.encode.export_raw_neutral`); returns (index, '' or
        the error message naming the file)."""
        try:
            if neutral:
                from .encode import export_raw_neutral
                export_raw_neutral(src, dst, kw.get("raw_options"), quality=kw["quality"], bits=kw["bits"])
            else:
                self.enh.enhance_file(src, dst, **kw)
            return index, ""
        except Exception as e:  # noqa: BLE001 - reported per photo, the batch goes on
            msg = str(e)
            return index, msg if src in msg or Path(src).name in msg else f"{src}: {msg}"


def run_ray_batch(items: Iterable[tuple[Path, Path, bool]], engine_args: dict[str, Any], kw: dict[str, Any], *,
                  address: str | None = None, workers: int | None = None, threads: int = 1,
                  on_result: Callable[[int, str], None] | None = None) -> list[str]:
    """Grade ``items`` (source, destination, neutral RAW) on Ray: the cluster at ``address`` (``host:port``
    or ``auto``), else a local one started here. ``workers`` actors (default: one per CPU the
    cluster offers, at most one per photo), each with ``threads`` torch threads; ``kw``: the
    grading keywords of :meth:`Enhancer.enhance_file`. ``on_result(i, error)`` is called as each
    photo finishes (``error`` '' when it went well). Returns the error messages."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise RuntimeError(RAY_MISSING) from None
    items = [(str(Path(s).resolve()), str(Path(d).resolve()), bool(n)) for s, d, n in items]
    if not items:
        return []
    started = not ray.is_initialized()
    if started:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False,
                 configure_logging=False)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = max(1, min(len(items), workers or max(1, cpus // max(1, threads))))
        actor = ray.remote(num_cpus=threads)(_Grader)
        pool = ActorPool([actor.remote(engine_args, threads) for _ in range(n)])
        errors: list[str] = []
        jobs = ((i, s, d, nr) for i, (s, d, nr) in enumerate(items))
        done: set[int] = set()
        try:
            for i, err in pool.map_unordered(lambda a, j: a.grade.remote(j[0], j[1], j[2], kw, j[3]), jobs):
                done.add(i)
                if err:
                    errors.append(err)
                if on_result is not None:
                    on_result(i, err)
        except ray.exceptions.RayError as e:
            # a worker that died or could not start (e.g. no CUDA on the node): the photos not
            # graded are reported, one line each, and the batch ends with its summary
            why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            for i, (s, _, _) in enumerate(items):
                if i not in done:
                    msg = f"{s}: not graded: a Ray worker failed ({why})"
                    errors.append(msg)
                    if on_result is not None:
                        on_result(i, msg)
        return errors
    finally:
        if started:
            ray.shutdown()
