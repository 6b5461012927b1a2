"""white_balance: temperature/tint of the assumed illuminant, Bradford CAT to 6504 K."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from kolors.core import registry
from kolors.core.color import RGB_TO_XYZ, XYZ_TO_RGB
from kolors.core.ops.white_balance import bradford_cat, cct_tint_to_xy, wb_matrix, xy_to_cct_tint
from kolors.core.params import RenderContext

OP = registry.get_op("white_balance")
CTX = RenderContext(full_size=(4, 4))


def _colour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("colour")


def xyz_white(T, tint):
    x, y = cct_tint_to_xy(T, tint)
    return np.array([x / y, 1.0, (1 - x - y) / y])


def run(img, T, tint=0.0):
    return OP.process(img, {"temperature": T, "tint": tint}, CTX)


def test_reference_is_d65_and_the_default_is_the_identity():
    x, y = cct_tint_to_xy(6504, 0)
    assert abs(x - 0.3127) < 0.002 and abs(y - 0.3290) < 0.002
    assert np.allclose(wb_matrix(6504, 0), np.eye(3), atol=1e-12)
    T, tint = xy_to_cct_tint(0.3127, 0.3290)
    assert abs(T - 6504) < 10 and abs(tint) < 1


def test_round_trips():
    T = np.array([2000, 2700, 3200, 3999, 4000, 4500, 5000, 5500, 6504, 7000, 9000, 15000.0])
    for tint in (-100.0, -30.0, 0.0, 25.0, 100.0):
        x, y = cct_tint_to_xy(T, tint)
        T2, t2 = xy_to_cct_tint(x, y)
        assert np.allclose(T2, T, rtol=1e-6) and np.allclose(t2, tint, atol=1e-4)
        x2, y2 = cct_tint_to_xy(T2, t2)
        assert np.allclose(x2, x, atol=1e-9) and np.allclose(y2, y, atol=1e-9)
    # scalars in, floats out
    assert isinstance(xy_to_cct_tint(0.35, 0.36)[0], float)


def test_loci_match_colour_science():
    colour = _colour()
    for T in (2000, 3000, 3900):  # Planckian (Krystek 1985) below 4000 K
        u, v = colour.temperature.CCT_to_uv_Krystek1985(T)
        xr, yr = 3 * u / (2 * u - 8 * v + 4), 2 * v / (2 * u - 8 * v + 4)
        assert np.allclose(cct_tint_to_xy(T, 0), (xr, yr), atol=1e-9)
    for T in (5000, 6504, 9000, 14000):  # CIE daylight from 5000 K
        assert np.allclose(cct_tint_to_xy(T, 0), colour.temperature.CCT_to_xy_CIE_D(T), atol=1e-9)


def test_tint_is_duv_over_3000():
    colour = _colour()
    for T, tint in ((3200, 30.0), (6504, -60.0)):
        xy = np.array(cct_tint_to_xy(T, tint))
        xy0 = np.array(cct_tint_to_xy(T, 0.0))
        uv = colour.xy_to_UCS_uv(xy)
        uv0 = colour.xy_to_UCS_uv(xy0)
        assert abs(np.linalg.norm(uv - uv0) - abs(tint) / 3000) < 1e-9
        assert np.sign(uv[1] - uv0[1]) == np.sign(tint)  # + tint: assumed light above the locus (green)


def test_cat_matches_colour_science_bradford():
    colour = _colour()
    rng = np.random.default_rng(0)
    XYZ = rng.uniform(0.0, 1.0, (50, 3))
    for T, tint in ((2000, 0), (3200, 15), (4500, -40), (6504, 100), (12000, -10)):
        src, dst = xyz_white(T, tint), xyz_white(6504, 0)
        ours = XYZ @ bradford_cat(src, dst).T
        ref = colour.adaptation.chromatic_adaptation_VonKries(XYZ, src, dst, transform="Bradford")
        assert np.abs(ours - ref).max() < 1e-5
        # the linear-RGB matrix the op applies: colour's Bradford CAT between our sRGB matrices
        rgb = rng.uniform(0, 1, (50, 3))
        ref_rgb = colour.adaptation.chromatic_adaptation_VonKries(
            rgb @ RGB_TO_XYZ.T, src, dst, transform="Bradford") @ XYZ_TO_RGB.T
        assert np.abs(rgb @ wb_matrix(T, tint).T - ref_rgb).max() < 1e-5


def _grey_under(T, tint=0.0, level=0.18):
    """RGB of a neutral surface lit by the illuminant (T, tint), white balanced for D65."""
    rgb = XYZ_TO_RGB @ (level * xyz_white(T, tint))
    return torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, 2, 2).contiguous()


def test_grey_under_3200k_is_neutral_after_correction():
    grey = _grey_under(3200)
    assert grey[0, 0, 0, 0] > 1.5 * grey[0, 2, 0, 0]  # it is orange before
    out = run(grey, 3200.0)[0, :, 0, 0]
    assert (out.max() - out.min()) / out.mean() < 2e-3
    assert abs(float(out @ torch.tensor(RGB_TO_XYZ[1], dtype=torch.float32)) - 0.18) < 2e-3  # luminance kept
    # and the grey made with the inverse matrix comes back exactly
    g = torch.tensor(np.linalg.inv(wb_matrix(3200, 0)) @ np.full(3, 0.18), dtype=torch.float32).view(1, 3, 1, 1)
    assert torch.allclose(run(g, 3200.0), torch.full_like(g, 0.18), atol=1e-6)
    # a green-tinted light is neutralised by a positive tint
    out = run(_grey_under(5000, 40.0), 5000.0, 40.0)[0, :, 0, 0]
    assert (out.max() - out.min()) / out.mean() < 2e-3


def test_direction_warmer_and_magenta():
    grey = torch.full((1, 3, 2, 2), 0.3)
    warm = run(grey, 9000.0)[0, :, 0, 0]
    cool = run(grey, 4000.0)[0, :, 0, 0]
    assert warm[0] > warm[2] * 1.1 and cool[2] > cool[0] * 1.1
    magenta = run(grey, 6504.0, 50.0)[0, :, 0, 0]
    green = run(grey, 6504.0, -50.0)[0, :, 0, 0]
    assert magenta[1] < magenta[0] and magenta[1] < magenta[2]
    assert green[1] > green[0] and green[1] > green[2]


def test_continuous_in_both_parameters():
    """1 K or 0.1 tint moves the matrix by well under 0.2 % (also across the locus blend)."""
    for T in (3999.0, 4000.0, 4500.0, 5000.0, 6504.0, 7000.0, 14999.0):
        for tint in (-100.0, 0.0, 100.0):
            m = wb_matrix(T, tint)
            scale = np.abs(m).max()
            assert np.abs(wb_matrix(T + 1.0, tint) - m).max() / scale < 2e-3
            assert np.abs(wb_matrix(T, tint + 0.1) - m).max() / scale < 2e-3
            # and the change shrinks with the step
            assert np.abs(wb_matrix(T + 0.01, tint) - m).max() / scale < 2e-5


def test_process_is_the_matrix_and_keeps_dtype():
    img = torch.rand(2, 3, 5, 7) * 2 - 0.1
    out = run(img, 3000.0, -20.0)
    ref = torch.einsum("ij,bjhw->bihw", torch.tensor(wb_matrix(3000, -20)), img.double())
    assert torch.allclose(out.double(), ref, atol=1e-5)
    assert run(img.half(), 3000.0, -20.0).dtype == torch.float16
