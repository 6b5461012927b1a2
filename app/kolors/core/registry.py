"""The operation registry: one file per operation under ``kolors.core.ops``.

An operation subclasses :class:`Op`, declares its parameters as class attributes
(:mod:`kolors.core.params`) and is registered with ``@register_op(group=...)``; its place
in the pipeline is its position in :data:`kolors.core.ops.PIPELINE`, the one table of the
order. Parameter names are global (``--set chroma_boost=1.4``, preset and sidecar keys), so
the registry refuses duplicates. Everything else — CLI flags, preset/sidecar validation,
pipeline order, tile halo, GUI sliders, the generic operation tests — is derived here.

Parameters outlive the code: every operation has a ``version``; presets and sidecars store
``{op: version}`` of every operation beside the values (:func:`op_versions`), and
:func:`upgrade_settings` brings stored values from their version to the current one through
each operation's :meth:`Op.upgrade` (darktable's ``legacy_params``) before they are validated.
A file without that table predates versioning: all its operations are version 1.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch

from .params import Param, RenderContext

__all__ = ["Op", "register_op", "ops", "get_op", "params", "get_param", "validate_settings", "blend_settings",
           "defaults", "active_ops", "settings_to_json", "settings_key", "op_versions", "upgrade_settings",
           "pipeline_table", "needs_photo_stats", "fill_photo_stats"]


class Op:
    """Base class of an operation.

    ``process(img, p, ctx)`` takes ``img``: a ``(B,3,H,W)`` float tensor of linear sRGB
    (D65, white = 1, values above 1 allowed) and ``p``: a dict of this operation's
    parameter values; it returns a tensor of the same shape and dtype. At its defaults an
    operation is skipped, so it is the exact identity. ``pointwise`` operations depend
    only on each pixel's colour (they are baked into a 3D LUT); others must report the
    pixels of context they need via :meth:`halo` so tiles can be rendered seamlessly.
    """

    name: str = ""
    order: int = 0
    group: str = ""
    version: int = 1
    pointwise: bool = True
    #: True for the framing operation: the engine resamples the photo with it before a plan
    #: runs (:mod:`kolors.engine.framing`); plans and :func:`active_ops` leave it out
    frames: bool = False
    label: str = ""
    #: the parameters, filled in by :func:`register_op` in declaration order
    params: dict[str, Param] = {}

    def is_identity(self, p: Mapping[str, Any]) -> bool:
        """True when this operation would not change the image (all defaults)."""
        return all(self.params[k].is_default(p[k]) for k in self.params)

    def halo(self, p: Mapping[str, Any], ctx: RenderContext) -> int:
        """Pixels of context on each side a tile needs (0 for pointwise operations)."""
        return 0

    def gain(self, p: Mapping[str, Any]) -> tuple[float, float, float] | None:
        """Per-channel linear gains when ``process`` is exactly ``img * gain`` (the render
        plan then folds it into the LUT's input shaper), else None."""
        return None

    def process(self, img: torch.Tensor, p: Mapping[str, Any], ctx: RenderContext) -> torch.Tensor:
        raise NotImplementedError

    def photo_stats(self, p: Mapping[str, Any], thumb: torch.Tensor) -> dict[str, Any] | None:
        """Photo-level statistics this operation needs (dehaze's airlight, say), as values of
        its hidden parameters, or None (the default: it needs none).

        ``thumb`` is the whole photo's thumbnail ((1,3,h,w) linear, the one the tasks look
        at) as it reaches this operation. :func:`fill_photo_stats` calls this once per photo
        and edit, so every tile of an export and every preview use the same values."""
        return None

    def upgrade(self, old_version: int, values: dict[str, Any]) -> dict[str, Any]:
        """Bring this operation's stored values from ``old_version`` (< ``version``) to the
        current version and return the settings dict.

        ``values`` is the whole flat ``{param: value}`` dict as it was stored (JSON values,
        the names of ``old_version``, other operations' keys included: leave those alone).
        An operation that raises its ``version`` must override this: rename keys, convert
        values so the photo renders as it did. The base class knows no older version and
        refuses, so a forgotten upgrade cannot silently misread an edit."""
        raise ValueError(f"operation {self.name!r}: no upgrade from version {old_version} to {self.version}")

    def __repr__(self) -> str:
        return f"<op {self.name} order={self.order} {'pointwise' if self.pointwise else 'spatial'}>"


_OPS: dict[str, Op] = {}
_PARAMS: dict[str, tuple[Op, Param]] = {}
_loaded = False


def register_op(group: str, name: str | None = None) -> Callable[[type], type]:
    """Class decorator: register an :class:`Op` subclass under ``name`` (default: the
    module's last component). Its pipeline position is the name's index in
    :data:`kolors.core.ops.PIPELINE`; a name missing from that table is refused."""
    from .ops import PIPELINE

    def deco(cls: type) -> type:
        op_name = name or cls.__module__.rsplit(".", 1)[-1]
        if op_name not in PIPELINE:
            raise RuntimeError(f"operation {op_name!r} is not in kolors.core.ops.PIPELINE: add it where it runs")
        order = PIPELINE.index(op_name)
        if not isinstance(cls.version, int) or isinstance(cls.version, bool) or cls.version < 1:
            raise RuntimeError(f"operation {op_name!r}: version must be an integer >= 1, got {cls.version!r}")
        ps: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for k, v in vars(klass).items():
                if isinstance(v, Param):
                    ps[k] = v
        for k, prm in ps.items():
            prm.name = k
            if k in _PARAMS and _PARAMS[k][0].name != op_name:
                raise RuntimeError(f"parameter {k!r} of op {op_name!r} already declared by {_PARAMS[k][0].name!r}")
        cls.name, cls.order, cls.group, cls.params = op_name, order, group, ps
        if not cls.label:
            cls.label = op_name.replace("_", " ").capitalize()
        inst = cls()
        if op_name in _OPS:
            raise RuntimeError(f"operation {op_name!r} registered twice")
        _OPS[op_name] = inst
        for k, prm in ps.items():
            _PARAMS[k] = (inst, prm)
        return cls

    return deco


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import ops as pkg
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not m.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{m.name}")
    missing = [n for n in pkg.PIPELINE if n not in _OPS]
    if missing or len(set(pkg.PIPELINE)) != len(pkg.PIPELINE):
        raise RuntimeError(f"kolors.core.ops.PIPELINE lists operations without a module or twice: {missing or pkg.PIPELINE}")


def ops() -> list[Op]:
    """All registered operations in pipeline order."""
    _load()
    return sorted(_OPS.values(), key=lambda o: (o.order, o.name))


def get_op(name: str) -> Op:
    _load()
    try:
        return _OPS[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; valid: {', '.join(sorted(_OPS))}") from None


def params(include_hidden: bool = False) -> dict[str, Param]:
    """Every parameter by global name, in pipeline order."""
    _load()
    out: dict[str, Param] = {}
    for op in ops():
        for k, prm in op.params.items():
            if include_hidden or not prm.hidden:
                out[k] = prm
    return out


def get_param(name: str) -> Param:
    _load()
    try:
        return _PARAMS[name][1]
    except KeyError:
        valid = ", ".join(sorted(k for k, (_, p) in _PARAMS.items() if not p.hidden))
        raise ValueError(f"unknown parameter {name!r}; valid parameters: {valid}") from None


def defaults(include_hidden: bool = True) -> dict[str, Any]:
    return {k: p.default for k, p in params(include_hidden).items()}


def validate_settings(settings: Mapping[str, Any], allow_hidden: bool = True) -> dict[str, Any]:
    """Validate and normalise a flat ``{param: value}`` mapping against the registry.

    Raises ``ValueError`` naming the parameter and the valid choices or range."""
    out: dict[str, Any] = {}
    for k, v in settings.items():
        prm = get_param(k)
        if prm.hidden and not allow_hidden:
            raise ValueError(f"parameter {k!r} is set by tasks and cannot be given here")
        out[k] = prm.validate(v)
    return out


def blend_settings(settings: Mapping[str, Any], t: float, keep: Iterable[str] = ()) -> dict[str, Any]:
    """Every value moved toward its parameter's default by ``t`` (0: all defaults, i.e.
    the identity; 1: ``settings`` as they are), except the names in ``keep``."""
    keep = frozenset(keep)
    return {k: v if k in keep else get_param(k).lerp(v, t) for k, v in settings.items()}


def settings_to_json(settings: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of validated settings (arrays become lists)."""
    return {k: get_param(k).to_json(v) for k, v in settings.items()}


def settings_key(settings: Mapping[str, Any], extra: Any = None) -> str:
    """A stable hex digest of a settings dict (arrays rounded to 7 decimals, so the same
    edit read back from JSON gives the same key) plus ``extra`` (e.g. the source maximum):
    the one key of every cache of plans, renders and previews."""
    h = hashlib.sha1()
    plain = {}
    for k, v in sorted(settings.items()):
        if isinstance(v, np.ndarray):    # bytes of the rounded values: ~100× faster than JSON of 18k floats
            a = np.ascontiguousarray(np.asarray(v, np.float64).round(7))
            h.update(f"{k}:{a.shape}:".encode())
            h.update((a + 0.0).tobytes())  # + 0.0: -0.0 and 0.0 hash alike
        else:
            plain[k] = v
    h.update(json.dumps(plain, sort_keys=True, default=str).encode())
    h.update(repr(extra).encode())
    return h.hexdigest()


def op_versions(*settings: Mapping[str, Any]) -> dict[str, int]:
    """``{op name: version}`` in pipeline order: what presets and sidecars store beside their
    values. With ``settings`` dicts, only the operations that own one of their keys (an
    operation with no stored value needs no upgrade); without, every operation."""
    keys = set().union(*(s.keys() for s in settings)) if settings else None
    return {op.name: op.version for op in ops() if keys is None or any(k in keys for k in op.params)}


def upgrade_settings(values: Mapping[str, Any], versions: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored settings (JSON values) brought to the current operation versions.

    ``versions`` is the file's ``{op: version}`` table, or None for a file written before
    versioning (every operation then counts as version 1). An operation the table does not
    name was unknown to the program that wrote the file, so none of its parameters are in
    it. Raises ``ValueError`` naming the operation when the table is malformed, names an
    operation this program does not have, or an operation's version is newer than this
    program's (the edit was saved by a newer Kolors). Validation comes after, as usual."""
    out = dict(values)
    if versions is None:
        versions = {op.name: 1 for op in ops()}
    if not isinstance(versions, Mapping):
        raise ValueError(f"operation versions must be an object of {{operation: version}}, got {versions!r}")
    _load()
    unknown = sorted(k for k in versions if k not in _OPS)
    if unknown:
        raise ValueError(f"unknown operation(s) {', '.join(map(repr, unknown))} in the operation versions "
                         "(saved by a newer Kolors?)")
    for op in ops():
        if op.name not in versions:
            continue
        v = versions[op.name]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"operation {op.name!r}: version must be an integer >= 1, got {v!r}")
        if v > op.version:
            raise ValueError(f"operation {op.name!r} was saved at version {v}, newer than this Kolors' "
                             f"version {op.version}: update Kolors to open it")
        if v < op.version:
            out = op.upgrade(v, out)
            if not isinstance(out, dict):
                raise RuntimeError(f"operation {op.name!r}: upgrade() must return a dict")
    return out


def needs_photo_stats(settings: Mapping[str, Any]) -> bool:
    """True when an operation that ``settings`` switch on computes photo-level statistics."""
    return any(type(op).photo_stats is not Op.photo_stats for op, _ in active_ops(settings))


def fill_photo_stats(settings: Mapping[str, Any], thumb: torch.Tensor) -> dict[str, Any]:
    """``settings`` with the photo-level statistics of its operations (:meth:`Op.photo_stats`)
    computed from ``thumb`` ((1,3,h,w) linear: the whole photo, small). The operations before
    each one that needs statistics run on the thumbnail directly (no table), at the
    thumbnail's own scale. Settings that need none come back as they are (a copy)."""
    out = dict(settings)
    act = active_ops(settings)
    need = [i for i, (op, _) in enumerate(act) if type(op).photo_stats is not Op.photo_stats]
    if not need:
        return out
    x = thumb.float()
    ctx = RenderContext(full_size=(int(x.shape[-2]), int(x.shape[-1])))
    with torch.inference_mode():
        for i, (op, p) in enumerate(act[: need[-1] + 1]):
            if i in need:
                stats = op.photo_stats(p, x) or {}
                stats = validate_settings(stats)
                out.update(stats)
                p = {**p, **stats}
            if i < need[-1]:
                x = op.process(x, p, ctx)
    return out


def pipeline_table() -> list[dict[str, Any]]:
    """The pipeline in order, one row per operation: position, name, group, version,
    pointwise or spatial, and its visible parameters (``kolors params`` prints it)."""
    return [{"position": i + 1, "name": op.name, "group": op.group, "version": op.version,
             "kind": "pointwise" if op.pointwise else "spatial",
             "params": [k for k, prm in op.params.items() if not prm.hidden]}
            for i, op in enumerate(ops())]


def op_values(op: Op, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: settings.get(k, prm.default) for k, prm in op.params.items()}


def active_ops(settings: Mapping[str, Any]) -> list[tuple[Op, dict[str, Any]]]:
    """The operations that change the image under ``settings``, in pipeline order, each
    with its parameter values (not the framing: the engine applies it before)."""
    out = []
    for op in ops():
        if op.frames:
            continue
        p = op_values(op, settings)
        if not op.is_identity(p):
            out.append((op, p))
    return out


def iter_groups() -> Iterable[tuple[str, list[Op]]]:
    """Operations grouped by ``group`` in pipeline order (for the GUI panel)."""
    seen: dict[str, list[Op]] = {}
    for op in ops():
        seen.setdefault(op.group, []).append(op)
    return seen.items()
