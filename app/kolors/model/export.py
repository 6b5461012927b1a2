"""``kolors export``: the learned enhancer as one TorchScript or ONNX graph.

The graph (:class:`ExportModule`) runs the parameter network on the 256×256 thumbnail and
then the one-pass apply step of the learned residual on the full image::

    forward(thumb, task, ref, ref_mask, image, strength) -> (controls, lut, grid, out)

* ``thumb`` (B,3,256,256) float32, linear sRGB (what :func:`kolors.model.infer.thumb256`
  makes of the photo); ``task`` (B,) int64 (:data:`kolors.model.net.TASK_IDS`); ``ref``
  (B,3,256,256) a reference thumbnail for ``style_transfer`` (zeros otherwise) and
  ``ref_mask`` (B,) float32, 1 where a sample has a reference, else 0;
* ``image`` (B,3,H,W) float32 linear sRGB, any H and W (dynamic axes); ``strength`` (1,)
  float32, the residual's strength (0 = identity);
* ``controls`` (B,7) in (-1,1) (:data:`~kolors.model.net.CONTROLS`, normalised: see
  :func:`~kolors.model.net.controls_to_settings`), ``lut`` (B,S,S,S,3) and ``grid``
  (B,16,16,12) the residual's deltas, and ``out`` (B,3,H,W) = the residual applied to
  ``image`` (:func:`kolors.core.residual.apply_residual`, grid cells over the whole image).

The controls are slider values: Kolors applies them with its registry operations (exposure,
white balance, tone, chroma) *before* the residual; ``out`` is only the residual on the
image it is given. The LUT is applied with gathers (no 5-D ``grid_sample``) and the grid
coordinates are computed in float32 from the image's shape, so the graph has no float64
and no baked-in image size (nothing that TensorRT is known to lack; not tried with
TensorRT here). The reference branch of the style encoder always runs (its result is
multiplied by ``ref_mask``), so pass zeros when there is no reference.

ONNX: opset 17 through the TorchScript-based exporter (``dynamo=False``, the default
here): it converts the traced graph in about a second, and its graph was somewhat faster
in onnxruntime (1.6 s vs 2.1 s for a 1920×1080 image, one thread, lite). The ``torch.export``-based exporter (``dynamo=True``, opset 18, needs
``onnxscript``) gives the same results within 1e-6 but takes ~30× longer to export; it is
kept as an option for when the legacy exporter goes away.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
import torch.nn as nn

from ..core.residual import apply_affine, apply_lut_delta, decode, encode, slice_affine
from .net import THUMB, TASK_IDS, KolorsNet

__all__ = ["ExportModule", "export", "FORMATS", "example_inputs", "OPSET"]

FORMATS = ("torchscript", "onnx")
OPSET = 17
INPUT_NAMES = ["thumb", "task", "ref", "ref_mask", "image", "strength"]
OUTPUT_NAMES = ["controls", "lut", "grid", "out"]


def _axis_coords(n: int, cells: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`kolors.core.residual.grid_coords` for the whole image (``n`` pixels along
    the axis) in float32: lower cell i0, upper i1 and the weight of i1. ``n`` comes from
    the image's shape, which tracing records as such (not as a constant)."""
    idx = torch.arange(n, dtype=torch.float32, device=device)
    c = ((idx + 0.5) / n * cells - 0.5).clamp(0.0, float(cells - 1))
    i0 = c.floor().clamp(0.0, float(max(cells - 2, 0)))
    w = c - i0
    i0 = i0.to(torch.int64)
    return i0, (i0 + 1).clamp(max=cells - 1), w


