"""The edit of one photo, how it is saved, and the one rule for loading it.

:class:`Edit` is non-destructive: a preset, a task with its intensity and the values the
task chose (``task_result``: the sliders "Auto" set plus hidden parameters such as the
learned model's tables), the person's own slider values on top, and the reference photo of
style transfer. ``Edit.to_json()`` is plain JSON data (arrays packed exactly as float32, see
:func:`kolors.core.params.pack_array`), with ``"ops"``: the ``{operation: version}`` table
of the program that wrote it, so a later Kolors can upgrade the values
(:func:`kolors.core.registry.upgrade_settings`) and render the photo as it was.

:func:`load_edit` is the rule every front end uses to open a photo's sidecar (the desktop
app when it opens a photo and when it exports a batch, ``kolors batch``): a missing sidecar
is an unedited photo; one that cannot be used (not JSON, another schema, a newer schema or
operation version, values that do not validate) is set aside next to the photo and
reported, never overwritten or silently dropped; an unreadable one is reported and the photo
opens unedited. :func:`save_edit` writes atomically and never touches the photo.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..core import registry
from . import tasks as T

__all__ = ["Edit", "LoadedEdit", "load_edit", "save_edit", "photo_defaults", "lightroom_edit"]


@dataclass
class Edit:
    """The edit of one photo. ``settings()`` merges the photo's defaults < preset < task
    result (blended by ``intensity``) < ``params`` into one validated settings dict (what is
    rendered). ``defaults`` are starting values the photo itself suggested when it was first
    opened (a RAW's luminance noise reduction from its ISO,
    :meth:`~kolors.engine.session.PhotoSession.photo_defaults`); they are saved with the
    edit, so a later change of that rule does not change an edited photo."""

    preset: str | None = None
    task: str | None = None
    intensity: float = 1.0
    task_result: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    reference: str | None = None
    #: videos: smoothing of the per-frame learned parameters over time (0–TEMPORAL_SMOOTH_MAX)
    temporal_smooth: float = 0.0
    defaults: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.defaults)
        if self.preset:
            from ..io.presets import get_preset
            out.update(get_preset(self.preset).settings)
        if self.task and self.task_result:
            out.update(registry.validate_settings(T.blend(dict(self.task_result), float(self.intensity))))
        out.update(self.params)
        return out

    def is_unedited(self) -> bool:
        return not (self.preset or self.task or self.params or self.reference or self.temporal_smooth)

    def copy(self) -> "Edit":
        return copy.deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data, with the operation versions it was written at (``"ops"``)."""
        return {"preset": self.preset, "task": self.task, "intensity": float(self.intensity),
                "task_result": registry.settings_to_json(self.task_result),
                "params": registry.settings_to_json(self.params), "reference": self.reference,
                "temporal_smooth": float(self.temporal_smooth),
                "defaults": registry.settings_to_json(self.defaults),
                "ops": registry.op_versions(self.task_result, self.params, self.defaults)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Edit":
        """Upgrade and validate a saved edit (``ValueError`` naming what is wrong). An edit
        without ``"ops"`` was written before operations had versions: all are version 1."""
        if not isinstance(d, Mapping):
            raise ValueError("edit must be an object")
        preset = d.get("preset")
        if preset is not None:
            from ..io.presets import get_preset
            get_preset(preset)
        task = d.get("task")
        if task is not None:
            T.check_task(task)
        intensity = d.get("intensity", 1.0)
        if isinstance(intensity, bool) or not isinstance(intensity, (int, float)) or not 0 <= intensity <= 1:
            raise ValueError(f"intensity must be within [0, 1], got {intensity!r}")
        ref = d.get("reference")
        if ref is not None and not isinstance(ref, str):
            raise ValueError("reference must be a path")
        from .video import TEMPORAL_SMOOTH_MAX
        ts = d.get("temporal_smooth", 0.0)
        if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not 0 <= ts <= TEMPORAL_SMOOTH_MAX:
            raise ValueError(f"temporal_smooth must be within [0, {TEMPORAL_SMOOTH_MAX:g}], got {ts!r}")
        versions = d.get("ops")
        task_result, params = d.get("task_result") or {}, d.get("params") or {}
        defaults = d.get("defaults") or {}
        for what, v in (("task_result", task_result), ("params", params), ("defaults", defaults)):
            if not isinstance(v, Mapping):
                raise ValueError(f"{what} must be an object of parameter values")
        task_result = registry.upgrade_settings(task_result, versions)
        params = registry.upgrade_settings(params, versions)
        defaults = registry.upgrade_settings(defaults, versions)
        return cls(preset=preset, task=task, intensity=float(intensity), temporal_smooth=float(ts),
                   task_result=registry.validate_settings(task_result, allow_hidden=True),
                   params=registry.validate_settings(params, allow_hidden=False),
                   reference=ref, defaults=registry.validate_settings(defaults, allow_hidden=False))


@dataclass
class LoadedEdit:
    """What :func:`load_edit` found: the ``edit`` to use (unedited when there was none or it
    could not be used) and a ``warning`` for the person ('' when all is well)."""

    edit: Edit
    warning: str = ""
    #: where the edit came from: "" (none: an unedited photo), "kolors" (its sidecar) or
    #: "xmp" (Lightroom settings in its XMP sidecar)
    source: str = ""


def load_edit(photo: str | Path) -> LoadedEdit:
    """The edit saved next to ``photo`` (see the module docstring); never raises for a
    bad sidecar."""
    from ..io.sidecar import read_sidecar, set_aside
    try:
        res = read_sidecar(photo)
    except OSError as e:
        return LoadedEdit(Edit(), f"{photo}: the edit sidecar cannot be read ({e}); the photo opens unedited")
    if not res.edit:
        if not res.warning:
            xmp = lightroom_edit(photo)
            if xmp is not None:
                return xmp
        return LoadedEdit(Edit(), res.warning)
    try:
        return LoadedEdit(Edit.from_json(res.edit), res.warning, source="kolors")
    except (ValueError, TypeError) as e:
        try:
            return LoadedEdit(Edit(), set_aside(photo, f"invalid edit: {e}").warning)
        except OSError as e2:
            return LoadedEdit(Edit(), f"{photo}: invalid edit sidecar ({e}), and it cannot be set aside ({e2}); "
                                      "the photo opens unedited")


def lightroom_edit(photo: str | Path) -> LoadedEdit | None:
    """A photo without a Kolors sidecar but with Lightroom / Camera Raw settings in its XMP
    sidecar (``NAME.xmp``) opens with them (:func:`kolors.io.xmp.crs_to_settings`), saying
    what had no counterpart; None when there is no such file or it holds no settings."""
    from ..errors import InputError
    from ..io.xmp import crs_to_settings, read_xmp, sidecar_xmp_path
    path = sidecar_xmp_path(photo)
    if not path.is_file():
        return None
    try:
        doc = read_xmp(path)
    except InputError as e:
        return LoadedEdit(Edit(), f"{e}; the photo opens unedited")
    owner = str(doc.crs.get("RawFileName", "")).strip()
    if owner and owner.lower() != Path(photo).name.lower():
        return None                     # a RAW+JPEG pair's sidecar: the settings are the RAW's
    if str(doc.crs.get("AlreadyApplied", "")).strip().lower() == "true":
        return None                     # a file Lightroom rendered with them: nothing to apply again
    settings, lost = crs_to_settings(doc.crs, doc.orientation)
    if not settings:
        return None
    try:
        params = registry.validate_settings(settings, allow_hidden=False)
    except ValueError as e:
        return LoadedEdit(Edit(), f"{path}: Lightroom settings that cannot be used ({e}); the photo opens unedited")
    warn = f"{path}: Lightroom settings imported"
    if lost:
        warn += f"; no counterpart in Kolors for: {', '.join(lost)}"
    return LoadedEdit(Edit(params=params), warn, source="xmp")


def save_edit(photo: str | Path, edit: Edit, size: tuple[int, int] | None = None) -> Path:
    """Write ``edit`` next to ``photo`` atomically (``size``: the photo's (width, height),
    recorded for the reader's information); returns the sidecar's path."""
    from ..io.sidecar import write_sidecar
    source: dict[str, Any] = {"name": Path(photo).name}
    if size is not None:
        source["size"] = [int(size[0]), int(size[1])]
    return write_sidecar(photo, edit.to_json(), source)


def photo_defaults(raw_metadata: Any) -> dict[str, Any]:
    """The starting values a photo with this RAW metadata (a :class:`RawMetadata`, or None
    for other photos) suggests: ``{'luma_denoise': s}`` above ISO 200, else {}."""
    from ..core.ops.luma_denoise import default_for_iso
    s = default_for_iso(getattr(raw_metadata, "iso", None)) if raw_metadata is not None else 0.0
    return {"luma_denoise": s} if s > 0 else {}
