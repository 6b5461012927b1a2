"""Bad input to kolors.io.images and the atomic writer: one InputError naming the file."""
from __future__ import annotations

import io
import os
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from kolors.errors import InputError, UnsupportedFormat
from kolors.io import images as I
from kolors.io.atomic import atomic_file, atomic_path, atomic_write
from kolors.io.images import image_info, read_image, write_image


def _img(h=64, w=80, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _encoded(fmt: str, **kw) -> bytes:
    bio = io.BytesIO()
    Image.fromarray(_img()).save(bio, fmt, **kw)
    return bio.getvalue()


def _png_chunk(typ: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data))


def _expect_error(path, exc=InputError, match=None) -> str:
    """read_image and image_info both raise ``exc`` with one line naming ``path``."""
    for fn in (read_image, image_info):
        with pytest.raises(exc) as ei:
            fn(path)
        msg = str(ei.value)
        assert str(path) in msg, msg
        assert "\n" not in msg
        if match:
            assert match in msg, msg
    return msg


# ----------------------------------------------------------------------------- reading
def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nope.jpg", match="no such file")


def test_empty_file(tmp_path):
    (tmp_path / "e.png").write_bytes(b"")
    _expect_error(tmp_path / "e.png", match="empty")


def test_directory(tmp_path):
    (tmp_path / "d.jpg").mkdir()
    _expect_error(tmp_path / "d.jpg", match="directory")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("this is not a picture\n" * 20)
    _expect_error(tmp_path / "notes.jpg", match="not an image")


