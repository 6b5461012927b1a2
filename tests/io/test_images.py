"""kolors.io.images: decoding, round trips, EXIF orientation, ICC conversion, writing."""
from __future__ import annotations

import io
import struct
import warnings

import cv2
import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps
from PIL.TiffImagePlugin import IFDRational

import kolors.core.lut  # noqa: F401  - numba before colour (colour mocks scipy, numba probes it)
from kolors.io import images as I
from kolors.io.images import Photo, image_info, read_image, srgb_icc, write_image
from testdata import kodak_photo

colour = pytest.importorskip("colour")

KODAK = str(kodak_photo(23))


# ----------------------------------------------------------------------------- helpers
D50 = np.array([0.9642, 1.0, 0.8249])
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _xyz_of(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def make_icc(primaries, white_xy, trc, desc: str) -> bytes:
    """A v2 matrix/TRC RGB display profile from primaries (xy), white (xy) and a TRC:
    a float gamma (``curv``) or ``('para', params)`` (parametric curve types 0–4).
    Colorants are Bradford-adapted to the D50 PCS, as the ICC spec asks."""
    w = _xyz_of(*white_xy)
    p = np.stack([_xyz_of(x, y) for x, y in primaries], 1)
    m = p * np.linalg.solve(p, w)[None]
    cat = np.linalg.inv(BRADFORD) @ np.diag((BRADFORD @ D50) / (BRADFORD @ w)) @ BRADFORD
    m50 = cat @ m

    def xyz(v) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)

    if isinstance(trc, tuple):
        ftype = {1: 0, 3: 1, 4: 2, 5: 3, 7: 4}[len(trc[1])]
        curve = b"para\0\0\0\0" + struct.pack(">HH", ftype, 0) + b"".join(_s15(c) for c in trc[1])
    else:
        curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, int(round(trc * 256))) + b"\0\0"
    d = desc.encode() + b"\0"
    desc_tag = (b"desc\0\0\0\0" + struct.pack(">I", len(d)) + d + struct.pack(">II", 0, 0)
                + struct.pack(">HB", 0, 0) + b"\0" * 67)
    tags = [(b"desc", desc_tag), (b"cprt", b"text\0\0\0\0No copyright\0"), (b"wtpt", xyz(D50)),
            (b"rXYZ", xyz(m50[:, 0])), (b"gXYZ", xyz(m50[:, 1])), (b"bXYZ", xyz(m50[:, 2])),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    off = 128 + 4 + 12 * len(tags)
    entries, blob = b"", b""
    for sig, data in tags:
        blob += b"\0" * (-(off + len(blob)) % 4)
        entries += struct.pack(">4sII", sig, off + len(blob), len(data))
        blob += data
    body = struct.pack(">I", len(tags)) + entries + blob
    hdr = struct.pack(">I4sI4s4s4s", 128 + len(body), b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    hdr += struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"APPL" + b"\0" * 24
    hdr += b"".join(_s15(c) for c in D50) + b"lcms"
    return hdr + b"\0" * (128 - len(hdr)) + body


ADOBE = make_icc([(0.64, 0.33), (0.21, 0.71), (0.15, 0.06)], (0.3127, 0.3290), 563 / 256,
                 "Test Adobe RGB")
P3 = make_icc([(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)], (0.3127, 0.3290),
              ("para", (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)), "Test Display P3")
PROFILES = [(ADOBE, "Adobe RGB (1998)"), (P3, "Display P3")]


def _cs(name: str):
    c = colour.RGB_COLOURSPACES[name].copy()
    c.use_derived_transformation_matrices(True)
    return c


def _ref_ideal(rgb: np.ndarray, name: str) -> np.ndarray:
    """colour-science: the ideal conversion (exact matrices from the primaries)."""
    return colour.RGB_to_RGB(rgb, _cs(name), _cs("sRGB"), apply_cctf_decoding=True,
                             apply_cctf_encoding=True, chromatic_adaptation_transform=None)


def _ref_profile(rgb: np.ndarray, icc: bytes, name: str) -> np.ndarray:
    """colour-science with the profiles' own (s15.16-quantised) colorant matrices, i.e.
    what an exact ICC engine computes; isolates curve/matrix handling from quantisation."""
    src, dst = colour.RGB_COLOURSPACES[name], colour.RGB_COLOURSPACES["sRGB"]
    ms, md = I._parse_icc(icc).matrix, I._parse_icc(srgb_icc()).matrix
    q_src = colour.RGB_Colourspace("q", src.primaries, src.whitepoint, None, ms, np.linalg.inv(ms),
                                   src.cctf_encoding, src.cctf_decoding, False, False)
    q_dst = colour.RGB_Colourspace("qs", dst.primaries, dst.whitepoint, None, md, np.linalg.inv(md),
                                   dst.cctf_encoding, dst.cctf_decoding, False, False)
    return colour.RGB_to_RGB(rgb, q_src, q_dst, apply_cctf_decoding=True, apply_cctf_encoding=True,
                             chromatic_adaptation_transform=None)


def _exif(orientation: int | None = None, **extra) -> bytes:
    ex = Image.Exif()
    ex[271] = extra.get("make", "KolorsCam")
    ex[272] = extra.get("model", "K-1")
    if orientation is not None:
        ex[274] = orientation
    ex[0x8769] = {0x8827: 400, 0x829A: IFDRational(1, 250), 0x829D: IFDRational(28, 10),
                  0x920A: IFDRational(50, 1),
                  0xA434: "Kolors 50mm F2.8", 0xA002: 6000, 0xA003: 4000}
    return ex.tobytes()


def _rand(shape, dtype, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return (rng.random(shape) * 1.4 - 0.2).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)


def _kodak_crop() -> np.ndarray:
    return np.asarray(Image.open(KODAK).convert("RGB"))[100:228, 200:392].copy()


# ----------------------------------------------------------------------------- decoding
def test_read_kodak_png_matches_pillow():
    ph = read_image(KODAK)
    assert isinstance(ph, Photo)
    ref = np.asarray(Image.open(KODAK).convert("RGB"))
    assert ph.data.dtype == np.uint8 and ph.bits == 8 and ph.format == "PNG"
    assert ph.size == (ref.shape[1], ref.shape[0])
    np.testing.assert_array_equal(ph.data, ref)
    assert ph.data.flags.writeable and ph.data.flags.c_contiguous


def test_png8_round_trip_bit_exact(tmp_path):
    src = read_image(KODAK)
    out = write_image(tmp_path / "out.png", src.data)
    back = read_image(out)
    np.testing.assert_array_equal(back.data, src.data)
    assert back.icc == srgb_icc()  # profile embedded, and read back without conversion
    assert back.converted_from == ""


@pytest.mark.parametrize("ext", [".tif", ".png"])
def test_16bit_round_trip_bit_exact(tmp_path, ext):
    a = _rand((37, 53, 3), np.uint16)
    ok, enc = cv2.imencode(ext, a[..., ::-1])  # written by another encoder, no profile
    (tmp_path / f"in{ext}").write_bytes(enc.tobytes())
    ph = read_image(tmp_path / f"in{ext}")
    assert ph.bits == 16 and ph.data.dtype == np.uint16
    np.testing.assert_array_equal(ph.data, a)
    write_image(tmp_path / f"out{ext}", ph.data)
    back = read_image(tmp_path / f"out{ext}")
    assert back.bits == 16
    np.testing.assert_array_equal(back.data, a)
    # other readers see the same pixels and the embedded profile
    cv = cv2.imread(str(tmp_path / f"out{ext}"), cv2.IMREAD_UNCHANGED)[..., ::-1]
    np.testing.assert_array_equal(cv, a)
    assert Image.open(tmp_path / f"out{ext}").info.get("icc_profile") == srgb_icc()


def test_float_tiff_round_trip(tmp_path):
    a = _rand((31, 45, 3), np.float32)
    a[0, 0] = (-3.5, 1e4, 1e-30)
    write_image(tmp_path / "f.tif", a)
    ph = read_image(tmp_path / "f.tif")
    assert ph.bits == 32 and ph.data.dtype == np.float32
    np.testing.assert_array_equal(ph.data, a)
    cv = cv2.imread(str(tmp_path / "f.tif"), cv2.IMREAD_UNCHANGED)[..., ::-1]  # libtiff agrees
    np.testing.assert_array_equal(cv, a)


def test_tiff8_round_trip_and_pillow_reads_it(tmp_path):
    a = _kodak_crop()
    write_image(tmp_path / "a.tiff", a, exif=_exif(6))
    np.testing.assert_array_equal(read_image(tmp_path / "a.tiff").data, a)
    im = Image.open(tmp_path / "a.tiff")
    np.testing.assert_array_equal(np.asarray(im), a)
    assert im.info.get("icc_profile") == srgb_icc()
    ex = im.getexif()
    assert ex[271] == "KolorsCam" and ex.get(274, 1) == 1
    assert ex.get_ifd(0x8769)[0x8827] == 400


def test_jpeg_quality(tmp_path):
    a = _kodak_crop()
    hi = write_image(tmp_path / "hi.jpg", a, quality=95)
    lo = write_image(tmp_path / "lo.jpeg", a, quality=30)
    assert lo.stat().st_size < hi.stat().st_size
    for p, q, tol in ((hi, 95, 4.0), (lo, 30, 12.0)):
        ph = read_image(p)
        assert ph.format == "JPEG" and ph.data.shape == a.shape
        assert np.abs(ph.data.astype(float) - a).mean() < tol
        # the quantisation tables are Pillow's for that quality
        bio = io.BytesIO()
        Image.fromarray(a).save(bio, "JPEG", quality=q)
        assert Image.open(p).quantization == Image.open(bio).quantization
    assert Image.open(hi).info.get("icc_profile") == srgb_icc()


def test_webp_round_trip(tmp_path):
    a = _kodak_crop()
    write_image(tmp_path / "a.webp", a, quality=100, exif=_exif(3))  # 100 = lossless
    ph = read_image(tmp_path / "a.webp")
    assert ph.format == "WEBP"
    np.testing.assert_array_equal(ph.data, a)
    assert _exif_tags(ph.exif)[271] == "KolorsCam"
    write_image(tmp_path / "b.webp", a, quality=80)
    assert np.abs(read_image(tmp_path / "b.webp").data.astype(float) - a).mean() < 6


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1"])
def test_png_modes_become_rgb(tmp_path, mode):
    a = _kodak_crop()
    im = Image.fromarray(a).convert(mode)
    im.save(tmp_path / "m.png")
    ph = read_image(tmp_path / "m.png")
    assert ph.data.shape == a.shape and ph.data.dtype == np.uint8
    want = np.asarray(im.convert("RGB"))  # alpha dropped, colour channels as stored
    np.testing.assert_array_equal(ph.data, want)


def test_png16_grey_and_rgba(tmp_path):
    g = _rand((20, 30), np.uint16, 3)
    cv2.imwrite(str(tmp_path / "g.png"), g)
    ph = read_image(tmp_path / "g.png")
    assert ph.bits == 16
    np.testing.assert_array_equal(ph.data, np.repeat(g[..., None], 3, 2))
    rgba = _rand((20, 30, 4), np.uint16, 4)
    cv2.imwrite(str(tmp_path / "a.png"), rgba)  # BGRA
    np.testing.assert_array_equal(read_image(tmp_path / "a.png").data, rgba[..., 2::-1])


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    a = _kodak_crop()
    Image.fromarray(a).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    ph = read_image(tmp_path / "c.jpg")
    assert ph.data.shape == a.shape
    assert np.abs(ph.data.astype(float) - a).mean() < 6


# ----------------------------------------------------------------------------- bits conversion
def test_write_bit_conversions(tmp_path):
    f = np.array([[[-0.1, 0.5, 1.2], [0.50196, 0.0, 1.0], [np.nan, 0.25, 0.75]]], np.float32)
    write_image(tmp_path / "f8.png", f)  # float → PNG defaults to 16 bits
    assert read_image(tmp_path / "f8.png").bits == 16
    write_image(tmp_path / "f8.png", f, bits=8)
    np.testing.assert_array_equal(read_image(tmp_path / "f8.png").data,
                                  [[[0, 128, 255], [128, 0, 255], [0, 64, 191]]])
    u16 = np.array([[[0, 128, 129], [32767, 65535, 257 * 100 + 128]]], np.uint16)
    write_image(tmp_path / "a.jpg", np.zeros((2, 2, 3), np.uint16))  # JPEG takes 8 bits
    write_image(tmp_path / "u8.png", u16, bits=8)
    np.testing.assert_array_equal(read_image(tmp_path / "u8.png").data,
                                  np.rint(u16 / 257.0).astype(np.uint8))
    u8 = _rand((3, 4, 3), np.uint8)
    write_image(tmp_path / "u16.tif", u8, bits=16)
    np.testing.assert_array_equal(read_image(tmp_path / "u16.tif").data, u8.astype(np.uint16) * 257)
    write_image(tmp_path / "f32.tif", u8, bits=32)
    np.testing.assert_array_equal(read_image(tmp_path / "f32.tif").data, u8 / np.float32(255))


# ----------------------------------------------------------------------------- EXIF orientation
def _exif_tags(exif: bytes) -> Image.Exif:
    ex = Image.Exif()
    ex.load(exif)
    return ex


def _stored_for(upright: np.ndarray, o: int) -> np.ndarray:
    """Pixels as a camera stores them so that orientation ``o`` shows ``upright``."""
    inverse = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}[o]
    return I._orient(upright, inverse)


@pytest.mark.parametrize("o", range(1, 9))
def test_exif_orientation_png_and_jpeg(tmp_path, o):
    upright = np.zeros((12, 20, 3), np.uint8)
    upright[..., 0] = np.arange(20)[None] * 12  # distinct rows and columns
    upright[..., 1] = np.arange(12)[:, None] * 20
    upright[:6, :10, 2] = 255  # a marker in the top-left quadrant
    stored = _stored_for(upright, o)
    Image.fromarray(stored).save(tmp_path / "o.png", exif=_exif(o))
    ph = read_image(tmp_path / "o.png")
    np.testing.assert_array_equal(ph.data, upright)
    # agrees with Pillow's reference implementation of the 8 cases
    np.testing.assert_array_equal(ph.data, np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png"))))
    assert ph.orientation == o and ph.size == (20, 12)
    assert _exif_tags(ph.exif).get(274) == 1 and _exif_tags(ph.exif)[271] == "KolorsCam"
    info = image_info(tmp_path / "o.png")
    assert (info["width"], info["height"], info["orientation"]) == (20, 12, o)
    # JPEG: same geometry (lossy, so compare the corner marker)
    Image.fromarray(stored).save(tmp_path / "o.jpg", exif=_exif(o), quality=98)
    j = read_image(tmp_path / "o.jpg")
    assert j.data.shape == upright.shape
    q = j.data[..., 2].astype(float)
    assert q[:6, :10].mean() > 150 > 100 > max(q[6:, :10].mean(), q[:6, 10:].mean(), q[6:, 10:].mean())


def test_orientation_6_is_90_clockwise(tmp_path):
    stored = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    Image.fromarray(stored).save(tmp_path / "r.png", exif=_exif(6))
    d = read_image(tmp_path / "r.png").data
    h = stored.shape[0]
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            assert (d[i, j] == stored[h - 1 - j, i]).all()
    Image.fromarray(stored).save(tmp_path / "l.png", exif=_exif(8))
    np.testing.assert_array_equal(read_image(tmp_path / "l.png").data, np.rot90(stored, 1))


@pytest.mark.parametrize("o", [2, 5, 6, 8])
@pytest.mark.parametrize("bits", [8, 16, 32])
def test_orientation_tiff_tag_and_png16(tmp_path, o, bits):
    dt = {8: np.uint8, 16: np.uint16, 32: np.float32}[bits]
    upright = _rand((10, 16, 3), dt, 5)
    stored = _stored_for(upright, o)
    (tmp_path / "o.tif").write_bytes(I._encode_tiff(stored, bits, srgb_icc(), _exif(o)))
    ph = read_image(tmp_path / "o.tif")  # (OpenCV would rotate TIFFs by itself: not twice)
    assert ph.orientation == o
    np.testing.assert_array_equal(ph.data, upright)
    assert _exif_tags(ph.exif).get(274) == 1
    if bits == 16:
        (tmp_path / "o.png").write_bytes(I._encode_png16(tmp_path, stored, srgb_icc(), _exif(o)))
        np.testing.assert_array_equal(read_image(tmp_path / "o.png").data, upright)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif", ".webp"])
def test_exif_carried_over_on_write(tmp_path, ext):
    a = _rand((8, 10, 3), np.uint8)
    Image.fromarray(a).save(tmp_path / "src.png", exif=_exif(6))
    ph = read_image(tmp_path / "src.png")
    for bits in ((8, 16) if ext in (".png", ".tif") else (8,)):
        out = write_image(tmp_path / f"out{bits}{ext}", ph.data, exif=ph.exif, bits=bits)
        back = read_image(out)
        assert back.orientation == 1 and back.size == ph.size
        ex = _exif_tags(back.exif)
        assert ex[271] == "KolorsCam" and ex.get(274) == 1
        sub = ex.get_ifd(0x8769)
        assert sub[0x8827] == 400 and float(sub[0x829D]) == pytest.approx(2.8)
        assert (sub[0xA002], sub[0xA003]) == back.size  # pixel dimensions follow the image
        if bits == 8 and ext != ".tif":  # Pillow sees the same EXIF
            assert Image.open(out).getexif()[272] == "K-1"


def test_exif_written_with_orientation_normalised(tmp_path):
    a = _rand((8, 10, 3), np.uint8)
    out = write_image(tmp_path / "x.jpg", a, exif=_exif(8))  # raw EXIF with orientation 8
    assert read_image(out).orientation == 1
    assert Image.open(out).getexif().get(274) == 1


def test_exif_thumbnail_dropped_on_write(tmp_path):
    t = bytearray(_exif(1)[6:])  # little TIFF structure from Pillow ("MM" or "II")
    e = ">" if t[:2] == b"MM" else "<"
    ifd0 = struct.unpack(e + "I", t[4:8])[0]
    n = struct.unpack(e + "H", t[ifd0:ifd0 + 2])[0]
    ifd1 = len(t) + (len(t) & 1)
    t += b"\0" * (ifd1 - len(t))
    t += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 259, 3, 1, 6, 0) + struct.pack(e + "I", 0)
    t[ifd0 + 2 + 12 * n:ifd0 + 6 + 12 * n] = struct.pack(e + "I", ifd1)
    exif = b"Exif\0\0" + bytes(t)
    assert _exif_tags(exif).get_ifd(ExifTags.IFD.IFD1)  # IFD1 (thumbnail) present
    out = write_image(tmp_path / "t.jpg", _rand((8, 8, 3), np.uint8), exif=exif)
    back = Image.open(out).getexif()
    assert back[271] == "KolorsCam" and not back.get_ifd(ExifTags.IFD.IFD1)


def test_image_info_fields(tmp_path):
    a = _rand((30, 40, 3), np.uint8)
    out = write_image(tmp_path / "i.jpg", a, exif=_exif(1))
    info = image_info(out)
    assert info["format"] == "JPEG" and (info["width"], info["height"]) == (40, 30)
    assert info["bits"] == 8 and info["icc"] is True
    assert info["icc_description"] == "sRGB built-in"
    assert info["camera_make"] == "KolorsCam" and info["camera_model"] == "K-1"
    assert info["iso"] == 400 and info["exposure_time"] == "1/250 s"
    assert info["f_number"] == "f/2.8" and info["focal_length"] == "50 mm"
    assert info["lens"] == "Kolors 50mm F2.8"
    Image.fromarray(a).save(tmp_path / "plain.png")
    plain = image_info(tmp_path / "plain.png")
    assert plain["icc"] is False and "camera_make" not in plain
    write_image(tmp_path / "f.tif", a.astype(np.float32) / 255)
    assert image_info(tmp_path / "f.tif")["bits"] == 32


# ----------------------------------------------------------------------------- ICC conversion
@pytest.mark.parametrize("icc,name", PROFILES)
def test_icc_8bit_littlecms_matches_colour(tmp_path, icc, name):
    u = np.arange(0, 256, 5, dtype=np.uint8)
    r, g, b = np.meshgrid(u, u, u, indexing="ij")
    a = np.stack([r, g, b], -1).reshape(-1, 52, 3)  # a full 52³ grid of codes
    Image.fromarray(a).save(tmp_path / "p.png", icc_profile=icc)
    ph = read_image(tmp_path / "p.png")
    assert ph.icc == icc and ph.converted_from.startswith("Test ")
    want = np.rint(np.clip(_ref_ideal(a / 255.0, name), 0, 1) * 255)
    assert np.abs(ph.data - want).max() <= 1
    assert np.mean(ph.data != want) < 0.05


@pytest.mark.parametrize("icc,name", PROFILES)
@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_icc_16bit_keeps_precision(tmp_path, icc, name, ext):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 65536, (64, 96, 3), dtype=np.uint16)
    a[0] = np.linspace(0, 65535, 96).astype(np.uint16)[:, None]  # a fine grey ramp
    enc = I._encode_png16(tmp_path, a, icc, None) if ext == ".png" else I._encode_tiff(a, 16, icc, None)
    (tmp_path / f"p{ext}").write_bytes(enc)
    ph = read_image(tmp_path / f"p{ext}")
    assert ph.bits == 16 and ph.converted_from
    x = a / 65535.0
    # against the ideal conversion: the profiles' s15.16 matrices limit it to ~1/2 8-bit level
    assert np.abs(ph.data / 65535.0 - np.clip(_ref_ideal(x, name), 0, 1)).max() <= 0.5 / 255
    # against an exact engine with the same profiles: a few 16-bit levels
    want = np.rint(np.clip(_ref_profile(x, icc, name), 0, 1) * 65535)
    assert np.abs(ph.data.astype(float) - want).max() <= 6
    assert len(np.unique(ph.data[0, :, 1])) > 90  # the ramp was not quantised to 8 bits


