"""Camera RAW through kolors.io.raw: a DNG written with pidng from a known photo (rawgen.py),
the real RAWs in ../shared/data/raw against LibRaw's own postprocess(), white balance,
highlight and demosaic options, previews, the decode cache, thumbnails, bad files, and the
CLI. The synthetic DNGs are checked everywhere; the real RAWs (non-commercial terms, not
shipped) where the full collection is present: tests that need nothing else skip without it."""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

rawpy = pytest.importorskip("rawpy")

from kolors.core.color import delta_e2000_rgb  # noqa: E402
from kolors.engine.encode import srgb_encode  # noqa: E402
from kolors.engine.enhancer import Enhancer  # noqa: E402
from kolors.engine.render import to_linear  # noqa: E402
from kolors.errors import InputError, UnsupportedFormat  # noqa: E402
from kolors.io import raw as R  # noqa: E402
from kolors.io.images import image_info, read_image  # noqa: E402
from rawgen import SHOT_K, make_dng, neutral_of  # noqa: E402
from testdata import SHARED, kodak_photo  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RAW_DIR = SHARED / "raw"  # the real camera files, where the full collection is present

# sizes of the real files once developed (LibRaw's default crop applied)
REAL_SIZES = {"Blackmagic.dng": (4096, 2160), "RAW_CANON_D30_SRGB.CRW": (2160, 1440),
              "RAW_KODAK_DC50.KDC": (768, 512), "emubayer_test.dng": (1024, 1024)}


# ----------------------------------------------------------------------------- helpers
def _lin(arr: np.ndarray, step: int = 1) -> torch.Tensor:
    return to_linear(np.ascontiguousarray(arr[::step, ::step]))


def mean_de(a: np.ndarray, b: np.ndarray, step: int = 1) -> float:
    """Mean ΔE2000 between two sRGB-encoded uint8/uint16 images (every ``step``-th pixel)."""
    return float(delta_e2000_rgb(_lin(a, step), _lin(b, step)).mean())


def encoded(linear: np.ndarray) -> np.ndarray:
    """16-bit sRGB codes of linear float RGB (clipped at 1)."""
    return np.rint(srgb_encode(np.minimum(linear, 1.0)) * 65535.0).astype(np.uint16)


@pytest.fixture(scope="module")
def enh() -> Enhancer:
    return Enhancer(model_type="classic", device="cpu")


@pytest.fixture(scope="module")
def kodim23() -> np.ndarray:
    return read_image(kodak_photo(23)).data


@pytest.fixture(scope="module")
def dng(tmp_path_factory, kodim23) -> Path:
    pytest.importorskip("pidng")
    return make_dng(tmp_path_factory.mktemp("dng") / "kodim23.dng", kodim23, neutral=neutral_of(SHOT_K))


@pytest.fixture(scope="module")
def hot_dng(tmp_path_factory, kodim23) -> Path:
    """kodim23 exposed 2.5× brighter: its highlights clip at the sensor's white level."""
    pytest.importorskip("pidng")
    return make_dng(tmp_path_factory.mktemp("dng") / "hot.dng", kodim23[:256, :384], neutral=neutral_of(SHOT_K),
                    exposure=2.5)


def _raws_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and R.is_raw(p)) if folder.is_dir() else []


def _real_raws(data_dir: Path) -> list[Path]:
    files = _raws_in(data_dir / "raw")
    if not files:
        pytest.skip("no RAW files in the data folder")
    return files


@pytest.fixture(scope="module")
def real_raws() -> list[Path]:
    """The real camera files to check beside the synthetic DNGs: none without the full
    collection (the synthetic ones are still checked)."""
    return _raws_in(RAW_DIR)


# ----------------------------------------------------------------------------- the synthetic DNG
def test_pidng_dng_decodes_to_the_source(dng, kodim23, enh):
    ph = R.read_raw(dng, cache=False)
    assert ph.data.dtype == np.float32 and ph.data.shape == (512, 768, 3) and ph.mode == "full"
    assert ph.wb_mode == "as_shot" and ph.black_level == 512 and ph.white_level == 16383
    # as-shot multipliers are the inverse of AsShotNeutral; the camera's white is the shooting light
    assert np.allclose(ph.as_shot_multipliers, 1.0 / neutral_of(SHOT_K), rtol=1e-3)
    assert abs(ph.as_shot_white[0] - SHOT_K) < 25 and abs(ph.as_shot_white[1]) < 1
    out = enh.render_raw(ph, {}, out_dtype=np.uint8)
    de = mean_de(out, kodim23[:512, :768])
    assert de <= 2.0, de
    # the float path of the engine gives the same picture
    out_f = enh.render(ph.data, {}, out_dtype=np.uint8, linear=True)
    assert np.abs(out_f.astype(int) - out).max() <= 1


