"""Lens corrections: the manual distortion slider and a lensfun profile straighten a
synthetic grid drawn through a known distortion to within 0.5 px; the profile's vignetting
correction evens out the corners; a RAW whose camera and lens lensfun knows is found by its
EXIF; a lens it does not know says so."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kolors import Enhancer
from kolors.engine.lens import MANUAL_K, LensInfo, lens_info
from kolors.engine.session import PhotoSession
from kolors.io.images import write_image
from kolors.io.raw import RawMetadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rawgen import make_dng  # noqa: E402

W, H, PITCH = 480, 320, 32
CAMERA, LENS = ("Canon", "Canon EOS 5D Mark II"), "EF 24-70mm f/2.8L"


def grid(xu: np.ndarray, yu: np.ndarray) -> np.ndarray:
    """A bright anti-aliased line every PITCH px (at multiples of PITCH) on grey, linear."""
    def line(t):
        d = t - PITCH * np.round(t / PITCH)
        return np.exp(-0.5 * (d / 1.2) ** 2)
    return 0.12 + 0.6 * np.maximum(line(xu), line(yu))


def _encode16(lin: np.ndarray) -> np.ndarray:
    enc = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.clip(lin, 0, None) ** (1 / 2.4) - 0.055)
    return np.round(np.clip(enc, 0, 1) * 65535).astype(np.uint16)


def _line_error(img: np.ndarray) -> float:
    """Largest deviation (px) of the vertical lines' centroids from multiples of PITCH,
    over rows away from the horizontal lines (inner lines only)."""
    v = img[..., 1].astype(np.float64)
    worst = 0.0
    for y in range(8, v.shape[0] - 8):
        if abs(y - PITCH * round(y / PITCH)) < 6:
            continue
        for n in range(1, v.shape[1] // PITCH):
            x0 = n * PITCH
            win = v[y, x0 - 6:x0 + 7]
            w = np.clip(win - np.median(v[y]), 0, None)
            if w.sum() <= 0:
                continue
            cx = (w * np.arange(x0 - 6, x0 + 7)).sum() / w.sum()
            worst = max(worst, abs(cx - x0))
    return worst


def _write(path: Path, lin: np.ndarray, meta: RawMetadata | None = None) -> Path:
    write_image(path, _encode16(lin), exif=meta.exif() if meta else None)
    return path


@pytest.fixture(scope="module")
def enh():
    return Enhancer(model_type="classic", device="cpu")


def test_manual_distortion_straightens_a_barrel_grid(enh, tmp_path):
    k = -0.06                                   # barrel: the lens drew the edges towards the centre
    q = np.mgrid[0:H, 0:W].astype(np.float64)
    cy, cx = (H - 1) / 2, (W - 1) / 2
    d2 = 0.25 * (W * W + H * H)
    uy, ux = q[0].copy(), q[1].copy()
    for _ in range(30):                         # undistorted point whose image is q
        f = 1 + k * ((ux - cx) ** 2 + (uy - cy) ** 2) / d2
        ux, uy = cx + (q[1] - cx) / f, cy + (q[0] - cy) / f
    src = _write(tmp_path / "barrel.png", grid(ux, uy)[..., None].repeat(3, 2))
    before = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    assert _line_error(before) > 3.0
    out = enh.export_graded(src, tmp_path / "fixed.png", {"lens_distortion": -k / MANUAL_K}, bits=16)
    fixed = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert fixed.shape == before.shape
    assert _line_error(fixed) < 0.5


def _profile_photo(tmp_path: Path, focal=24.0, aperture=2.8):
    import lensfunpy
    db = lensfunpy.Database()
    cam = db.find_cameras(*CAMERA)[0]
    lens = db.find_lenses(cam, None, LENS)[0]
    m = lensfunpy.Modifier(lens, cam.crop_factor, W, H)
    m.initialize(focal, aperture, 1000.0, scale=1.0, pixel_format=np.float32,
                 flags=lensfunpy.ModifyFlags.ALL, reverse=True)
    coords = m.apply_subpixel_geometry_distortion()          # (H, W, 3, 2) undistorted positions
    img = np.stack([grid(coords[..., c, 0], coords[..., c, 1]) for c in range(3)], -1).astype(np.float32)
    m.apply_color_modification(img)                          # the lens's vignetting, darkening
    return img, lens


def test_profile_straightens_and_evens_out_vignetting(enh, tmp_path):
    img, lens = _profile_photo(tmp_path)
    meta = RawMetadata(make=CAMERA[0], model=CAMERA[1], aperture=2.8, focal_length=24.0, lens=LENS)
    src = _write(tmp_path / "shot.png", img, meta)
    info = lens_info(meta.exif())
    assert info == LensInfo(CAMERA[0], CAMERA[1], "", LENS, 24.0, 2.8, None)
    before = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    assert _line_error(before) > 2.0
    s = PhotoSession(enh, src)
    assert s.lens_status({"lens_correction": True}).startswith(f"lens profile: {lens.model}")
    out = s.export(tmp_path / "fixed.png", {"lens_correction": True}, bits=16)
    fixed = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert _line_error(fixed) < 0.5
    # vignetting: the grey between the lines is as bright in the corners as in the middle
    lin = lambda a: ((a / 65535.0 + 0.055) / 1.055) ** 2.4                         # noqa: E731
    def ratio(a):
        g = lin(a[..., 1].astype(np.float64))
        return np.median(g[6:26, 6:26]) / np.median(g[H // 2 - 10:H // 2 + 10, W // 2 - 10:W // 2 + 10])
    assert ratio(before) < 0.6
    assert abs(ratio(fixed) - 1) < 0.05


def test_preview_matches_the_export_on_a_photo(enh, sample_rgb, tmp_path):
    """A Kodak photo "shot" with the profiled lens: the fit preview is the export made small
    (a photo, not the thin-line grid, which aliases differently at each scale)."""
    meta = RawMetadata(make=CAMERA[0], model=CAMERA[1], aperture=2.8, focal_length=24.0, lens=LENS)
    src = tmp_path / "kodak.png"
    write_image(src, (sample_rgb.astype(np.uint16) * 257), exif=meta.exif())
    s = PhotoSession(enh, src)
    settings = {"lens_correction": True, "lens_distortion": 0.2, "exposure": 0.3}
    out = cv2.imread(str(s.export(tmp_path / "out.png", settings, bits=8)))[..., ::-1].astype(np.float64)
    prev = s.render_preview(settings, 384).astype(np.float64)
    small = cv2.resize(out, (prev.shape[1], prev.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(prev - small).mean() < 2.0
    plain = cv2.imread(str(s.export(tmp_path / "plain.png", {"exposure": 0.3}, bits=8)))[..., ::-1]
    assert np.abs(out - plain).mean() > 5                      # the correction did something


def test_raw_with_a_known_lens(enh, tmp_path):
    img, lens = _profile_photo(tmp_path, focal=24.0, aperture=4.0)
    enc8 = np.round(_encode16(img) / 257.0).astype(np.uint8)
    dng = make_dng(tmp_path / "shot.dng", enc8, make=CAMERA[0], model=CAMERA[1].replace("Canon ", ""),
                   focal=24.0, fnumber=4.0, lens=LENS)
    s = PhotoSession(enh, dng)
    status = s.lens_status({"lens_correction": True})
    assert status.startswith(f"lens profile: {lens.model}") and "24 mm f/4" in status, status
    out = enh.export_graded(dng, tmp_path / "raw.png", {"lens_correction": True}, bits=16)
    fixed = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    plain = cv2.imread(str(enh.export_graded(dng, tmp_path / "plain.png", {}, bits=16)), cv2.IMREAD_UNCHANGED)
    assert _line_error(plain) > 2.0 and _line_error(fixed) < 0.5


def test_unknown_lens_says_so_and_manual_sliders_still_work(enh, sample_png, tmp_path):
    s = PhotoSession(enh, sample_png)                       # a Kodak scan: no camera, no lens
    status = s.lens_status({"lens_correction": True})
    assert status.startswith("no lens profile") and "manual" in status
    assert s.lens_status({}) == ""
    plain = s.render_preview({}, 200)
    assert np.array_equal(s.render_preview({"lens_correction": True}, 200), plain)   # nothing to correct
    vig = s.render_preview({"lens_correction": True, "lens_vignetting": 0.8}, 200).astype(float)
    corner, centre = (vig - plain)[:10, :10].mean(), (vig - plain)[60:70, 95:105].mean()
    assert corner > 10 and abs(centre) < 2


def test_before_region_has_the_lens_warp_but_not_the_edit(enh, sample_rgb, tmp_path):
    """The viewer's "before" tile at 100 %: the unedited pixels under the same framing as
    the "after" tile, lens distortion and TCA included, lens vignetting and the grade not."""
    img, _ = _profile_photo(tmp_path)
    meta = RawMetadata(make=CAMERA[0], model=CAMERA[1], aperture=2.8, focal_length=24.0, lens=LENS)
    src = _write(tmp_path / "shot.png", img, meta)
    s = PhotoSession(enh, src)
    settings = {"lens_correction": True, "lens_distortion": 0.2, "crop": [0.05, 0.05, 0.95, 0.95],
                "exposure": 0.7}
    fw, fh = s.framed_size(settings)
    rect = (fw // 4, fh // 4, fw // 2, fh // 2)
    before = s.render_region_original(settings, rect).astype(np.float64)
    x, y, w, h = rect
    whole = s.original(max(fw, fh), settings).astype(np.float64)       # the framed unedited photo
    assert whole.shape[:2] == (fh, fw)
    assert np.abs(before - whole[y:y + h, x:x + w]).mean() < 1.0
    geometry_only = s.render_region({"crop": settings["crop"]}, rect).astype(np.float64)
    assert np.abs(before - geometry_only).mean() > 3.0                  # the warp is there
    after = s.render_region(settings, rect).astype(np.float64)
    assert after.mean() > before.mean() + 20                            # the grade is not
