"""Exports in other colour spaces: the ICC profiles Kolors embeds are read by LittleCMS and
convert as colour-science says; a saturated colour outside sRGB survives a Display P3 export
(within ΔE2000 1) where an sRGB export clips it."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from kolors.core import colorimetry as C
from kolors.io.images import read_image, write_image
from kolors.io.images.icc import output_icc

REPO = Path(__file__).resolve().parents[2]
SPACES = ["display-p3", "adobe-rgb", "rec2020", "prophoto"]
COLOUR_NAMES = {"display-p3": "Display P3", "adobe-rgb": "Adobe RGB (1998)", "rec2020": "ITU-R BT.2020",
                "prophoto": "ProPhoto RGB"}


@pytest.mark.parametrize("space", SPACES)
def test_matrices_match_colour_science(space):
    colour = pytest.importorskip("colour")
    x = np.random.default_rng(0).uniform(-0.1, 1.1, (50, 3))
    ref = colour.RGB_to_RGB(x, colour.RGB_COLOURSPACES["sRGB"], colour.RGB_COLOURSPACES[COLOUR_NAMES[space]],
                            chromatic_adaptation_transform="Bradford")
    np.testing.assert_allclose(x @ C.srgb_to_space(space).T, ref, atol=3e-4)   # the white points' last digits
    enc = C.space_encode(space, np.clip(ref, 0, 1))
    if space == "rec2020":      # the BT.709/BT.2020 camera curve, written out (colour-science's is 12-bit-exact)
        lin = np.clip(ref, 0, 1)
        want = np.where(lin < 0.018, 4.5 * lin, 1.099 * lin ** 0.45 - 0.099)
    else:
        want = colour.RGB_COLOURSPACES[COLOUR_NAMES[space]].cctf_encoding(np.clip(ref, 0, 1))
    np.testing.assert_allclose(enc, want, atol=2e-3)


@pytest.mark.parametrize("space", SPACES)
def test_littlecms_reads_the_profiles_and_converts_as_we_do(space):
    prof = ImageCms.ImageCmsProfile(io.BytesIO(output_icc(space)))
    assert C.OUTPUT_SPACES[space][0] in ImageCms.getProfileDescription(prof)
    x = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    t = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), prof, "RGB", "RGB", renderingIntent=1)
    got = np.asarray(ImageCms.applyTransform(Image.fromarray(x), t)).astype(float)
    ours = C.space_encode(space, C.srgb_to_linear(x / 255.0) @ C.srgb_to_space(space).T) * 255
    assert np.abs(got - np.clip(ours, 0, 255)).max() <= 1.0
    assert output_icc(space) == output_icc(space) and output_icc("srgb") != output_icc(space)


def kolors(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_colour_outside_srgb_survives_a_p3_export(tmp_path):
    colour = pytest.importorskip("colour")
    # a float TIFF in Display P3: saturated P3 green and red (outside sRGB) and a grey
    p3 = np.zeros((8, 24, 3), np.float32)
    p3[:, :8] = [0.05, 0.95, 0.1]
    p3[:, 8:16] = [0.95, 0.1, 0.05]
    p3[:, 16:] = [0.5, 0.5, 0.5]
    src = tmp_path / "wide.tif"
    write_image(src, p3, bits=32, icc=output_icc("display-p3"))
    p3_space = colour.RGB_COLOURSPACES["Display P3"]

    def lab(enc):       # Display P3 encoded → CIE Lab (D65)
        xyz = colour.RGB_to_XYZ(enc.astype(np.float64), p3_space, apply_cctf_decoding=True)
        return colour.XYZ_to_Lab(xyz, p3_space.whitepoint)

    out = tmp_path / "p3.png"
    r = kolors("enhance", src, "-o", out, "--profile", "display-p3", "--bits", "16")
    assert r.returncode == 0, r.stderr
    back = read_image(out)
    assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(back.icc))).strip() == "Kolors Display P3"
    import cv2
    codes = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1].astype(np.float64) / 65535   # the raw P3 codes
    de = colour.delta_E(lab(p3[4, ::8]), lab(codes[4, ::8]), method="CIE 2000")
    assert de.max() < 1.0, de
    # the same edit in sRGB clips the saturated colours: far from the original
    out2 = tmp_path / "srgb.png"
    assert kolors("enhance", src, "-o", out2, "--bits", "16").returncode == 0
    s = cv2.imread(str(out2), cv2.IMREAD_UNCHANGED)[..., ::-1].astype(np.float64) / 65535
    xyz = colour.RGB_to_XYZ(s[4, ::8], colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=True)
    de_srgb = colour.delta_E(lab(p3[4, ::8]), colour.XYZ_to_Lab(xyz, p3_space.whitepoint), method="CIE 2000")
    assert de_srgb[:2].min() > 3 and de_srgb[2] < 1.0


def test_every_space_from_the_cli_8_bit_jpeg(tmp_path, sample_png):
    for space in SPACES:
        out = tmp_path / f"{space}.jpg"
        r = kolors("enhance", sample_png, "-o", out, "--profile", space)
        assert r.returncode == 0, r.stderr
        ph = read_image(out)          # read back: converted to sRGB through the embedded profile
        src = read_image(sample_png).data.astype(float)
        assert np.abs(ph.data.astype(float) - src).mean() < 3.0, space
    r = kolors("enhance", sample_png, "-o", tmp_path / "x.jpg", "--profile", "cmyk")
    assert r.returncode == 2 and "--profile" in r.stderr



@pytest.mark.parametrize("suffix, profile", [(".avif", "display-p3"), (".jxl", "srgb")])
def test_avif_and_jpeg_xl_with_their_profile(tmp_path, sample_png, suffix, profile):
    import pillow_jxl  # noqa: F401 - Pillow reads JPEG XL through it
    out = tmp_path / f"out{suffix}"
    r = kolors("enhance", sample_png, "-o", out, "--profile", profile, "--quality", "100")
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        icc = im.info.get("icc_profile")
        got = np.asarray(im.convert("RGB")).astype(float)
    if suffix == ".avif":
        assert icc == output_icc(profile)
    else:       # libjxl keeps the colour space as its own encoding and gives back a profile of its own
        assert "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    src = read_image(sample_png).data.astype(np.float64) / 255
    want = C.space_encode(profile, C.srgb_to_linear(src) @ C.srgb_to_space(profile).T) * 255
    assert np.abs(got - want).mean() < 2.0
    r = kolors("enhance", sample_png, "-o", tmp_path / f"deep{suffix}", "--bits", "16")
    assert r.returncode == 2 and "8-bit" in r.stderr


def test_jpeg_xl_refuses_another_colour_space(tmp_path, sample_png):
    r = kolors("enhance", sample_png, "-o", tmp_path / "p3.jxl", "--profile", "display-p3")
    assert r.returncode == 2 and "sRGB only" in r.stderr and not (tmp_path / "p3.jxl").exists()
