""".cube LUTs: reading every sample against colour-science, lossless write → read,
malformed files with line numbers, and a cross-check against ffmpeg's lut3d filter."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from kolors.core import lut as corelut  # numba before colour (colour mocks scipy, numba probes it)
from kolors.core.lut import Lut1D, Lut3D, Shaper, apply_lut, apply_lut_u8, bake
from kolors.errors import InputError
from kolors.io.luts import read_cube, write_cube
import testdata
from testdata import kodak_photo

colour = pytest.importorskip("colour")

LUT_DIR = str(testdata.LUT_DIR)
SAMPLES = sorted(glob.glob(os.path.join(LUT_DIR, "*.cube")))
assert SAMPLES, f"no .cube files in {LUT_DIR}"
KODAK = str(kodak_photo(23))


def _domain(lut) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(lut, Lut1D):
        return lut.lo.astype(np.float64), lut.hi.astype(np.float64)
    return lut.shaper.lo.astype(np.float64), lut.shaper.hi.astype(np.float64)


def _apply(lut, rgb: np.ndarray, use_kernel: bool = True) -> np.ndarray:
    """Apply to (M,3) float64 through kolors (float32 tensors (1,3,M,1))."""
    x = torch.from_numpy(np.ascontiguousarray(rgb.T.reshape(1, 3, -1, 1), np.float32))
    y = apply_lut(x, lut, use_kernel=use_kernel) if isinstance(lut, Lut3D) else lut.apply(x)
    return y[0, :, :, 0].numpy().T.astype(np.float64)


def _colour_apply(path: str, rgb: np.ndarray) -> np.ndarray:
    c = colour.read_LUT(path)
    tetra = colour.algebra.table_interpolation_tetrahedral
    if isinstance(c, colour.LUTSequence):
        return c.apply(rgb, LUT3D={"interpolator": tetra})
    if isinstance(c, colour.LUT3D):
        return c.apply(rgb, interpolator=tetra)
    return c.apply(rgb)


def _random_inside(lut, n=4000, seed=0) -> np.ndarray:
    lo, hi = _domain(lut)
    return lo + np.random.default_rng(seed).random((n, 3)) * (hi - lo)


def _close(a, b, tol=1e-4):
    err = np.abs(a - b) / np.maximum(1.0, np.abs(b))  # relative above 1 (ACES values reach ~700)
    assert err.max() <= tol, err.max()


# ----------------------------------------------------------------------------- samples
def test_samples_present():
    assert len(SAMPLES) >= 5


@pytest.mark.parametrize("path", SAMPLES, ids=os.path.basename)
def test_sample_matches_colour_science(path):
    lut = read_cube(path)
    rgb = _random_inside(lut)
    _close(_apply(lut, rgb, use_kernel=False), _colour_apply(path, rgb))


@pytest.mark.parametrize("path", SAMPLES, ids=os.path.basename)
def test_sample_matches_colour_science_cpu_kernel(path):
    """The numba kernel too (it clamps a Resolve shaper's output that leaves [0, 1])."""
    lut = read_cube(path)
    rgb = _random_inside(lut, seed=1)
    _close(_apply(lut, rgb, use_kernel=True), _colour_apply(path, rgb))


def test_sample_structure():
    by = {os.path.basename(p): read_cube(p) for p in SAMPLES}
    aces = by["ACES_Proxy_10_to_ACES.cube"]
    assert isinstance(aces, Lut1D) and aces.size == 32 and aces.title == "ACES Proxy 10 to ACES"
    cc = by["Colour_Correct.cube"]
    assert isinstance(cc, Lut3D) and cc.size == 4 and cc.shaper.kind == "linear"
    # red runs fastest in the file: row 2 is (r=1, g=0, b=0)
    np.testing.assert_allclose(cc.table[1, 0, 0], [0.398947, -0.017706, -0.017706], atol=1e-7)
    np.testing.assert_allclose(cc.table[0, 1, 0], [-0.026231, 0.377102, -0.026231], atol=1e-7)
    eotf = by["eotf_sRGB_3D.cube"]
    np.testing.assert_allclose(eotf.shaper.lo, [-0.1, -0.15, -0.2], atol=1e-7)
    np.testing.assert_allclose(eotf.shaper.hi, [1.5, 2.0, 3.0], atol=1e-7)
    sh = by["Three_Dimensional_Table_With_Shaper.cube"]
    assert sh.shaper.kind == "table" and sh.shaper.table.shape == (10, 3) and sh.size == 3
    np.testing.assert_allclose(sh.shaper.lo, -0.1, atol=1e-7)
    logc = by["LogC_Video.cube"]
    assert logc.shaper.kind == "table" and logc.shaper.table.shape == (16, 3) and logc.size == 4


def test_loader_registered():
    assert corelut.get_lut_loader() is read_cube
    lut = corelut.load_lut(os.path.join(LUT_DIR, "Colour_Correct.cube"))
    assert isinstance(lut, Lut3D) and lut.size == 4


# ----------------------------------------------------------------------------- round trips
def _assert_same(a, b):
    assert type(a) is type(b) and a.title == b.title
    np.testing.assert_array_equal(a.table, b.table)
    if isinstance(a, Lut1D):
        np.testing.assert_array_equal(a.lo, b.lo)
        np.testing.assert_array_equal(a.hi, b.hi)
    else:
        assert a.shaper.kind == b.shaper.kind
        np.testing.assert_array_equal(a.shaper.lo, b.shaper.lo)
        np.testing.assert_array_equal(a.shaper.hi, b.shaper.hi)
        if a.shaper.kind == "table":
            np.testing.assert_array_equal(a.shaper.table, b.shaper.table)


@pytest.mark.parametrize("path", SAMPLES, ids=os.path.basename)
def test_sample_write_read_is_lossless(tmp_path, path):
    lut = read_cube(path)
    write_cube(tmp_path / "x.cube", lut)
    back = read_cube(tmp_path / "x.cube")
    _assert_same(lut, back)
    write_cube(tmp_path / "y.cube", back)
    assert (tmp_path / "x.cube").read_bytes() == (tmp_path / "y.cube").read_bytes()


def _awkward(rng, shape) -> np.ndarray:
    """float32 values with long mantissas and wide exponents (incl. negatives, 0, tiny)."""
    v = (rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 6, shape)).astype(np.float32)
    v.flat[:3] = (0.0, np.float32(1e-38), np.float32(-3.4e38) / 2)
    return v