@pytest.mark.parametrize("cfa", ["BGGR", "GRBG", "GBRG"])
def test_other_cfa_patterns(cfa, kodim23, tmp_path, enh):
    pytest.importorskip("pidng")
    crop = kodim23[96:352, 192:576]
    p = make_dng(tmp_path / f"{cfa}.dng", crop, cfa=cfa, black=64, white=4095, neutral=neutral_of(5500))
    ph = R.read_raw(p, cache=False)
    assert R.raw_info(p)["cfa"] == cfa
    assert mean_de(enh.render_raw(ph, {}, out_dtype=np.uint8), crop) <= 2.0


@pytest.mark.parametrize("orientation,k", [(3, 2), (6, -1), (8, 1)])
def test_orientation(orientation, k, kodim23, tmp_path, enh):
    """The file's orientation is applied (data upright) and reported as the EXIF value."""
    pytest.importorskip("pidng")
    crop = kodim23[:128, :192]
    plain = R.read_raw(make_dng(tmp_path / "o1.dng", crop), cache=False)
    turned = R.read_raw(make_dng(tmp_path / f"o{orientation}.dng", crop, orientation=orientation), cache=False)
    assert turned.orientation == orientation and plain.orientation == 1
    assert np.array_equal(turned.linear16, np.rot90(plain.linear16, k))
    half = R.read_raw(tmp_path / f"o{orientation}.dng", mode="half", cache=False)
    assert half.size == (turned.size[0] // 2, turned.size[1] // 2) and half.full_size == turned.size
    assert R.raw_info(tmp_path / f"o{orientation}.dng")["width"] == turned.size[0]


def test_metadata_info_and_exif(dng, enh, tmp_path):
    ph = R.read_raw(dng)
    md = ph.metadata
    assert (md.make, md.model, md.lens) == ("Kolors", "Test Camera", "Test 50mm F1.8")
    assert md.shutter == pytest.approx(1 / 125, rel=1e-3) and md.aperture == pytest.approx(5.6, rel=1e-3)
    assert md.focal_length == pytest.approx(50.0)
    assert md.iso == 200  # LibRaw misses pidng's ISO tag in IFD0: read from the file's own tags
    info = R.raw_info(dng)
    assert (info["width"], info["height"]) == (768, 512)
    assert info["camera_make"] == "Kolors" and info["exposure_time"] == "1/125 s" and info["f_number"] == "f/5.6"
    assert info["lens"] == "Test 50mm F1.8" and info["as_shot_white"].startswith("45")
    out = enh.enhance_file(dng, tmp_path / "x.jpg")
    got = image_info(out)
    assert info["iso"] == 200
    for k in ("camera_make", "camera_model", "iso", "exposure_time", "f_number", "focal_length", "lens"):
        assert got[k] == info[k], k


# ----------------------------------------------------------------------------- options
def test_white_balance_options(dng, enh):
    shot = R.read_raw(dng, cache=False)
    t, n = shot.as_shot_white
    custom = R.read_raw(dng, R.RawOptions(white_balance="custom", temperature=t, tint=n), cache=False)
    assert np.allclose(custom.wb_multipliers, shot.wb_multipliers, rtol=2e-3)
    assert float(np.abs(custom.data - shot.data).mean()) < 2e-3
    day = R.read_raw(dng, R.RawOptions(white_balance="daylight"), cache=False)
    assert np.allclose(day.wb_multipliers, day.daylight_multipliers, rtol=1e-3)
    assert abs(day.white[0] - 6504) < 30
    # under a 4500 K light, daylight balance leaves the picture warm: more red than blue
    rb = lambda ph: float(ph.data[..., 0].mean() / ph.data[..., 2].mean())  # noqa: E731
    assert rb(day) > 1.1 * rb(shot)
    auto = R.read_raw(dng, R.RawOptions(white_balance="auto"), cache=False)
    assert auto.wb_mode == "auto" and all(m > 0 for m in auto.wb_multipliers)
    warmer = R.read_raw(dng, R.RawOptions(white_balance="custom", temperature=7500), cache=False)
    assert rb(warmer) > rb(shot)  # assuming a bluer light than it was makes the picture warmer

    # the white-balance operation starts from the camera's value as the identity; moving the
    # slider to 6504 K re-balances the as-shot development toward the daylight development
    start = shot.wb_settings()
    assert start["temperature"] == pytest.approx(t) and enh.plan(start).is_identity
    moved = enh.render_raw(shot, {**start, "temperature": 6504.0, "tint": 0.0}, out_dtype=np.uint8)
    ref = enh.render_raw(day, {}, out_dtype=np.uint8)
    far = enh.render_raw(shot, {}, out_dtype=np.uint8)
    assert mean_de(moved, ref, 2) < 0.5 * mean_de(far, ref, 2)
    # a setting made against the D65 reference means the same against the camera's (the
    # same adaptation up to a brightness factor: whites are normalised to Y = 1)
    from kolors.core.ops.white_balance import wb_matrix
    t2, n2 = R.rebase_wb(5000.0, 10.0, (t, n))
    a, b = wb_matrix(5000.0, 10.0), wb_matrix(t2, n2, (t, n))
    assert np.allclose(a / a[1, 1], b / b[1, 1], atol=1e-4) and abs(a[1, 1] / b[1, 1] - 1) < 0.01


def test_wb_conversions_round_trip(dng):
    m = R.read_raw(dng).xyz_to_camera
    for t, n in ((2800, 0), (4500, 15), (6504, 0), (11000, -30)):
        assert R.white_of_multipliers(m, R.wb_multipliers(m, t, n)) == pytest.approx((t, n), abs=0.05)
    assert R.white_of_multipliers(None, (2, 1, 1.5)) is None


def test_raw_options_validate_and_round_trip():
    o = R.RawOptions(white_balance="custom", temperature=5200, tint=-8, highlights="reconstruct", demosaic="dht")
    assert R.RawOptions.from_dict(o.to_dict()) == o
    assert o.to_dict()["version"] == 1 and R.RawOptions.from_dict(None) == R.RawOptions()
    assert R.RawOptions().to_dict() == {"version": 1, "white_balance": "as_shot", "temperature": 6504.0,
                                        "tint": 0.0, "highlights": "blend", "demosaic": "ahd"}
    assert R.DEMOSAICS[0] == "ahd" and {"linear", "vng", "ppg"} <= set(R.DEMOSAICS)
    bad = [dict(white_balance="tungsten"), dict(highlights="ignore"), dict(demosaic="magic"),
           dict(temperature=1000), dict(temperature=float("nan")), dict(tint=150), dict(temperature=True)]
    if "amaze" not in R.DEMOSAICS:  # the GPL demosaic packs are not in rawpy's LibRaw
        bad.append(dict(demosaic="amaze"))
    for kw in bad:
        with pytest.raises(ValueError, match=next(iter(kw))):
            R.RawOptions(**kw)
    with pytest.raises(ValueError, match="unknown raw option 'gamma'"):
        R.RawOptions.from_dict({"gamma": 2.2})
    with pytest.raises(ValueError, match="newer"):
        R.RawOptions.from_dict({"version": 99})


def test_highlight_modes(hot_dng):
    clip = R.read_raw(hot_dng, R.RawOptions(highlights="clip"), cache=False)
    blend = R.read_raw(hot_dng, R.RawOptions(highlights="blend"), cache=False)
    rec = R.read_raw(hot_dng, R.RawOptions(highlights="reconstruct"), cache=False)
    assert clip.headroom == 1.0 and clip.data.max() <= 1.0 + 1e-6
    assert blend.headroom == pytest.approx(max(blend.wb_multipliers) / min(blend.wb_multipliers))
    for ph in (blend, rec):
        assert 1.05 < ph.data.max() <= ph.headroom + 1e-4  # values above white are kept
    # below the clipping point every mode gives the same (camera white = 1.0 in all; pixels
    # next to clipped ones differ through the demosaic)
    ok = (clip.data.max(-1) < 0.8) & (blend.data.max(-1) < 0.8)
    assert ok.mean() > 0.2
    d = np.abs(clip.data[ok] - blend.data[ok])
    assert np.median(d) < 1e-3 and np.quantile(d, 0.95) < 0.02


def test_every_demosaic(kodim23, enh, tmp_path):
    pytest.importorskip("pidng")
    src = kodim23[96:352, 192:576]
    p = make_dng(tmp_path / "crop.dng", src, neutral=neutral_of(SHOT_K))
    inner = (slice(8, -8), slice(8, -8))  # away from the borders every algorithm guesses at
    for algo in R.DEMOSAICS:
        ph = R.read_raw(p, R.RawOptions(demosaic=algo), cache=False)
        de = mean_de(enh.render_raw(ph, {}, out_dtype=np.uint8)[inner], src[inner])
        assert de <= (3.5 if algo == "linear" else 2.5), (algo, de)  # bilinear is the crudest


def test_fast_raw_render_matches_the_float_path(hot_dng, enh):
    """Colour-only grades of a RAW go through one integer LUT over [0, headroom]: the
    highlights above white reach the operations as in the float path."""
    ph = R.read_raw(hot_dng, cache=False)
    st = {"exposure": -1.2, "contrast": 0.3, "temperature": 5200.0, "tint": 5.0}
    fast = enh.render_raw(ph, st, out_dtype=np.uint16)
    ref = enh.render(ph.data, st, out_dtype=np.uint16, linear=True)
    assert mean_de(fast, ref) < 0.3
    clipped = enh.render(np.minimum(ph.data, 1.0), st, out_dtype=np.uint16, linear=True)
    assert mean_de(clipped, ref) > 3 * mean_de(fast, ref) + 0.3  # the headroom matters here


# ----------------------------------------------------------------------------- previews and cache
def test_half_size_embedded_preview_and_cache(dng):
    R.clear_cache()
    full = R.read_raw(dng)
    half = R.read_raw(dng, mode="half")
    assert half.mode == "half" and half.full_size == full.size == (768, 512)
    assert half.data.shape == (256, 384, 3)
    # cached: decoded once, the same object comes back; another option is another entry
    assert R.read_raw(dng) is full and R.read_raw(dng, mode="half") is half
    info = R.cache_info()
    assert info["hits"] == 2 and info["misses"] == 2 and info["entries"] == 2
    assert R.read_raw(dng, R.RawOptions(demosaic="vng")) is not full
    os.utime(dng, ns=(os.stat(dng).st_atime_ns, os.stat(dng).st_mtime_ns + 10**9))
    assert R.read_raw(dng) is not full  # a changed file is decoded again
    R.set_cache_limit(0)
    assert R.cache_info()["entries"] == 0
    R.set_cache_limit(1 << 30)
    crw = RAW_DIR / "RAW_CANON_D30_SRGB.CRW"
    if crw.exists():  # a camera file with an embedded preview, where present
        emb = R.read_raw(crw, mode="embedded", cache=False)
        assert emb.mode == "embedded" and emb.data.shape[2] == 3 and emb.data.dtype == np.float32
        assert 0 <= emb.data.min() and emb.data.max() <= 1.0
    # no embedded preview: the half-size decode is used
    assert R.read_raw(dng, mode="embedded", cache=False).mode == "half"
    with pytest.raises(ValueError, match="mode"):
        R.read_raw(dng, mode="quarter")


def test_half_preview_matches_the_full_decode(dng, real_raws):
    """The half-size preview has the full decode's colours and framing. Pixel for pixel the
    two differ by design (no demosaic: a 2×2 block's R and B come from photosites a pixel
    apart, so fine detail shows colour moiré; mean ΔE2000 0.9–2.5 at the preview's own size,
    5 on the 0.4 MP Kodak); what must hold is that colours agree once the detail is
    averaged out, and that the frames line up."""
    import cv2
    for p in [dng, *real_raws]:
        full, half = R.read_raw(p), R.read_raw(p, mode="half")
        w, h = half.size
        assert (w, h) == (full.size[0] // 2, full.size[1] // 2), p.name
        small = cv2.resize(full.data, (w, h), interpolation=cv2.INTER_AREA)
        a, b = (cv2.resize(x, (w // 8, h // 8), interpolation=cv2.INTER_AREA) for x in (small, half.data))
        assert mean_de(encoded(a), encoded(b)) <= 1.5, p.name  # at 1/16 of the full size
        ref = encoded(half.data[8:h - 8, 8:w - 8])
        aligned = mean_de(encoded(small[8:h - 8, 8:w - 8]), ref)
        shifted = min(mean_de(encoded(small[8 + dy:h - 8 + dy, 8 + dx:w - 8 + dx]), ref)
                      for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)))
        assert aligned < shifted, (p.name, aligned, shifted)


def test_grey_world_white_balance_is_libraws(dng, hot_dng, kodim23, real_raws, tmp_path):
    """LibRaw's automatic white balance, computed in numpy (faster), is LibRaw's: passed as
    user_wb, LibRaw's output is the same, bit for bit — with clipped blocks (hot_dng), a
    frame that is no multiple of the 8×8 blocks, black levels 0 and above, real files."""
    odd = make_dng(tmp_path / "odd.dng", kodim23[:250, :378], black=64, white=4095, neutral=neutral_of(5500))
    kw = dict(half_size=True, output_bps=16, gamma=(1, 1), no_auto_bright=True, adjust_maximum_thr=0.0,
              user_flip=0, output_color=rawpy.ColorSpace.sRGB, highlight_mode=rawpy.HighlightMode.Blend)
    checked = []
    for p in [dng, hot_dng, odd, *real_raws]:
        with rawpy.imread(str(p)) as r:
            grey = R._grey_world(r)
            if grey is None:  # not a 2×2 Bayer sensor with one black level: LibRaw computes it
                continue
            want = r.postprocess(use_auto_wb=True, **kw)
            got = r.postprocess(user_wb=grey, **kw)
        assert np.array_equal(got, want), p.name
        checked.append(p.name)
    assert {"kodim23.dng", "hot.dng", "odd.dng"} <= set(checked)
    # the files without an as-shot white balance take it too, with the same result
    emu = RAW_DIR / "synthetic" / "emubayer_test.dng"
    if emu.exists():
        ph = R.read_raw(emu, mode="half", cache=False)
        assert ph.wb_mode.startswith("auto") and ph.as_shot_multipliers is None
        with rawpy.imread(str(emu)) as r:
            want = r.postprocess(use_camera_wb=True, **kw)
        assert np.array_equal(ph.linear16, want)


def test_half_size_development_in_numpy_is_libraws(dng, hot_dng, kodim23, real_raws, tmp_path, monkeypatch):
    """The half-size preview of a plain Bayer sensor is developed in numpy (faster than
    LibRaw's half-size path): the same picture within a few 16-bit codes (float rounding),
    the same multipliers, headroom and white — for every CFA layout, clipped highlights
    (blend and clip), each white-balance source, real files."""
    files = [dng, hot_dng, make_dng(tmp_path / "bggr.dng", kodim23[:256, :384], cfa="BGGR", black=64, white=4095,
                                    neutral=neutral_of(5500)),
             make_dng(tmp_path / "gbrg.dng", kodim23[:250, :378], cfa="GBRG", neutral=neutral_of(3500)),
             *real_raws]
    options = [R.RawOptions(), R.RawOptions(white_balance="daylight", highlights="clip"),
               R.RawOptions(white_balance="auto"), R.RawOptions(white_balance="custom", temperature=4000, tint=5)]
    develop, used = R._half_develop, []

    def spy(*a, **k):
        out = develop(*a, **k)
        used.append(out is not None)
        return out
    monkeypatch.setattr(R, "_half_develop", spy)
    fast = {}
    for p in files:
        for o in options:
            if o.white_balance != "custom" or R.read_raw(p, mode="half").xyz_to_camera is not None:
                fast[p, o] = R.read_raw(p, o, mode="half", cache=False)
    assert sum(used) >= 4 * len(options)  # the synthetic DNGs at least go through numpy
    monkeypatch.setattr(R, "_half_develop", lambda *a, **k: None)  # LibRaw's own half-size development
    for (p, o), ph in fast.items():
        ref = R.read_raw(p, o, mode="half", cache=False)
        d = np.abs(ph.linear16.astype(np.int32) - ref.linear16)
        assert d.max() <= 8 and d.mean() < 0.1, (p.name, o, d.max(), d.mean())
        assert (ph.wb_multipliers, ph.headroom, ph.white, ph.size) == (ref.wb_multipliers, ref.headroom, ref.white,
                                                                      ref.size), (p.name, o)


def test_extract_thumb(real_raws, dng):
    for p in [*real_raws, dng]:
        th = R.extract_thumb(p, max_size=160)
        assert th.dtype == np.uint8 and th.ndim == 3 and th.shape[2] == 3, p
        assert max(th.shape[:2]) <= 160 and th.std() > 2, p


# ----------------------------------------------------------------------------- the real RAWs
def test_real_raws_decode_and_agree_with_libraw(data_dir, enh):
    for p in _real_raws(data_dir):
        ph = R.read_raw(p, cache=False)
        want = REAL_SIZES.get(p.name) or (R.raw_info(p)["width"], R.raw_info(p)["height"])
        assert ph.size == want and ph.data.shape == (want[1], want[0], 3), p.name
        assert ph.data.std() > 0.01 and np.isfinite(ph.data).all(), p.name
        ours = enh.render_raw(ph, {}, out_dtype=np.uint8)
        with rawpy.imread(str(p)) as r:  # LibRaw's own development, same exposure choices
            ref = r.postprocess(use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB, output_bps=8,
                                gamma=(2.4, 12.92), no_auto_bright=True, adjust_maximum_thr=0.0, user_flip=0,
                                highlight_mode=rawpy.HighlightMode.Blend, bright=ph.headroom)
        if ph.crop:
            x, y, w, h = ph.crop
            ref = ref[y:y + h, x:x + w]
        assert ph.orientation == 1 and ref.shape == ours.shape
        de = mean_de(ours, ref, step=3)
        assert de <= 3.0, (p.name, de)


def test_canon_crw_metadata(data_dir):
    crw = data_dir / "raw" / "RAW_CANON_D30_SRGB.CRW"
    if not crw.exists():
        pytest.skip("RAW_CANON_D30_SRGB.CRW missing")
    info = R.raw_info(crw)
    assert info["camera_make"] == "Canon" and info["camera_model"] == "EOS D30"
    assert info["iso"] == 100 and info["exposure_time"] == "1/200 s" and info["f_number"] == "f/11"
    assert info["focal_length"] == "100 mm" and info["datetime"] == "2002:11:24 15:11:22"


def test_cinema_dng(data_dir):
    bm = data_dir / "raw" / "Blackmagic.dng"
    if not bm.exists():
        pytest.skip("Blackmagic.dng missing")
    ph = R.read_raw(bm, mode="half", cache=False)
    assert ph.metadata.make == "Blackmagic" and ph.full_size == (4096, 2160) and ph.size == (2048, 1080)
    assert 3000 < ph.as_shot_white[0] < 5500 and ph.headroom > 1.5


# ----------------------------------------------------------------------------- bad files
def _tile_offset(dng: Path) -> int:
    """Offset of the (single) image tile of a pidng DNG: where its header ends."""
    b = dng.read_bytes()
    e = "<" if b[:2] == b"II" else ">"
    off = struct.unpack(e + "I", b[4:8])[0]
    n = struct.unpack(e + "H", b[off:off + 2])[0]
    for i in range(n):
        tag, typ, count, val = struct.unpack(e + "HHII", b[off + 2 + 12 * i:off + 14 + 12 * i])
        if tag == 324:
            return val
    raise AssertionError("no TileOffsets")


def _bad_files(tmp: Path, dng: Path) -> dict[str, tuple[Path, type]]:
    out: dict[str, tuple[Path, type]] = {}
    (tmp / "empty.CR2").write_bytes(b"")
    out["empty"] = (tmp / "empty.CR2", InputError)
    jpg = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(jpg, "JPEG")
    (tmp / "photo.NEF").write_bytes(jpg.getvalue())
    out["jpeg_as_nef"] = (tmp / "photo.NEF", InputError)
    (tmp / "clip.r3d").write_bytes(b"RED2" + bytes(1000))
    out["r3d"] = (tmp / "clip.r3d", UnsupportedFormat)
    (tmp / "noise.arw").write_bytes(np.random.default_rng(0).integers(0, 256, 50000, dtype=np.uint8).tobytes())
    out["noise"] = (tmp / "noise.arw", UnsupportedFormat)
    data = dng.read_bytes()
    (tmp / "header_only.dng").write_bytes(data[:_tile_offset(dng)])
    out["header_only_dng"] = (tmp / "header_only.dng", InputError)
    for frac in (0.001, 0.5, 0.99):
        q = tmp / f"cut{frac}.dng"
        q.write_bytes(data[:int(len(data) * frac)])
        out[f"truncated_dng_{frac}"] = (q, InputError)
    for name, fracs in (("Blackmagic.dng", (0.0003, 0.3)), ("RAW_CANON_D30_SRGB.CRW", (0.00001, 0.9)),
                        ("RAW_KODAK_DC50.KDC", (0.5,))):
        src = RAW_DIR / name  # truncated camera files too, where present
        if src.exists():
            b = src.read_bytes()
            for frac in fracs:
                q = tmp / f"cut{frac}_{name}"
                q.write_bytes(b[:max(8, int(len(b) * frac))])
                out[f"truncated_{name}_{frac}"] = (q, InputError)
    return out


def test_bad_raws_one_clear_error_no_output(tmp_path, dng, enh, capfd):
    for case, (p, exc) in _bad_files(tmp_path, dng).items():
        for fn in (lambda q: R.read_raw(q, cache=False), R.raw_info,
                   lambda q: enh.enhance_file(q, tmp_path / "out.jpg")):
            with pytest.raises(exc) as ei:
                fn(p)
            msg = str(ei.value)
            assert str(p) in msg and "\n" not in msg, (case, msg)
        assert not (tmp_path / "out.jpg").exists(), case
    # LibRaw's own messages ("Unexpected end of file") are folded into the error, not printed
    assert "Unexpected end of file" not in capfd.readouterr().err


def test_extract_thumb_errors(tmp_path):
    (tmp_path / "e.nef").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        R.extract_thumb(tmp_path / "e.nef")
    with pytest.raises(InputError, match="no such file"):
        R.extract_thumb(tmp_path / "missing.cr2")


# ----------------------------------------------------------------------------- engine and CLI
def test_every_task_and_preset_on_a_raw(dng, tmp_path, monkeypatch):
    """Every task and preset develops a RAW end to end (plans baked at 17³ to stay quick:
    what is tested here is the RAW path, not the LUT precision): the Kodak DC50 file where
    the full collection is present, else the synthetic DNG (both 768×512)."""
    import functools

    from kolors.engine import enhancer as E
    monkeypatch.setattr(E, "Plan", functools.partial(E.Plan, lut_size=17))
    src = RAW_DIR / "RAW_KODAK_DC50.KDC"
    if not src.exists():
        src = dng
    enh = E.Enhancer(model_type="classic", device="cpu")
    for preset in enh.presets():
        out = enh.enhance_file(src, tmp_path / f"p_{preset}.jpg", preset=preset)
        assert read_image(out).size == (768, 512), preset
    for task in enh.tasks():
        ref = src if task == "style_transfer" else None
        out = enh.enhance_file(src, tmp_path / f"t_{task}.tif", task=task, reference=ref, bits=16)
        im = read_image(out)
        assert im.bits == 16 and im.size == (768, 512), task


def test_raw_path_imports_no_torch():
    """What a neutral RAW export imports (the CLI, errors, images, raw, the encode tables,
    colorimetry) stays free of torch — and of OpenCV, another quarter second."""
    code = ("import sys, kolors.cli, kolors.errors, kolors.io.images, kolors.io.raw, kolors.engine.encode, "
            "kolors.core.colorimetry; print(sorted(m for m in ('torch', 'cv2') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(REPO / "app")))
    assert r.returncode == 0 and r.stdout.strip() == "[]", (r.stdout, r.stderr)


# runs the CLI in a fresh process and says whether torch was imported
_RUNNER = ("import sys; from kolors.cli import main; rc = main(sys.argv[1:]); "
           "print('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(rc)")


def kolors_torch(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-c", _RUNNER, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_neutral_raw_export_is_torch_free_and_the_enhancers(dng, enh, tmp_path):
    """`kolors enhance x.dng -o y.jpg` with nothing to grade develops the RAW without torch
    and writes the pixels and EXIF that Enhancer.enhance_file writes; the --raw-* options
    and --bits apply. A grade, or 32 bits, goes through the Enhancer (and torch)."""
    cases = {"a.jpg": ([], {}),
             "b.tif": (["--bits", "16", "--raw-wb", "daylight", "--raw-highlights", "clip"],
                       dict(bits=16, raw_options=R.RawOptions(white_balance="daylight", highlights="clip"))),
             "c.png": (["--raw-demosaic", "ppg", "--raw-wb", "custom", "--raw-temperature", "5000"],
                       dict(raw_options=R.RawOptions(demosaic="ppg", white_balance="custom", temperature=5000)))}
    for name, (flags, kw) in cases.items():
        out = tmp_path / f"cli_{name}"
        r = kolors_torch("enhance", dng, "-o", out, *flags)
        assert r.returncode == 0 and r.stdout.strip() == "no torch", (name, r.stdout, r.stderr)
        ref = enh.enhance_file(dng, tmp_path / f"api_{name}", **kw)
        a, b = read_image(out), read_image(ref)
        assert a.data.dtype == b.data.dtype and np.array_equal(a.data, b.data), name
        assert a.exif == b.exif and image_info(out)["iso"] == 200, name
    assert read_image(tmp_path / "cli_b.tif").bits == 16 and read_image(tmp_path / "cli_c.png").bits == 16
    # a batch of RAWs: no torch either, the same files
    folder = tmp_path / "raws"
    folder.mkdir()
    for n in ("one.dng", "two.DNG"):
        shutil.copy(dng, folder / n)
    r = kolors_torch("batch", folder, "-o", tmp_path / "out", "--quality", "90")
    assert r.returncode == 0 and r.stdout.strip() == "no torch", (r.stdout, r.stderr)
    ref = read_image(enh.enhance_file(dng, tmp_path / "api_q90.jpg", quality=90)).data
    for n in ("one.jpg", "two.jpg"):
        assert np.array_equal(read_image(tmp_path / "out" / n).data, ref), n
    # anything to grade goes through the Enhancer
    r = kolors_torch("enhance", dng, "-o", tmp_path / "graded.jpg", "--set", "exposure=0.2")
    assert r.returncode == 0 and r.stdout.strip() == "torch imported", (r.stdout, r.stderr)
    r = kolors_torch("enhance", dng, "-o", tmp_path / "float.tif", "--bits", "32")
    assert r.returncode == 0 and r.stdout.strip() == "torch imported", (r.stdout, r.stderr)
    # a bad RAW on the torch-free path: one line naming the file, exit 2, no output
    bad = tmp_path / "cut.dng"
    bad.write_bytes(dng.read_bytes()[:4096])
    r = kolors_torch("enhance", bad, "-o", tmp_path / "cut.jpg")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and str(bad) in lines[0], r.stderr
    assert not (tmp_path / "cut.jpg").exists()


def kolors(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_enhance_info_batch_and_bad_raw(data_dir, tmp_path, dng):
    crw = data_dir / "raw" / "RAW_CANON_D30_SRGB.CRW"
    if not crw.exists():
        pytest.skip("RAW_CANON_D30_SRGB.CRW missing")
    out = tmp_path / "out.tif"
    r = kolors("enhance", crw, "-o", out, "--bits", "16", "--set", "exposure=0.3", "--raw-demosaic", "ppg")
    assert r.returncode == 0, r.stderr
    info = image_info(out)
    assert info["bits"] == 16 and (info["width"], info["height"]) == (2160, 1440)
    assert (info["camera_make"], info["camera_model"], info["iso"]) == ("Canon", "EOS D30", 100)
    assert (info["exposure_time"], info["f_number"]) == ("1/200 s", "f/11")

    r = kolors("info", crw)
    assert r.returncode == 0, r.stderr
    for needle in ("Canon", "EOS D30", "iso            100", "1/200 s", "f/11", "100 mm", "lens"):
        assert needle in r.stdout, needle

    folder = tmp_path / "raws"
    folder.mkdir()
    shutil.copy(crw, folder / crw.name)
    shutil.copy(dng, folder / "synthetic.DNG")
    kdc = data_dir / "raw" / "RAW_KODAK_DC50.KDC"
    if kdc.exists():
        shutil.copy(kdc, folder / kdc.name)
    r = kolors("batch", folder, "-o", tmp_path / "graded", "--task", "white_balance", "--raw-highlights", "clip")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "graded").iterdir()) == sorted(
        p.stem + ".jpg" for p in folder.iterdir())

    bad = tmp_path / "photo.NEF"
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, "JPEG")
    bad.write_bytes(buf.getvalue())
    res = tmp_path / "bad.jpg"
    r = kolors("enhance", bad, "-o", res, "--raw-wb", "daylight")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and str(bad) in lines[0] and "JPEG" in lines[0], r.stderr
    assert not res.exists()