def apply_full(image: torch.Tensor, lut: torch.Tensor, grid: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
    """:func:`kolors.core.residual.apply_residual` on the whole ``image`` (B,3,H,W),
    written for export (shape-free coordinates; the same maths)."""
    gh, gw = int(grid.shape[1]), int(grid.shape[2])  # fixed by the model: constants are right
    y0, y1, wy = _axis_coords(image.shape[2], gh, image.device)
    x0, x1, wx = _axis_coords(image.shape[3], gw, image.device)
    e = encode(image)
    e = e + strength * apply_lut_delta(lut, e)
    a = slice_affine(grid, (y0, y1, wy), (x0, x1, wx)) * strength  # (B,12,H,W)
    return decode(apply_affine(e, a))


class ExportModule(nn.Module):
    """The parameter network and the apply step as one graph (see the module docstring)."""

    def __init__(self, net: KolorsNet):
        super().__init__()
        self.net = net.eval()

    def forward(self, thumb: torch.Tensor, task: torch.Tensor, ref: torch.Tensor, ref_mask: torch.Tensor,
                image: torch.Tensor, strength: torch.Tensor):
        controls, lut, grid = self.net(thumb, task, ref, ref_mask)
        out = apply_full(image, lut, grid, strength.to(image.dtype))
        return controls, lut, grid, out


def example_inputs(height: int = 96, width: int = 128, batch: int = 1, seed: int = 0,
                   task: str = "color_enhance") -> tuple[torch.Tensor, ...]:
    """Inputs of :class:`ExportModule` (random photo-like values; no reference)."""
    g = torch.Generator().manual_seed(seed)
    thumb = torch.rand(batch, 3, THUMB, THUMB, generator=g) ** 2.2
    image = torch.rand(batch, 3, height, width, generator=g) ** 2.2
    return (thumb, torch.full((batch,), TASK_IDS[task], dtype=torch.int64),
            torch.zeros(batch, 3, THUMB, THUMB), torch.zeros(batch), image, torch.ones(1))


#: name of the per-task residual strengths in the exported file (TorchScript extra file,
#: ONNX metadata): JSON ``{task: learned_strength}`` for every learned task, in task-id order
STRENGTH_KEY = "kolors_residual_strength.json"


def _load_net(model_type: str, weights: str | os.PathLike | None) -> tuple[KolorsNet, str]:
    """The network and the JSON of its per-task residual strengths (1.0 where uncalibrated)."""
    import json

    from . import shipped_path
    from .io import load_checkpoint, load_model
    from .net import TASK_IDS
    if weights is None:
        weights = shipped_path(model_type)
    ck = load_checkpoint(weights)
    rs = ck.get("residual_strength") or {}
    return load_model(weights, "cpu", ck), json.dumps({t: float(rs.get(t, 1.0)) for t in TASK_IDS})


def _write_torchscript(module: ExportModule, tmp: str, strengths: str) -> None:
    # the traced shapes stay symbolic (aten::size); only the model's own constants (LUT
    # and grid sizes) are baked in. torch 2.13 marks torch.jit as deprecated: silenced.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.trace(module, example_inputs(), check_trace=False), tmp,
                       _extra_files={STRENGTH_KEY: strengths})


def _add_onnx_metadata(tmp: str, strengths: str) -> None:
    import onnx
    model = onnx.load(tmp)
    entry = model.metadata_props.add()
    entry.key, entry.value = STRENGTH_KEY, strengths
    onnx.save(model, tmp)


def _write_onnx(module: ExportModule, tmp: str, dynamo: bool = False) -> None:
    inputs = example_inputs()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            batch = torch.export.Dim("batch", min=1, max=1024)
            height = torch.export.Dim("height", min=2, max=65536)
            width = torch.export.Dim("width", min=2, max=65536)
            shapes = {"thumb": {0: batch}, "task": {0: batch}, "ref": {0: batch}, "ref_mask": {0: batch},
                      "image": {0: batch, 2: height, 3: width}, "strength": None}
            torch.onnx.export(module, inputs, tmp, input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                              dynamic_shapes=shapes, opset_version=max(OPSET, 18), dynamo=True,
                              external_data=False)
            return
        dyn = {"image": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "height", 3: "width"}}
        for name in ("thumb", "task", "ref", "ref_mask", "controls", "lut", "grid"):
            dyn[name] = {0: "batch"}
        torch.onnx.export(module, inputs, tmp, input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                          dynamic_axes=dyn, opset_version=OPSET, dynamo=False, do_constant_folding=True)


def export(fmt: str, path: str | os.PathLike, model_type: str = "general",
           weights: str | os.PathLike | None = None, *, dynamo: bool = False) -> Path:
    """Write the learned model (``weights``, default the shipped ``model_type`` weights)
    as ``fmt`` to ``path``, atomically (an existing file is replaced):

    * ``'torchscript'``: ``torch.jit.save`` of the traced :class:`ExportModule` (load it
      with ``torch.jit.load``);
    * ``'onnx'``: opset :data:`OPSET`, dynamic batch, height and width; ``dynamo=True``
      uses the ``torch.export``-based exporter instead of the TorchScript-based one.

    Both files carry the checkpoint's per-task residual strengths (the ``strength`` input
    Kolors uses for each task) as JSON under :data:`STRENGTH_KEY`: a TorchScript extra file
    (``torch.jit.load(path, _extra_files=...)``) or ONNX metadata (onnxruntime's
    ``get_modelmeta().custom_metadata_map``).

    Raises ValueError for an unknown format or model type and
    :class:`~kolors.errors.InputError` for missing or unreadable weights."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    if model_type not in ("general", "lite"):
        raise ValueError(f"cannot export model_type {model_type!r}; valid: general, lite")
    from ..io.atomic import atomic_path
    net, strengths = _load_net(model_type, weights)
    module = ExportModule(net)
    with atomic_path(path) as tmp:
        if fmt == "torchscript":
            _write_torchscript(module, tmp, strengths)
        else:
            _write_onnx(module, tmp, dynamo)
            _add_onnx_metadata(tmp, strengths)
    return Path(path)