def test_random_luts_round_trip_bit_exact(tmp_path):
    rng = np.random.default_rng(3)
    luts = [
        Lut3D(_awkward(rng, (5, 5, 5, 3)), Shaper("linear"), "plain"),
        Lut3D(_awkward(rng, (3, 3, 3, 3)), Shaper("linear", [-0.25, 0, 0.1], [1.5, 2.0, 9.75]), "domain"),
        Lut3D(_awkward(rng, (4, 4, 4, 3)), Shaper("table", -0.125, 7.5, rng.random((33, 3)).astype(np.float32)),
              "shaper"),
        Lut1D(_awkward(rng, (17, 3)), [0, -1, 0.5], [1, 1, 64.25], "one-d"),
        Lut1D(_awkward(rng, (2, 3))),
    ]
    for i, lut in enumerate(luts):
        write_cube(tmp_path / f"{i}.cube", lut)
        _assert_same(lut, read_cube(tmp_path / f"{i}.cube"))


def test_title_override_and_quotes(tmp_path):
    lut = Lut3D(corelut.identity_table(2), title="old")
    write_cube(tmp_path / "t.cube", lut, title='My "best" look')
    assert read_cube(tmp_path / "t.cube").title == "My 'best' look"


def test_srgb_shaper_written_as_sampled_table(tmp_path):
    lut = bake(lambda x: x * torch.tensor([1.2, 1.0, 0.8]).view(1, 3, 1, 1), 17, Shaper("srgb"))
    write_cube(tmp_path / "s.cube", lut)
    back = read_cube(tmp_path / "s.cube")
    assert back.shaper.kind == "table" and back.shaper.table.shape[0] == 4096
    rgb = np.random.default_rng(5).random((3000, 3))
    assert np.abs(_apply(lut, rgb, False) - _apply(back, rgb, False)).max() < 1e-3


