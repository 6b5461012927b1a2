"""lut_file: a .cube applied to sRGB-encoded values, mixed by strength; Lut1D and the
loader hook/cache in kolors.core.lut."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from kolors.core import lut as lutmod
from kolors.core.color import linear_to_srgb, srgb_to_linear
from kolors.core.lut import Lut1D, Lut3D, Shaper, apply_lut, identity_table, load_lut, set_lut_loader
from kolors.core.ops.lut_file import LutFile
from kolors.core.params import RenderContext
from testdata import lut_file

OP = LutFile()
CTX = RenderContext(full_size=(8, 8))


def read_cube(path: str):
    """A tiny .cube reader for these tests (3D and 1D, DOMAIN_MIN/MAX)."""
    size3 = size1 = None
    lo, hi = np.zeros(3), np.ones(3)
    rows = []
    for line in Path(path).read_text().splitlines():
        t = line.split("#")[0].strip()
        if not t:
            continue
        key = t.split()[0].upper()
        if key == "LUT_3D_SIZE":
            size3 = int(t.split()[1])
        elif key == "LUT_1D_SIZE":
            size1 = int(t.split()[1])
        elif key == "DOMAIN_MIN":
            lo = np.array([float(v) for v in t.split()[1:4]])
        elif key == "DOMAIN_MAX":
            hi = np.array([float(v) for v in t.split()[1:4]])
        elif key[0].isdigit() or key[0] in "-.":
            rows.append([float(v) for v in t.split()])
        else:
            continue
    data = np.asarray(rows, np.float32)
    if size3:
        # red fastest: data[b, g, r] -> table[r, g, b]
        table = data.reshape(size3, size3, size3, 3).transpose(2, 1, 0, 3)
        return Lut3D(np.ascontiguousarray(table), Shaper("linear", lo, hi))
    return Lut1D(data, lo, hi)


@pytest.fixture(autouse=True)
def loader():
    old = lutmod.get_lut_loader()
    calls = []

    def fn(p):
        calls.append(p)
        return read_cube(p)

    set_lut_loader(fn)
    yield calls
    set_lut_loader(old)


@pytest.fixture
def cube() -> str:
    return str(lut_file("Colour_Correct.cube"))


def img(seed=0, h=8, w=8):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, h, w, generator=g)


def test_identity_cases():
    assert OP.is_identity({"lut_file": None, "lut_strength": 1.0})
    assert OP.is_identity({"lut_file": "look.cube", "lut_strength": 0.0})
    assert not OP.is_identity({"lut_file": "look.cube", "lut_strength": 0.3})
    with pytest.raises(ValueError, match="lut_file"):
        OP.params["lut_file"].validate("look.png")


def test_applies_the_cube_on_srgb_encoded_values(cube):
    x = img()
    y = OP.process(x, {"lut_file": cube, "lut_strength": 1.0}, CTX)
    ref = srgb_to_linear(apply_lut(linear_to_srgb(x), read_cube(cube), use_kernel=False))
    assert torch.allclose(y, ref, atol=1e-5)
    assert (y - x).abs().max() > 0.05  # the LUT does something
    # the file's own node: encoded (1/3, 0, 0) -> listed output row 2 ("0.398947 -0.017706 -0.017706")
    node = srgb_to_linear(torch.tensor([1 / 3, 0.0, 0.0])).view(1, 3, 1, 1)
    out = linear_to_srgb(OP.process(node, {"lut_file": cube, "lut_strength": 1.0}, CTX)).flatten()
    assert torch.allclose(out, torch.tensor([0.398947, -0.017706, -0.017706]), atol=1e-4)


def test_strength_mixes_linearly(cube):
    x = img(1)
    full = OP.process(x, {"lut_file": cube, "lut_strength": 1.0}, CTX)
    half = OP.process(x, {"lut_file": cube, "lut_strength": 0.5}, CTX)
    assert torch.allclose(half, 0.5 * (x + full), atol=1e-5)


def test_identity_lut_is_identity(tmp_path):
    n = 17
    t = identity_table(n)
    path = tmp_path / "ident.cube"
    rows = t.transpose(2, 1, 0, 3).reshape(-1, 3)
    path.write_text(f"LUT_3D_SIZE {n}\n" + "\n".join(" ".join(f"{v:.6f}" for v in r) for r in rows))
    x = img(2)
    assert torch.allclose(OP.process(x, {"lut_file": str(path), "lut_strength": 1.0}, CTX), x, atol=1e-5)


def test_lut1d_interpolates_and_clamps(tmp_path):
    lut = Lut1D(np.array([[0, 0, 1], [0.5, 1, 0.5], [1, 1, 0]], np.float32), lo=[0, 0, 0], hi=[1, 2, 1])
    x = torch.tensor([[0.25, 0.5, 0.75], [2.0, -1.0, 0.5]]).T.reshape(1, 3, 1, 2)
    y = lut.apply(x)
    assert torch.allclose(y[0, :, 0, 0], torch.tensor([0.25, 0.5, 0.25]))
    assert torch.allclose(y[0, :, 0, 1], torch.tensor([1.0, 0.0, 0.5]))
    assert lut(x.double()).dtype == torch.float64
    # and through the op, from a 1D .cube
    path = tmp_path / "gamma.cube"
    k = 64
    u = np.linspace(0, 1, k)
    path.write_text(f"LUT_1D_SIZE {k}\n" + "\n".join(f"{v ** 2:.7f} {v:.7f} {v:.7f}" for v in u))
    xi = img(3)
    out = OP.process(xi, {"lut_file": str(path), "lut_strength": 1.0}, CTX)
    e = linear_to_srgb(xi)
    assert torch.allclose(linear_to_srgb(out)[:, 0], e[:, 0] ** 2, atol=2e-3)
    assert torch.allclose(out[:, 1:], xi[:, 1:], atol=1e-4)


def test_loader_cache_keyed_by_mtime_and_size(tmp_path, loader):
    path = tmp_path / "a.cube"
    path.write_text("LUT_1D_SIZE 2\n0 0 0\n1 1 1\n")
    a = load_lut(str(path))
    b = load_lut(str(path))
    assert a is b and len(loader) == 1
    path.write_text("LUT_1D_SIZE 2\n0 0 0\n0.5 0.5 0.5\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    c = load_lut(str(path))
    assert len(loader) == 2 and c is not a and float(c.table[1, 0]) == 0.5


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="nope.cube"):
        load_lut(str(tmp_path / "nope.cube"))
    set_lut_loader(None)
    (tmp_path / "x.cube").write_text("LUT_1D_SIZE 2\n0 0 0\n1 1 1\n")
    with pytest.raises(RuntimeError, match="kolors.io.luts"):
        load_lut(str(tmp_path / "x.cube"))


def test_op_and_core_lut_do_not_import_io():
    root = Path(lutmod.__file__).resolve().parent
    for f in (root / "ops" / "lut_file.py", root / "lut.py"):
        tree = ast.parse(f.read_text())
        mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in mods if "io" in m.split(".")], (f, mods)
