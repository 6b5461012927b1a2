"""``kolors export``: TorchScript and ONNX graphs of the learned model match eager PyTorch."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from kolors.cli import main
from kolors.core.residual import apply_residual
from kolors.errors import InputError
from kolors.model.export import INPUT_NAMES, STRENGTH_KEY, ExportModule, example_inputs, export
from kolors.model.io import load_model, save_checkpoint
from kolors.model.net import CONFIGS, KolorsNet

SIZES = [(96, 128), (64, 80)]
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A random lite checkpoint whose heads give non-trivial outputs."""
    torch.manual_seed(0)
    net = KolorsNet(CONFIGS["lite"])
    with torch.no_grad():
        net.basis.normal_(0.0, 0.05)
        net.lut_w.weight.normal_(0.0, 0.3)
        net.local[-1].weight.normal_(0.0, 0.3)
        net.ctrl.weight.normal_(0.0, 0.3)
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "lite.pt", net,
                           residual_strength={"color_correction": 0.3})


STRENGTHS = {"color_correction": 0.3, "color_enhance": 1.0, "white_balance": 1.0, "style_transfer": 1.0,
             "old_photo_restoration": 1.0, "hdr_enhance": 1.0, "low_light": 1.0}


@pytest.fixture(scope="module")
def eager(ckpt):
    return ExportModule(load_model(ckpt))


def _inputs(h, w, strength=1.0):
    inp = list(example_inputs(h, w, seed=h + w))
    inp[5] = torch.tensor([strength])
    return tuple(inp)


def _max_diff(a, b) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())


def test_module_applies_the_residual_on_the_whole_image(eager):
    inp = _inputs(*SIZES[0], strength=0.7)
    with torch.no_grad():
        controls, lut, grid, out = eager(*inp)
        ref = apply_residual(inp[4], lut, grid, 0.7)
    assert controls.shape == (1, 7) and lut.shape == (1, 9, 9, 9, 3) and grid.shape == (1, 16, 16, 12)
    assert _max_diff(out, ref) < 1e-5
    assert _max_diff(out, inp[4]) > 1e-2  # the residual does something


def test_torchscript_round_trip_two_sizes(ckpt, eager, tmp_path):
    path = export("torchscript", tmp_path / "m.pt", model_type="lite", weights=ckpt)
    files = {STRENGTH_KEY: ""}
    ts = torch.jit.load(str(path), _extra_files=files)
    assert json.loads(files[STRENGTH_KEY]) == STRENGTHS  # the per-task strengths travel with it
    for h, w in SIZES:  # the trace example is 96×128: 64×80 checks the size is not baked in
        inp = _inputs(h, w)
        with torch.no_grad():
            for a, b in zip(eager(*inp), ts(*inp)):
                assert a.shape == b.shape
                assert _max_diff(a, b) <= 1e-5


def test_onnx_in_onnxruntime_two_sizes(ckpt, eager, tmp_path):
    import onnx
    import onnxruntime as ort
    path = export("onnx", tmp_path / "m.onnx", model_type="lite", weights=ckpt)
    model = onnx.load(str(path))
    assert model.opset_import[0].version >= 17
    assert "GridSample" not in {n.op_type for n in model.graph.node}
    image = next(i for i in model.graph.input if i.name == "image")
    dims = image.type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[2:]] == ["height", "width"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert json.loads(sess.get_modelmeta().custom_metadata_map[STRENGTH_KEY]) == STRENGTHS
    for (h, w), strength in zip(SIZES, (1.0, 0.5)):
        inp = _inputs(h, w, strength)
        got = sess.run(None, {n: x.numpy() for n, x in zip(INPUT_NAMES, inp)})
        with torch.no_grad():
            want = eager(*inp)
        for a, b in zip(want, got):
            assert a.shape == b.shape
            assert _max_diff(a, b) <= 1e-4


def test_cli_export_onnx(ckpt, tmp_path):
    out = tmp_path / "x.onnx"
    assert main(["export", "--format", "onnx", "-o", str(out), "--weights", str(ckpt)]) == 0
    assert out.is_file() and out.stat().st_size > 10_000
    # overwriting an existing export is fine
    assert main(["export", "--format", "onnx", "-o", str(out), "--weights", str(ckpt)]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_bad_format_is_rejected(ckpt, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["export", "--format", "pb", "-o", str(tmp_path / "x.pb"), "--weights", str(ckpt)])
    assert e.value.code == 2
    assert "torchscript" in capsys.readouterr().err
    with pytest.raises(ValueError, match="torchscript, onnx"):
        export("pb", tmp_path / "x.pb", weights=ckpt)
    assert not (tmp_path / "x.pb").exists()


def test_missing_weights(tmp_path):
    with pytest.raises(InputError, match="no such checkpoint"):
        export("onnx", tmp_path / "x.onnx", weights=tmp_path / "missing.pt")
    assert not (tmp_path / "x.onnx").exists()
    assert main(["export", "--format", "onnx", "-o", str(tmp_path / "x.onnx"),
                 "--weights", str(tmp_path / "missing.pt")]) == 2


def test_enhancer_export(ckpt, tmp_path, monkeypatch):
    import kolors.model as km
    from kolors import Enhancer
    monkeypatch.setattr(km, "shipped_path", lambda model_type: ckpt)
    enh = Enhancer(model_type="lite", device="cpu")
    assert enh.model is not None
    ts = enh.export_torchscript(tmp_path / "m.pt")
    assert torch.jit.load(str(ts)) is not None
    assert enh.export_onnx(tmp_path / "m.onnx").is_file()
    with pytest.raises(ValueError, match="classic"):
        Enhancer(model_type="classic", device="cpu").export_onnx(tmp_path / "c.onnx")