@pytest.mark.filterwarnings("ignore:invalid value encountered in power:RuntimeWarning")
@pytest.mark.parametrize("icc,name", PROFILES)
def test_icc_float_tiff_unclipped(tmp_path, icc, name):
    a = _rand((40, 50, 3), np.float32, 9)
    (tmp_path / "f.tif").write_bytes(I._encode_tiff(a, 32, icc, None))
    ph = read_image(tmp_path / "f.tif")
    assert ph.data.dtype == np.float32
    want = _ref_profile(a.astype(np.float64), icc, name)
    inside = (a >= 0).all(-1) & (a <= 1).all(-1) & (want >= 0).all(-1)
    assert np.abs(ph.data - want)[inside].max() < 1e-4
    assert ph.data.max() > 1.0 and ph.data.min() < 0.0  # out-of-range values are kept


def test_lut_based_profile_fallback_grid():
    """The LittleCMS-grid path (for A2B0 profiles) agrees with the matrix path in gamut
    to a few 8-bit levels."""
    a = _rand((60, 80, 3), np.uint16, 11)
    icc = I._parse_icc(P3)
    exact = I._convert_hi("x.tif", P3, icc, a).astype(float)
    icc.lut_based = True
    with pytest.warns(UserWarning, match="8-bit"):
        grid = I._convert_hi("x.tif", P3, icc, a).astype(float)
    inside = ((exact > 0.03 * 65535) & (exact < 0.97 * 65535)).all(-1)
    assert np.abs(grid - exact)[inside].max() <= 4 * 257


