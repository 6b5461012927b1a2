"""Alpha channels: read_image keeps them (straight, upright), grading touches only RGB, and
exports write them back at the output's bit depth (PNG 8/16, TIFF 8/16/32f, WebP), resized
with the photo; JPEG drops them with one warning naming the file."""
from __future__ import annotations

import logging
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from kolors.engine.enhancer import Enhancer
from kolors.errors import InputError
from kolors.io import images as I
from kolors.io.images import image_info, read_image, srgb_icc, write_image
from testdata import kodak_photo

H, W = 96, 128


@pytest.fixture(scope="module")
def enh() -> Enhancer:
    return Enhancer(model_type="classic", device="cpu")


@pytest.fixture(scope="module")
def rgb8() -> np.ndarray:
    return np.ascontiguousarray(read_image(kodak_photo(23)).data[100:100 + H, 200:200 + W])


def ramp(dtype=np.uint8) -> np.ndarray:
    """A horizontal alpha gradient from transparent (left) to opaque (right)."""
    m = {np.uint8: 255, np.uint16: 65535}.get(dtype)
    x = np.linspace(0.0, 1.0, W)
    v = x.astype(np.float32) if m is None else np.rint(x * m).astype(dtype)
    return np.ascontiguousarray(np.tile(v, (H, 1)))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# ----------------------------------------------------------------------------- reading and writing
@pytest.mark.parametrize("suffix,bits", [(".png", 8), (".png", 16), (".tif", 8), (".tif", 16), (".tif", 32),
                                         (".webp", 8)])
def test_alpha_round_trips_through_write_and_read(tmp_path, rgb8, suffix, bits):
    """write_image(alpha=...) then read_image: alpha and colour come back exactly (WebP
    lossless), including the colour under fully transparent pixels."""
    data = {8: rgb8, 16: rgb8.astype(np.uint16) * 257, 32: rgb8.astype(np.float32) / 255}[bits]
    alpha = ramp({8: np.uint8, 16: np.uint16, 32: np.float32}[bits])
    out = write_image(tmp_path / f"a{suffix}", data, alpha=alpha, quality=100)
    ph = read_image(out)
    assert ph.alpha is not None and ph.alpha.dtype == data.dtype and ph.alpha.shape == (H, W)
    assert np.array_equal(ph.alpha, alpha) and np.array_equal(ph.data, data)
    assert image_info(out)["channels"] == 4


def test_alpha_written_at_the_output_bit_depth(tmp_path, rgb8):
    """An 8-bit alpha written to 16 bits is ×257, a 16-bit one written to 8 bits is the
    nearest 8-bit code, a float one is rounded and clipped."""
    a8 = ramp(np.uint8)
    ph = read_image(write_image(tmp_path / "a.png", rgb8, alpha=a8, bits=16))
    assert ph.bits == 16 and np.array_equal(ph.alpha, a8.astype(np.uint16) * 257)
    a16 = np.tile(np.arange(W, dtype=np.uint16) * 511, (H, 1))
    ph = read_image(write_image(tmp_path / "b.png", rgb8.astype(np.uint16) * 257, alpha=a16, bits=8))
    assert np.array_equal(ph.alpha, np.rint(a16 / 257.0).astype(np.uint8))
    af = np.tile(np.linspace(-0.5, 1.5, W, dtype=np.float32), (H, 1))
    ph = read_image(write_image(tmp_path / "c.tif", rgb8, alpha=af, bits=16))
    assert np.array_equal(ph.alpha, np.rint(np.clip(af, 0, 1) * 65535).astype(np.uint16))


def test_write_image_refuses_a_misshapen_alpha(tmp_path, rgb8):
    for bad in (ramp()[:, :-1], np.dstack([ramp()] * 2), ramp().astype(np.int32)):
        with pytest.raises(InputError, match="alpha"):
            write_image(tmp_path / "x.png", rgb8, alpha=bad)
    assert not (tmp_path / "x.png").exists()


def test_alpha_to_jpeg_is_dropped_with_one_warning(tmp_path, rgb8):
    with pytest.warns(UserWarning, match="transparency is dropped") as rec:
        out = write_image(tmp_path / "a.jpg", rgb8, alpha=ramp())
    assert len([w for w in rec if "transparency" in str(w.message)]) == 1 and str(out) in str(rec[0].message)
    assert read_image(out).alpha is None