@pytest.mark.parametrize("cut", ["half", "no-eoi", "header-only"])
def test_truncated_jpeg(tmp_path, cut):
    b = _encoded("JPEG", quality=90)
    b = {"half": b[:len(b) // 2], "no-eoi": b[:-2], "header-only": b[:400]}[cut]
    (tmp_path / "t.jpg").write_bytes(b)
    with pytest.raises(InputError, match="truncated or corrupt") as ei:
        read_image(tmp_path / "t.jpg")
    assert str(tmp_path / "t.jpg") in str(ei.value)


@pytest.mark.parametrize("cut", ["half", "no-iend", "ihdr-only"])
@pytest.mark.parametrize("bits", [8, 16])
def test_truncated_png(tmp_path, cut, bits):
    if bits == 8:
        b = _encoded("PNG")
    else:
        b = cv2.imencode(".png", _img().astype(np.uint16) * 257)[1].tobytes()
    b = {"half": b[:len(b) // 2], "no-iend": b[:-12], "ihdr-only": b[:33]}[cut]
    (tmp_path / "t.png").write_bytes(b)
    with pytest.raises(InputError, match="truncated") as ei:
        read_image(tmp_path / "t.png")
    assert str(tmp_path / "t.png") in str(ei.value)


@pytest.mark.parametrize("bits", [8, 16, 32])
def test_truncated_tiff(tmp_path, bits):
    a = _img(120, 160)
    data = a.astype(np.float32) / 255 if bits == 32 else a.astype(np.uint16) * 257 if bits == 16 else a
    write_image(tmp_path / "full.tif", data)
    b = (tmp_path / "full.tif").read_bytes()
    for frac in (0.5, 0.97):
        (tmp_path / "t.tif").write_bytes(b[:int(len(b) * frac)])
        with pytest.raises(InputError, match="truncated or corrupt") as ei:
            read_image(tmp_path / "t.tif")
        assert str(tmp_path / "t.tif") in str(ei.value)


def test_truncated_webp(tmp_path):
    b = _encoded("WEBP", quality=80)
    (tmp_path / "t.webp").write_bytes(b[:len(b) // 2])
    with pytest.raises(InputError, match="t.webp"):
        read_image(tmp_path / "t.webp")


def test_png_header_claims_huge_size(tmp_path):
    """Refused from the IHDR alone, before any allocation."""
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    b = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 10)) \
        + _png_chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(b)
    msg = _expect_error(tmp_path / "bomb.png", match="100000×100000")
    assert "limit" in msg


def test_jpeg_header_claims_huge_size(tmp_path):
    b = bytearray(_encoded("JPEG"))
    i = b.index(b"\xff\xc0")  # SOF0: length(2) precision(1) height(2) width(2)
    b[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
    (tmp_path / "big.jpg").write_bytes(bytes(b))
    _expect_error(tmp_path / "big.jpg", match="limit")


def test_pillow_decompression_bomb_error(tmp_path, monkeypatch):
    (tmp_path / "a.jpg").write_bytes(_encoded("JPEG"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow refuses > 2 × this
    _expect_error(tmp_path / "a.jpg", match="too large")


@pytest.mark.parametrize("fmt,name", [("GIF", "GIF"), ("BMP", "BMP")])
def test_unsupported_formats(tmp_path, fmt, name):
    (tmp_path / f"x.{fmt.lower()}").write_bytes(_encoded(fmt))
    _expect_error(tmp_path / f"x.{fmt.lower()}", UnsupportedFormat, match=name)


def test_unsupported_tiff_kinds(tmp_path):
    Image.fromarray(_img()).convert("CMYK").save(tmp_path / "c.tif")
    _expect_error(tmp_path / "c.tif", UnsupportedFormat, match="CMYK")
    Image.fromarray(np.zeros((4, 4), np.int32), "I").save(tmp_path / "i.tif")
    _expect_error(tmp_path / "i.tif", UnsupportedFormat, match="32-bit")


def test_raw_files_are_sent_elsewhere(tmp_path):
    (tmp_path / "x.dng").write_bytes(_encoded("TIFF"))  # a DNG is a TIFF: do not show its thumbnail
    _expect_error(tmp_path / "x.dng", UnsupportedFormat, match="RAW")


def test_corrupt_tiff_header(tmp_path):
    (tmp_path / "h.tif").write_bytes(b"II*\x00" + struct.pack("<I", 99999) + b"\0" * 20)
    _expect_error(tmp_path / "h.tif", match="TIFF")


# ----------------------------------------------------------------------------- writing
def test_write_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match=r"x\.bmp.*\.jpg"):
        write_image(tmp_path / "x.bmp", _img())
    assert not (tmp_path / "x.bmp").exists()


@pytest.mark.parametrize("data", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                  np.zeros((4, 4, 3), np.int32), np.zeros((0, 4, 3), np.uint8),
                                  [[0, 0, 0]]])
def test_write_bad_arrays(tmp_path, data):
    with pytest.raises(InputError, match="out.png"):
        write_image(tmp_path / "out.png", data)


@pytest.mark.parametrize("name,bits", [("a.jpg", 16), ("a.webp", 32), ("a.png", 32), ("a.tif", 12)])
def test_write_bits_not_supported_by_format(tmp_path, name, bits):
    with pytest.raises(InputError, match=name):
        write_image(tmp_path / name, _img(), bits=bits)


def test_write_bad_quality(tmp_path):
    with pytest.raises(InputError, match="quality"):
        write_image(tmp_path / "q.jpg", _img(), quality=0)


def test_write_refuses_to_overwrite_input(tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(_img()).save(src)
    before = src.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite the input file"):
        write_image(src, _img(seed=1), protect=src)
    os.symlink(src, tmp_path / "link.png")
    os.link(src, tmp_path / "hard.png")
    for other in ("link.png", "hard.png"):
        with pytest.raises(InputError, match=str(src)):
            write_image(tmp_path / other, _img(seed=1), protect=src)
    with pytest.raises(InputError, match="refusing"):
        write_image(tmp_path / "sub" / ".." / "in.png", _img(seed=1), protect=str(src))
    assert src.read_bytes() == before
    write_image(tmp_path / "other.png", _img(seed=1), protect=src)  # a different file is fine


def test_write_missing_folder_and_directory(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "nofolder" / "a.png", _img())
    (tmp_path / "d.png").mkdir()
    with pytest.raises(InputError, match="directory"):
        write_image(tmp_path / "d.png", _img())


# ----------------------------------------------------------------------------- atomic writes
def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_failure_leaves_nothing(tmp_path):
    def boom(f):
        f.write(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "a.bin", boom)
    assert _leftovers(tmp_path) == []


def test_atomic_write_failure_keeps_old_content(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "a.bin") as f:
            f.write(b"new but incomplete")
            raise RuntimeError("interrupted")
    assert (tmp_path / "a.bin").read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["a.bin"]
    atomic_write(tmp_path / "a.bin", lambda f: f.write(b"new"))
    assert (tmp_path / "a.bin").read_bytes() == b"new"
    assert _leftovers(tmp_path) == ["a.bin"]


def test_atomic_write_permissions_follow_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "p.bin", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert (tmp_path / "p.bin").stat().st_mode & 0o777 == 0o644


def test_atomic_path(tmp_path):
    with atomic_path(tmp_path / "v.png") as tmp:
        assert tmp.endswith(".png") and os.path.dirname(tmp) == str(tmp_path)
        Image.fromarray(_img()).save(tmp)
    assert read_image(tmp_path / "v.png").data.shape == (64, 80, 3)
    with pytest.raises(OSError, match="nothing was written"):
        with atomic_path(tmp_path / "w.png"):
            pass
    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "x.png") as tmp:
            open(tmp, "wb").write(b"half")
            raise ValueError("tool failed")
    assert _leftovers(tmp_path) == ["v.png"]


def test_atomic_protect(tmp_path):
    (tmp_path / "in.txt").write_bytes(b"keep")
    with pytest.raises(InputError, match="refusing to overwrite the input file"):
        atomic_write(tmp_path / "in.txt", lambda f: f.write(b"x"), protect=tmp_path / "in.txt")
    with pytest.raises(InputError, match="refusing"):
        with atomic_path(tmp_path / "in.txt", protect=str(tmp_path / "in.txt")):
            pass
    assert (tmp_path / "in.txt").read_bytes() == b"keep"


def test_failed_image_write_leaves_no_file(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise OSError("encoder crashed")

    monkeypatch.setattr(I, "_encode_tiff", fail)
    with pytest.raises(OSError):
        write_image(tmp_path / "a.tif", _img())
    assert _leftovers(tmp_path) == []