def test_srgb_profiles_not_converted(tmp_path):
    a = _kodak_crop()
    Image.fromarray(a).save(tmp_path / "s.png", icc_profile=srgb_icc())
    ph = read_image(tmp_path / "s.png")
    assert ph.converted_from == ""
    np.testing.assert_array_equal(ph.data, a)
    # an sRGB profile built like a camera's (v2, curv gamma table) is recognised too
    prof = make_icc([(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)], (0.3127, 0.3290),
                    ("para", (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)), "sRGB IEC61966-2.1")
    Image.fromarray(a).save(tmp_path / "s2.png", icc_profile=prof)
    np.testing.assert_array_equal(read_image(tmp_path / "s2.png").data, a)


def test_malformed_icc_is_ignored_with_warning(tmp_path):
    a = _rand((5, 6, 3), np.uint8)
    Image.fromarray(a).save(tmp_path / "bad.png", icc_profile=b"garbage" * 30)
    with pytest.warns(UserWarning, match="bad.png"):
        ph = read_image(tmp_path / "bad.png")
    np.testing.assert_array_equal(ph.data, a)


def test_written_profile_is_srgb():
    prof = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
    assert "sRGB" in ImageCms.getProfileDescription(prof)
    assert I._is_srgb(I._parse_icc(srgb_icc()))
    assert not I._is_srgb(I._parse_icc(ADOBE))


def test_no_warnings_on_plain_read(tmp_path):
    write_image(tmp_path / "a.png", _rand((4, 4, 3), np.uint16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_image(tmp_path / "a.png")