def test_pillow_alpha_modes(tmp_path, rgb8):
    """Grey + alpha (LA), a palette with transparency (tRNS) and premultiplied RGBa come
    back as straight alpha."""
    a = ramp()
    grey = rgb8[..., 1]
    Image.fromarray(np.dstack([grey, a]), "LA").save(tmp_path / "la.png")
    ph = read_image(tmp_path / "la.png")
    assert np.array_equal(ph.alpha, a) and np.array_equal(ph.data, np.repeat(grey[..., None], 3, 2))
    pal = Image.fromarray(rgb8).quantize(16)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    ph = read_image(tmp_path / "p.png")
    idx = np.asarray(pal)
    assert ph.alpha is not None and np.array_equal(ph.alpha == 0, idx == 0)
    assert (idx == 0).any() and (ph.alpha[idx != 0] == 255).all()


def test_sixteen_bit_grey_alpha_png(tmp_path):
    g = np.random.default_rng(1).integers(0, 65536, (H, W), dtype=np.uint16)
    a = ramp(np.uint16)
    rows = np.dstack([g, a]).astype(">u2").reshape(H, -1).view(np.uint8)
    raw = b"".join(b"\x00" + r.tobytes() for r in rows)
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 16, 4, 0, 0, 0))
           + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))
    (tmp_path / "la16.png").write_bytes(png)
    ph = read_image(tmp_path / "la16.png")
    assert ph.bits == 16 and np.array_equal(ph.alpha, a) and np.array_equal(ph.data[..., 0], g)


def _set_extra_samples(tif: bytes, value: int) -> bytes:
    """The TIFF ``tif`` (little-endian, one IFD, written by kolors) with ExtraSamples = ``value``."""
    b = bytearray(tif)
    off = struct.unpack("<I", b[4:8])[0]
    n = struct.unpack("<H", b[off:off + 2])[0]
    for i in range(n):
        p = off + 2 + 12 * i
        if struct.unpack("<H", b[p:p + 2])[0] == 338:
            b[p + 8:p + 10] = struct.pack("<H", value)
            return bytes(b)
    raise AssertionError("no ExtraSamples tag")


@pytest.mark.parametrize("bits", [8, 16])
def test_tiff_associated_alpha_is_made_straight(tmp_path, rgb8, bits):
    """ExtraSamples = 1 (associated): the stored colour is colour × alpha; read_image
    divides it out. Rounding of the stored product is at most half a code, so the straight
    colour is within 0.5 · max / alpha codes, plus the division's own rounding: half a code
    in 16 bits (numpy), one in 8 bits (Pillow truncates)."""
    m = 255 if bits == 8 else 65535
    dt = np.uint8 if bits == 8 else np.uint16
    data = rgb8.astype(np.float64) * (m / 255)
    a = np.rint(np.tile(np.linspace(0.25, 1.0, W), (H, 1)) * m)
    pre = np.rint(data * a[..., None] / m).astype(dt)
    arr = np.dstack([pre, a.astype(dt)])
    (tmp_path / "as.tif").write_bytes(_set_extra_samples(I._encode_tiff(arr, bits, srgb_icc(), None), 1))
    ph = read_image(tmp_path / "as.tif")
    assert np.array_equal(ph.alpha, a.astype(dt))
    err = np.abs(ph.data.astype(np.float64) - data)
    assert (err <= 0.5 * m / a[..., None] + (1.0 if bits == 8 else 0.5) + 1e-9).all(), err.max()


def test_tiff_unspecified_extra_channel_is_not_alpha(tmp_path, rgb8):
    arr = np.dstack([rgb8.astype(np.uint16) * 257, ramp(np.uint16)])
    (tmp_path / "x.tif").write_bytes(_set_extra_samples(I._encode_tiff(arr, 16, srgb_icc(), None), 0))
    with pytest.warns(UserWarning, match="not marked as transparency"):
        ph = read_image(tmp_path / "x.tif")
    assert ph.alpha is None and np.array_equal(ph.data, rgb8.astype(np.uint16) * 257)


def test_alpha_is_turned_upright_with_the_photo(tmp_path, rgb8):
    ex = Image.Exif()
    ex[0x0112] = 6  # stored turned: 90° clockwise makes it upright
    a = np.random.default_rng(2).integers(0, 256, (H, W), dtype=np.uint8)
    Image.fromarray(np.dstack([rgb8, a]), "RGBA").save(tmp_path / "o.png", exif=ex.tobytes())
    ph = read_image(tmp_path / "o.png")
    assert ph.orientation == 6 and ph.size == (H, W)
    assert np.array_equal(ph.alpha, np.rot90(a, -1)) and np.array_equal(ph.data, np.rot90(rgb8, -1))


