"""The interactive session (kolors.engine.session) the desktop app drives, its sidecar
(kolors.io.sidecar), scope data (kolors.core.scopes) and file thumbnails."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import kolors.core.lut  # noqa: F401 - numba before colour-science
from kolors.core.scopes import compute_scopes
from kolors.engine.enhancer import Enhancer
from kolors.engine.session import Edit, PhotoSession, region_for_tiles
from kolors.io.images import read_image, write_image
from kolors.io.sidecar import read_sidecar, sidecar_path, write_sidecar


@pytest.fixture(scope="module")
def enh():
    return Enhancer(model_type="classic", device="cpu", mem_optim={"tile_size": 128})


def _ro(path):
    """Make ``path`` read-only and return its bytes and mtime, to prove it is never written."""
    os.chmod(path, 0o444)
    return path.read_bytes(), path.stat().st_mtime_ns


def test_edit_merges_preset_task_and_params_and_round_trips():
    e = Edit(preset="cinema", task="color_enhance", intensity=0.5,
             task_result={"chroma_boost": 1.6, "contrast": 0.4}, params={"contrast": -0.2, "exposure": 0.3})
    s = e.settings()
    assert s["film_strength"] == 0.7                      # from the preset
    assert s["chroma_boost"] == pytest.approx(1.3)        # task blended halfway to the default 1.0
    assert s["contrast"] == -0.2 and s["exposure"] == 0.3  # the person's values win
    back = Edit.from_json(json.loads(json.dumps(e.to_json())))
    assert back.settings() == s
    with pytest.raises(ValueError, match="exposure"):
        Edit.from_json({"params": {"exposure": 99}})
    with pytest.raises(ValueError, match="preset"):
        Edit.from_json({"preset": "no_such_preset"})


def test_preview_bands_equal_one_render_and_original_is_the_unedited_render(sample_png, enh):
    ro = _ro(sample_png)
    s = PhotoSession(enh, sample_png)
    arr, scale = s.proxy(400)
    assert max(arr.shape[:2]) == 400 and scale == pytest.approx(400 / 768)
    settings = {"exposure": 0.4, "local_contrast": True, "local_contrast_amount": 0.8, "vignette": -0.4}
    bands = []
    out = s.render_preview(settings, 400, band=64, on_band=lambda y, rows: bands.append(y))
    assert bands == list(range(0, arr.shape[0], 64))
    whole = enh.render(arr, settings, out_dtype=np.uint8, scale=scale, full_size=s.full_size)
    assert np.abs(out.astype(int) - whole).max() <= 1   # bands see their halo: seamless
    assert np.array_equal(s.original(400), arr)          # unedited = the proxy itself, bit for bit
    coarse = s.render_preview(settings, 400, coarse=True)
    assert coarse.shape[0] == arr.shape[0] // 2 or abs(coarse.shape[0] - arr.shape[0] / 2) <= 1
    assert (sample_png.read_bytes(), sample_png.stat().st_mtime_ns) == ro


def test_region_equals_the_same_part_of_a_full_render(sample_png, enh):
    s = PhotoSession(enh, sample_png)
    settings = {"local_contrast": True, "local_contrast_amount": 1.0, "contrast": 0.3, "vignette": -0.5}
    full = enh.render(s.source, settings, out_dtype=np.uint8)
    for rect in region_for_tiles(100, 50, 500, 400, 768, 512, 256):
        x, y, w, h = rect
        part = s.render_region(settings, rect)
        assert part.shape == (h, w, 3)
        assert np.abs(part.astype(int) - full[y:y + h, x:x + w]).max() <= 1, rect
    tiles = region_for_tiles(300, 200, 420, 330, 768, 512, 256)
    assert tiles[0] == (256, 256, 256, 256) or tiles[0][:2] == (256, 0)  # the one nearest the centre first


def test_export_equals_enhance_file_and_scales(sample_png, enh, tmp_path):
    s = PhotoSession(enh, sample_png)
    settings = Edit(preset="cinema", params={"exposure": 0.25}).settings()
    a = s.export(tmp_path / "gui.png", settings)
    b = enh.enhance_file(sample_png, tmp_path / "cli.png", preset="cinema", exposure=0.25)
    assert np.array_equal(read_image(a).data, read_image(b).data)
    small = read_image(s.export(tmp_path / "small.jpg", settings, long_side=300)).data
    assert max(small.shape[:2]) == 300


def test_white_balance_picker_averages_an_area(tmp_path, enh):
    from kolors.core import color
    import torch
    rng = np.random.default_rng(0)
    # a grey card under warm light, with noise: one pixel alone would be off
    lin = np.full((120, 160, 3), 0.18, np.float32) * np.array([1.25, 1.0, 0.7], np.float32)
    lin *= rng.uniform(0.85, 1.15, lin.shape[:2] + (1,)).astype(np.float32)
    lin[:, :, :] *= 1 + rng.normal(0, 0.05, lin.shape).astype(np.float32)
    enc = color.linear_to_srgb(torch.from_numpy(lin)).numpy()
    path = tmp_path / "card.png"
    write_image(path, (np.clip(enc, 0, 1) * 65535 + 0.5).astype(np.uint16))
    s = PhotoSession(enh, path)
    wb = s.pick_white((20, 20, 100, 80), {})
    assert wb["temperature"] < 5000           # a warm cast is corrected by assuming warm light
    out = enh.render(s.source, wb, out_dtype=np.float32)[20:100, 20:120]
    lin_mean = color.srgb_to_linear(torch.from_numpy(out)).reshape(-1, 3).mean(0)
    lab = color.rgb_to_lab(lin_mean.view(3, 1, 1)).flatten()
    assert abs(float(lab[1])) < 1.0 and abs(float(lab[2])) < 1.0, lab


def test_sidecar_round_trip_and_corrupt_set_aside(sample_png):
    ro = _ro(sample_png)
    edit = Edit(preset="cinema", params={"exposure": 0.5}).to_json()
    p = write_sidecar(sample_png, edit)
    assert p == sidecar_path(sample_png) and p.name == "photo.png.kolors.json"
    doc = json.loads(p.read_text())
    assert doc["schema"] == "kolors.sidecar" and doc["version"] == 2 and doc["edit"]["ops"] == {"exposure": 1}
    assert read_sidecar(sample_png).edit == edit
    assert sorted(x.name for x in sample_png.parent.iterdir()) == ["photo.png", "photo.png.kolors.json"]
    p.write_text('{"schema": "kolors.sidecar", "version": 1, "edit": {')   # truncated
    res = read_sidecar(sample_png)
    assert res.edit == {} and "set aside" in res.warning and str(p) in res.warning
    assert res.moved_to.exists() and not p.exists() and res.moved_to.name.startswith("photo.png.kolors.json.corrupt-")
    p.write_text(json.dumps({"schema": "kolors.sidecar", "version": 99, "edit": {}}))
    assert "newer Kolors" in read_sidecar(sample_png).warning
    assert (sample_png.read_bytes(), sample_png.stat().st_mtime_ns) == ro


def test_scopes():
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 100:] = 200                                   # left black, right light grey
    sc = compute_scopes(img)
    assert sc.histogram.shape == (4, 256) and sc.histogram[:3].sum(1).tolist() == [20000] * 3
    assert sc.histogram[3, 0] == 10000 and sc.histogram[3, 200] == 10000
    lev = sc.waveform.shape[0]
    assert sc.waveform[0, :128].sum() == 10000 and sc.waveform[int(200 * lev / 256), 128:].sum() == 10000
    c = sc.vectorscope.shape[0] // 2
    assert sc.vectorscope[c - 1:c + 1, c - 1:c + 1].sum() == 20000   # neutral: the centre
    red = np.zeros((10, 10, 3), np.uint8)
    red[..., 0] = 255
    v = compute_scopes(red).vectorscope
    iy, ix = np.unravel_index(v.argmax(), v.shape)
    assert iy > c + 20 and ix < c                       # Cr high, Cb low
    with pytest.raises(ValueError):
        compute_scopes(np.zeros((4, 4, 3), np.float32))


def test_file_thumbnails_and_listing(tmp_path, sample_png):
    from kolors.engine.thumbs import file_thumbnail, list_photos
    write_image(tmp_path / "b.jpg", read_image(sample_png).data)
    (tmp_path / "notes.txt").write_text("x")
    write_sidecar(sample_png, {})
    names = [p.name for p in list_photos(tmp_path)]
    assert names == ["b.jpg", "photo.png"]
    for p in list_photos(tmp_path):
        t = file_thumbnail(p, 96)
        assert t.dtype == np.uint8 and max(t.shape[:2]) == 96
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(Exception, match="bad.jpg"):
        file_thumbnail(bad, 64)


def _spy_read_raw(monkeypatch) -> list:
    import kolors.io.raw as raw
    calls: list = []
    real = raw.read_raw
    monkeypatch.setattr(raw, "read_raw", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_raw_thumbnails_come_from_the_embedded_preview(data_dir, monkeypatch):
    from kolors.engine.thumbs import file_thumbnail
    calls = _spy_read_raw(monkeypatch)
    t = file_thumbnail(data_dir / "raw" / "RAW_CANON_D30_SRGB.CRW", 96)
    assert t.shape == (64, 96, 3) and not calls            # the camera's JPEG, no development
    t = file_thumbnail(data_dir / "raw" / "Blackmagic.dng", 96)   # none embedded: half-size development
    assert max(t.shape[:2]) == 96 and len(calls) == 1 and t.mean() > 5


def test_raw_thumbnail_without_embedded_preview_is_developed(tmp_path, monkeypatch):
    """A RAW with no embedded preview (a pidng DNG of kodim23): a half-size development,
    whose picture is the photo's."""
    pytest.importorskip("pidng")
    import cv2
    from kolors.engine.thumbs import file_thumbnail
    from rawgen import SHOT_K, make_dng, neutral_of
    from testdata import kodak_photo
    rgb = read_image(kodak_photo(23)).data
    dng = make_dng(tmp_path / "kodim23.dng", rgb, neutral=neutral_of(SHOT_K))
    calls = _spy_read_raw(monkeypatch)
    t = file_thumbnail(dng, 96)
    assert t.shape == (64, 96, 3) and len(calls) == 1
    want = cv2.resize(rgb, (96, 64), interpolation=cv2.INTER_AREA)
    assert float(np.abs(t.astype(int) - want).mean()) < 8.0   # the same photo (development ≠ sRGB file)


def test_clipping_overlay():
    from kolors.core.scopes import CLIP_HIGH, CLIP_LOW, clipping_overlay
    img = np.full((4, 6, 3), 128, np.uint8)
    img[0, 0] = (255, 10, 10)          # a highlight clipped in red
    img[1, 1] = (0, 0, 0)              # crushed shadow
    img[2, 2] = (255, 0, 128)          # both: counts as a highlight
    out, share = clipping_overlay(img)
    assert tuple(out[0, 0]) == CLIP_HIGH and tuple(out[2, 2]) == CLIP_HIGH and tuple(out[1, 1]) == CLIP_LOW
    assert (out[3] == 128).all() and share == {"highlights": 2 / 24, "shadows": 1 / 24}
    with pytest.raises(ValueError):
        clipping_overlay(img.astype(np.float32))
