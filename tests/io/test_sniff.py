"""A RAW is a RAW whatever its name: content sniffing (kolors.io.formats, kolors.io.raw.is_raw)
and the readers and the engine following it; a JPEG under a RAW's name still gets the RAW
reader's clear error."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kolors.engine.enhancer import Enhancer
from kolors.errors import InputError
from kolors.io.formats import sniff_image, sniff_raw
from kolors.io.images import read_image, write_image
from kolors.io.raw import is_raw, raw_info, read_raw
from kolors.io.raw.tiff import is_dng, tiff_raw_kind
from testdata import SHARED, kodak_photo

REPO = Path(__file__).resolve().parents[2]
RAW_DIR = SHARED / "raw"


@pytest.fixture(scope="module")
def enh() -> Enhancer:
    return Enhancer(model_type="classic", device="cpu")


@pytest.fixture(scope="module")
def dng(tmp_path_factory) -> Path:
    pytest.importorskip("pidng")
    pytest.importorskip("rawpy")
    from rawgen import SHOT_K, make_dng, neutral_of
    photo = read_image(kodak_photo(23)).data[:192, :256]
    return make_dng(tmp_path_factory.mktemp("sniff") / "k.dng", photo, neutral=neutral_of(SHOT_K))


def _jpeg_bytes() -> bytes:
    b = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(b, "JPEG")
    return b.getvalue()


# ----------------------------------------------------------------------------- the sniffers
@pytest.mark.parametrize("head,kind", [
    (b"II\x1a\x00\x00\x00HEAPCCDR\x02\x00", "CRW"), (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01", "CR3"),
    (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "CR2"), (b"FUJIFILMCCD-RAW 0201", "RAF"), (b"IIRO\x08\x00", "ORF"),
    (b"IIRS\x08\x00", "ORF"), (b"MMOR\x00\x00", "ORF"), (b"IIU\x00\x18\x00\x00\x00", "RW2"),
    (b"\x00MRM\x00\x00", "MRW"), (b"FOVb\x00\x00", "X3F"),
    (b"II*\x00\x08\x00\x00\x00", None), (b"\xff\xd8\xff\xe0", None), (b"\x89PNG\r\n\x1a\n", None)])
def test_sniff_raw(head, kind):
    assert sniff_raw(head + bytes(32)) == kind


def test_sniff_image_does_not_call_a_cr3_an_image():
    assert sniff_image(b"\x00\x00\x00\x18ftypcrx " + bytes(20)) is None
    assert sniff_image(b"\x00\x00\x00\x18ftypheic" + bytes(20)) == "HEIF"
    assert sniff_image(_jpeg_bytes()[:32]) == "JPEG"


def test_is_raw_by_content(tmp_path, dng):
    """RAW suffix, or RAW content under any name; images and text are not RAW."""
    jpg_named_dng = tmp_path / "photo.jpg"
    shutil.copy(dng, jpg_named_dng)
    assert is_raw(dng) and is_raw(jpg_named_dng) and is_dng(jpg_named_dng)
    assert tiff_raw_kind(jpg_named_dng) == "DNG"
    rgb = read_image(kodak_photo(23)).data[:64, :64]
    for name in ("a.jpg", "a.png", "a.tif", "a.webp"):
        assert not is_raw(write_image(tmp_path / name, rgb)), name
    assert tiff_raw_kind(tmp_path / "a.tif") is None
    (tmp_path / "notes.jpg").write_text("not a picture\n" * 50)
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert not is_raw(tmp_path / "notes.jpg") and not is_raw(tmp_path / "empty.jpg")
    assert not is_raw(tmp_path / "missing.jpg") and is_raw(tmp_path / "missing.nef")
    (tmp_path / "photo.NEF").write_bytes(_jpeg_bytes())
    assert is_raw(tmp_path / "photo.NEF")  # the RAW reader says what it really is


@pytest.mark.parametrize("name", ["RAW_CANON_D30_SRGB.CRW", "RAW_KODAK_DC50.KDC", "Blackmagic.dng"])
def test_real_raws_by_content(tmp_path, name):
    src = RAW_DIR / name
    if not src.exists():
        pytest.skip(f"{name} is not in the data folder")
    pytest.importorskip("rawpy")
    renamed = tmp_path / "holiday.jpg"
    shutil.copy(src, renamed)
    assert is_raw(renamed)
    assert raw_info(renamed)["format"] == "RAW"
    a, b = read_raw(src, mode="half", cache=False), read_raw(renamed, mode="half", cache=False)
    assert np.array_equal(a.linear16, b.linear16) and a.wb_multipliers == b.wb_multipliers


# ----------------------------------------------------------------------------- the readers and the engine
def test_a_dng_named_jpg_is_developed_the_same(tmp_path, dng, enh):
    """The same pixels from the renamed file as from the .dng: read_raw (half and full, the
    numpy half-size path included, which asks whether the file is a DNG by its content),
    read_image (the neutral 16-bit development), Enhancer.enhance_file and kolors enhance."""
    renamed = tmp_path / "k.jpg"
    shutil.copy(dng, renamed)
    for mode in ("half", "full"):
        a, b = read_raw(dng, mode=mode, cache=False), read_raw(renamed, mode=mode, cache=False)
        assert np.array_equal(a.linear16, b.linear16) and a.white == b.white, mode
    ph = read_image(renamed)
    assert ph.format == "RAW" and ph.bits == 16 and ph.alpha is None and ph.exif
    from kolors.engine.encode import export_raw_neutral
    neutral = read_image(export_raw_neutral(dng, tmp_path / "neutral.png", bits=16))
    assert np.array_equal(ph.data, neutral.data)
    ref = read_image(enh.enhance_file(dng, tmp_path / "ref.tif", exposure=0.3, bits=16))
    got = read_image(enh.enhance_file(renamed, tmp_path / "got.tif", exposure=0.3, bits=16))
    assert np.array_equal(got.data, ref.data) and got.exif == ref.exif
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    r = subprocess.run([sys.executable, "-m", "kolors", "enhance", renamed, "-o", tmp_path / "cli.tif", "--bits", "16",
                        "--set", "exposure=0.3", "--model", "classic"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_image(tmp_path / "cli.tif").data, ref.data)


def test_a_real_raw_named_jpg_is_graded_as_raw(tmp_path, enh):
    src = RAW_DIR / "RAW_CANON_D30_SRGB.CRW"
    if not src.exists():
        pytest.skip("RAW_CANON_D30_SRGB.CRW is not in the data folder")
    pytest.importorskip("rawpy")
    renamed = tmp_path / "canon.jpg"
    shutil.copy(src, renamed)
    ref = read_image(enh.export_graded(src, tmp_path / "ref.png", {"exposure": 0.3}, long_side=512))
    got = read_image(enh.export_graded(renamed, tmp_path / "got.png", {"exposure": 0.3}, long_side=512))
    assert got.size == ref.size and np.array_equal(got.data, ref.data)
    from kolors.cli import main
    assert main(["enhance", str(renamed), "-o", str(tmp_path / "cli.jpg")]) == 0
    assert read_image(tmp_path / "cli.jpg").size == (2160, 1440)


def test_a_jpeg_named_nef_still_gets_the_clear_error(tmp_path, enh):
    pytest.importorskip("rawpy")
    bad = tmp_path / "photo.NEF"
    bad.write_bytes(_jpeg_bytes())
    for fn in (read_raw, read_image, lambda p: enh.enhance_file(p, tmp_path / "out.jpg")):
        with pytest.raises(InputError, match="not a camera RAW file: the data is a JPEG image") as ei:
            fn(bad)
        assert str(bad) in str(ei.value) and "\n" not in str(ei.value)
    assert not (tmp_path / "out.jpg").exists()