# ----------------------------------------------------------------------------- grading and export
def test_enhance_grades_rgb_and_keeps_alpha(tmp_path, enh, rgb8):
    """An 8-bit PNG and a 16-bit TIFF with a gradient alpha through enhance_file: alpha
    exact, RGB graded exactly as the same photo without alpha."""
    for name, data, alpha in (("p.png", rgb8, ramp(np.uint8)),
                              ("t.tif", rgb8.astype(np.uint16) * 257, ramp(np.uint16))):
        src = write_image(tmp_path / name, data, alpha=alpha)
        plain = write_image(tmp_path / f"plain_{name}", data)
        out = read_image(enh.enhance_file(src, tmp_path / f"out_{name}", exposure=0.5, vibrance=0.3))
        ref = read_image(enh.enhance_file(plain, tmp_path / f"ref_{name}", exposure=0.5, vibrance=0.3))
        assert out.data.dtype == data.dtype and np.array_equal(out.alpha, alpha), name
        assert np.array_equal(out.data, ref.data) and ref.alpha is None, name
        assert np.abs(out.data.astype(np.float64) - data).mean() > 0.05 * np.iinfo(data.dtype).max, name


def test_export_carries_alpha_to_each_format(tmp_path, enh, rgb8):
    a16 = ramp(np.uint16)
    src = write_image(tmp_path / "s.tif", rgb8.astype(np.uint16) * 257, alpha=a16)
    for name, bits, want in (("o16.png", 16, a16), ("o8.png", 8, np.rint(a16 / 257).astype(np.uint8)),
                             ("o.webp", None, np.rint(a16 / 257).astype(np.uint8)),
                             ("o.tif", 32, a16.astype(np.float32) / 65535)):
        ph = read_image(enh.export_graded(src, tmp_path / name, {"exposure": 0.3}, bits=bits, quality=100))
        assert ph.alpha is not None and ph.alpha.dtype == ph.data.dtype, name
        tol = 1e-7 if ph.alpha.dtype == np.float32 else 0
        assert np.abs(ph.alpha.astype(np.float64) - want).max() <= tol, name


def test_export_at_a_smaller_long_side_resizes_alpha(tmp_path, enh, rgb8):
    """Area averaging a linear ramp over 2×2 blocks gives the ramp at the output pixel
    centres: within the ±0.5-code rounding of the input ramp and the output."""
    src = write_image(tmp_path / "s.png", rgb8, alpha=ramp())
    ph = read_image(enh.export_graded(src, tmp_path / "small.png", {}, long_side=W // 2))
    assert ph.size == (W // 2, H // 2) and ph.alpha.shape == (H // 2, W // 2)
    x = np.linspace(0.0, 1.0, W) * 255
    want = (x[0::2] + x[1::2]) / 2
    assert np.abs(ph.alpha.astype(np.float64) - want).max() <= 1.0


def test_framing_moves_alpha_with_the_photo(tmp_path, enh, rgb8):
    src = write_image(tmp_path / "s.png", rgb8, alpha=ramp())
    ph = read_image(enh.export_graded(src, tmp_path / "turned.png", {"rotate": 90}))
    assert ph.size == (H, W) and np.array_equal(ph.alpha, np.rot90(ramp(), -1))
    assert np.array_equal(ph.data, np.rot90(rgb8, -1))


def test_jpeg_export_drops_alpha_with_one_warning(tmp_path, enh, rgb8, caplog):
    src = write_image(tmp_path / "s.png", rgb8, alpha=ramp())
    with caplog.at_level(logging.WARNING, logger="kolors"):
        out = enh.enhance_file(src, tmp_path / "out.jpg", exposure=0.2)
    msgs = [r.getMessage() for r in caplog.records if "transparency" in r.getMessage()]
    assert len(msgs) == 1 and str(src) in msgs[0] and "out.jpg" in msgs[0], msgs
    assert read_image(out).alpha is None


def test_cli_keeps_alpha_and_says_when_jpeg_drops_it(tmp_path, rgb8):
    import os
    import subprocess
    import sys
    from pathlib import Path
    src = write_image(tmp_path / "s.png", rgb8, alpha=ramp())
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "app"))

    def kolors(*args):
        return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=300)
    r = kolors("enhance", src, "-o", tmp_path / "o.png", "--set", "exposure=0.3", "--model", "classic")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_image(tmp_path / "o.png").alpha, ramp())
    r = kolors("enhance", src, "-o", tmp_path / "o.jpg", "--set", "exposure=0.3", "--model", "classic")
    lines = [ln for ln in r.stderr.splitlines() if "transparency" in ln]
    assert r.returncode == 0 and len(lines) == 1 and str(src) in lines[0], r.stderr

