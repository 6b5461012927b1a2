"""Previews in the display's colour profile (kolors.engine.display, LittleCMS): a Display
P3 monitor profile written here byte by byte (matrix/TRC, ICC v2), checked against the
conversion computed from the primaries."""
from __future__ import annotations

import struct

import numpy as np

from kolors.engine.display import profile_description, to_display

P3 = np.array([[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]])
D65 = np.array([0.3127, 0.3290])
SRGB = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
GAMMA = 2.2


def _rgb_to_xyz(prim, white):
    xyz = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in prim]).T
    w = np.array([white[0] / white[1], 1.0, (1 - white.sum()) / white[1]])
    return xyz * np.linalg.solve(xyz, w)


def _bradford_d65_to_d50():
    B = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    d65 = np.array([0.95047, 1.0, 1.08883])
    d50 = np.array([0.9642, 1.0, 0.8249])
    return np.linalg.inv(B) @ np.diag((B @ d50) / (B @ d65)) @ B


def _s15(v):
    return struct.pack(">i", int(round(v * 65536)))


def p3_profile() -> bytes:
    m = _bradford_d65_to_d50() @ _rgb_to_xyz(P3, D65)       # colorants in the D50 PCS
    text = b"Test Display P3 gamma 2.2\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4) + bytes(4) + bytes(3) + bytes(67)
    xyz = lambda v: b"XYZ " + bytes(4) + b"".join(_s15(c) for c in v)  # noqa: E731
    curv = b"curv" + bytes(4) + struct.pack(">IH", 1, int(GAMMA * 256)) + bytes(2)
    tags = [(b"desc", desc), (b"wtpt", xyz([0.9642, 1.0, 0.8249])), (b"rXYZ", xyz(m[:, 0])),
            (b"gXYZ", xyz(m[:, 1])), (b"bXYZ", xyz(m[:, 2])), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    off = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", off + len(data), len(body))
        data += body
    size = off + len(data)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + bytes(24) + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(4) + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def _expected(rgb8):
    v = rgb8 / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    p3 = np.linalg.solve(_rgb_to_xyz(P3, D65), _rgb_to_xyz(SRGB, D65) @ lin.T).T
    return np.clip(p3, 0, 1) ** (1 / GAMMA) * 255


def test_previews_convert_to_the_display_profile():
    icc = p3_profile()
    assert profile_description(icc) == "Test Display P3 gamma 2.2"
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128], [200, 120, 60]]], np.uint8)
    out = to_display(rgb, icc)
    want = _expected(rgb[0].astype(np.float64))
    assert np.abs(out[0].astype(float) - want).max() <= 2.0, (out, want.round())
    assert out[0, 0, 0] < 240 and out[0, 0, 1] > 30           # sRGB red is inside P3: less saturated
    assert to_display(rgb, None) is rgb                         # no profile: sRGB, untouched


def test_display_profile_lookup(tmp_path, monkeypatch):
    from kolors.gui.app import display_profile
    from kolors.io.images import srgb_icc
    p3 = tmp_path / "p3.icc"
    p3.write_bytes(p3_profile())
    monkeypatch.setenv("KOLORS_DISPLAY_ICC", str(p3))
    assert display_profile() == p3.read_bytes()
    srgb = tmp_path / "srgb.icc"
    srgb.write_bytes(srgb_icc())
    monkeypatch.setenv("KOLORS_DISPLAY_ICC", str(srgb))
    assert display_profile() is None                           # sRGB needs no conversion
    bad = tmp_path / "bad.icc"
    bad.write_bytes(b"not a profile")
    monkeypatch.setenv("KOLORS_DISPLAY_ICC", str(bad))
    assert display_profile() is None


def test_soft_proof_moves_and_flags_only_what_the_profile_cannot_hold():
    from kolors.engine.display import GAMUT_WARNING_RGB, soft_proof
    from kolors.io.images.icc import matrix_icc, output_icc
    narrow = matrix_icc("narrow", ((0.55, 0.33), (0.33, 0.52), (0.2, 0.15)), (0.3127, 0.329), (0, (2.2,)))
    rgb = np.array([[[230, 20, 20], [128, 128, 128], [20, 200, 40], [120, 110, 100]]], np.uint8)
    proof, share = soft_proof(rgb, narrow)
    assert share == 0.5                                      # the saturated red and green
    assert np.abs(proof[0, [1, 3]].astype(int) - rgb[0, [1, 3]]).max() <= 2   # greys held
    assert np.abs(proof[0, 0].astype(int) - rgb[0, 0]).max() > 10             # red moved into the gamut
    warned, _ = soft_proof(rgb, narrow, gamut_warning=True)
    assert (warned[0, [0, 2]] == GAMUT_WARNING_RGB).all() and (warned[0, [1, 3]] == proof[0, [1, 3]]).all()
    same, share = soft_proof(rgb, output_icc("display-p3"))  # a wider space holds every sRGB colour
    assert share == 0.0 and np.abs(same.astype(int) - rgb).max() <= 3