def test_plan_stage_lut_with_gain_and_hdr_shaper_round_trips(tmp_path):
    """A render plan's stage table (cube-root/log shaper with an exposure gain folded in)
    is written as a sampled 1D shaper + 3D table and reads back to the same colours."""
    from kolors.core import registry
    from kolors.core.pipeline import Plan
    lut = Plan(registry.validate_settings({"exposure": 2.0, "contrast": 0.3})).stages[0].lut
    assert lut.shaper.kind == "cbrt_hdr" and lut.shaper.has_gain
    write_cube(tmp_path / "p.cube", lut)
    back = read_cube(tmp_path / "p.cube")
    rgb = np.random.default_rng(6).random((3000, 3)) ** 2.2
    a, b = _apply(lut, rgb, False), _apply(back, rgb, False)
    assert np.abs(a - b).max() < 2e-3 * max(1.0, float(np.abs(a).max()))


def test_write_refuses_unwritable_luts(tmp_path):
    bad = Lut3D(corelut.identity_table(3), Shaper("table", [0, 0, 0], [1, 2, 1], np.zeros((4, 3), np.float32)))
    with pytest.raises(InputError, match="same input range"):
        write_cube(tmp_path / "a.cube", bad)
    t = corelut.identity_table(3)
    t[1, 1, 1, 0] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        write_cube(tmp_path / "b.cube", Lut3D(t))
    src = tmp_path / "in.cube"
    write_cube(src, Lut3D(corelut.identity_table(2)))
    with pytest.raises(InputError, match="refusing to overwrite the input file"):
        write_cube(src, Lut3D(corelut.identity_table(3)), protect=src)
    assert read_cube(src).size == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.cube"]


# ----------------------------------------------------------------------------- parsing details
BASE = ['TITLE "t"', "LUT_3D_SIZE 2",
        "0 0 0", "1 0 0", "0 1 0", "1 1 0", "0 0 1", "1 0 1", "0 1 1", "1 1 1"]


def _write(tmp_path, lines, name="m.cube", eol="\n") -> Path:
    p = tmp_path / name
    p.write_bytes(eol.join(lines).encode() + eol.encode())
    return p


def test_keywords_any_order_comments_blank_lines(tmp_path):
    lines = ["# leading comment", "", "DOMAIN_MAX 2 2 2", "LUT_3D_SIZE\t2", "  # indented comment",
             "DOMAIN_MIN -1 -1 -1", 'TITLE "any order"', ""]
    lines += [f"  {r}  # inline" if i == 3 else r for i, r in enumerate(BASE[2:])]
    lines += ["", "# trailing comment", ""]
    lut = read_cube(_write(tmp_path, lines, eol="\r\n"))
    assert lut.title == "any order" and lut.size == 2
    np.testing.assert_array_equal(lut.shaper.lo, [-1, -1, -1])
    np.testing.assert_array_equal(lut.table, corelut.identity_table(2))


def test_unclamped_values_and_1d_input_range(tmp_path):
    p = _write(tmp_path, ["LUT_1D_SIZE 3", "LUT_1D_INPUT_RANGE -0.5 4", "-1e3 0 0", "0.5 0.5 0.5", "7.25e4 1 2"])
    lut = read_cube(p)
    assert isinstance(lut, Lut1D)
    np.testing.assert_array_equal(lut.table[[0, 2], 0], [-1000.0, 72500.0])
    np.testing.assert_array_equal(lut.lo, [-0.5] * 3)
    np.testing.assert_array_equal(lut.hi, [4.0] * 3)


MALFORMED = [
    # (name, lines, line number the message must give, words it must contain)
    ("too-few-rows", BASE[:-1], 9, "file ends after 7 data rows"),
    ("too-many-rows", BASE + ["0.5 0.5 0.5"], 11, "unexpected data row 9"),
    ("non-numeric", BASE[:4] + ["0 x 0"] + BASE[5:], 5, "not a number"),
    ("two-numbers", BASE[:3] + ["1 0"] + BASE[4:], 4, "3 numbers"),
    ("four-numbers", BASE[:6] + ["1 1 0 0"] + BASE[7:], 7, "3 numbers"),
    ("nan-value", BASE[:5] + ["0 nan 0"] + BASE[6:], 6, "finite"),
    ("missing-size", BASE[:1] + BASE[2:], 2, "LUT_3D_SIZE"),
    ("size-too-small", ["LUT_3D_SIZE 1", "0 0 0"], 1, "out of range"),
    ("size-too-large", ["LUT_3D_SIZE 257"] + BASE[2:], 1, "out of range"),
    ("size-not-integer", ["LUT_3D_SIZE 2.5"] + BASE[2:], 1, "not an integer"),
    ("trailing-garbage", BASE + ["END OF LUT"], 11, "after the table data"),
    ("unknown-keyword", BASE[:2] + ["LUT_FOO 3"] + BASE[2:], 3, "unknown keyword"),
    ("duplicate-keyword", BASE[:2] + ["LUT_3D_SIZE 2"] + BASE[2:], 3, "twice"),
    ("domain-inverted", BASE[:2] + ["DOMAIN_MIN 0 0 0", "DOMAIN_MAX 1 0 1"] + BASE[2:], 4, "exceed"),
    ("domain-short", BASE[:2] + ["DOMAIN_MIN 0 0"] + BASE[2:], 3, "needs 3 numbers"),
    ("shaper-rows-short", ["LUT_1D_SIZE 4", "LUT_3D_SIZE 2"] + BASE[2:], 10, "file ends after 8 data rows"),
]


@pytest.mark.parametrize("name,lines,line,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_name_file_and_line(tmp_path, name, lines, line, words):
    p = _write(tmp_path, lines, f"{name}.cube")
    with pytest.raises(InputError) as ei:
        read_cube(p)
    msg = str(ei.value)
    assert str(p) in msg and f"line {line}:" in msg and words in msg, msg
    assert "\n" not in msg


@pytest.mark.parametrize("content,words", [(None, "no such file"), (b"", "empty"), (b"\x00\x01\x02" * 10, "binary"),
                                           (b"# only a comment\n", "no LUT_3D_SIZE")])
def test_unreadable_files(tmp_path, content, words):
    p = tmp_path / "u.cube"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(InputError, match=words) as ei:
        read_cube(p)
    assert str(p) in str(ei.value)


def test_directory_is_an_error(tmp_path):
    (tmp_path / "d.cube").mkdir()
    with pytest.raises(InputError, match="directory"):
        read_cube(tmp_path / "d.cube")


# ----------------------------------------------------------------------------- ffmpeg
def _grade(x: torch.Tensor) -> torch.Tensor:
    """A non-trivial colour function on sRGB-encoded values: channel mix, contrast
    curve, saturation boost, warm shift (outputs partly clipped at 0 and 1)."""
    m = torch.tensor([[0.9, 0.15, -0.05], [0.05, 0.85, 0.1], [-0.1, 0.2, 0.9]], dtype=x.dtype)
    y = torch.einsum("ij,bjhw->bihw", m, x)
    y = 0.5 + 0.5 * torch.tanh(2.2 * (y - 0.45)) / np.tanh(1.1)
    luma = (0.2126 * y[:, :1] + 0.7152 * y[:, 1:2] + 0.0722 * y[:, 2:])
    y = luma + 1.35 * (y - luma)
    return y + torch.tensor([0.03, 0.0, -0.04], dtype=x.dtype).view(1, 3, 1, 1)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")
def test_ffmpeg_lut3d_agrees(tmp_path):
    lut = bake(_grade, 33, Shaper("linear"), title="kolors ffmpeg check")
    write_cube(tmp_path / "grade.cube", lut)
    src = np.asarray(Image.open(KODAK).convert("RGB"))[64:320, 128:448].copy()
    Image.fromarray(src).save(tmp_path / "in.png")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", "in.png",
                    "-vf", "lut3d=file=grade.cube:interp=tetrahedral", "-pix_fmt", "rgb24", "out.png"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    theirs = np.asarray(Image.open(tmp_path / "out.png").convert("RGB")).astype(int)
    ours = apply_lut_u8(src, lut).astype(int)
    assert theirs.shape == ours.shape
    assert np.abs(ours - theirs).max() <= 1  # ffmpeg truncates where we round
    assert np.abs(ours - src).mean() > 10  # the grade did something
    # and the float path over the read-back file agrees with the u8 kernel
    back = read_cube(tmp_path / "grade.cube")
    f = _apply(back, src.reshape(-1, 3) / 255.0, use_kernel=False).reshape(src.shape)
    assert np.abs(np.rint(np.clip(f, 0, 1) * 255) - ours).max() <= 1
