"""The seed's Python API."""
from __future__ import annotations

import numpy as np
import pytest

from kolors import Enhancer

TASKS = ["color_correction", "color_enhance", "white_balance", "style_transfer", "old_photo_restoration",
         "hdr_enhance", "low_light", "industrial"]


@pytest.fixture(scope="module")
def enh():
    return Enhancer(model_type="classic", device="cpu")


@pytest.fixture(scope="module")
def bgr(sample_rgb):
    return np.ascontiguousarray(sample_rgb[::2, ::2, ::-1])


def test_lists(enh):
    assert enh.tasks() == TASKS
    assert "cinema" in enh.presets() and len(enh.presets()) >= 12


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_same_type_and_shape(enh, bgr, dtype):
    img = {np.uint8: bgr, np.uint16: bgr.astype(np.uint16) * 257, np.float32: bgr.astype(np.float32) / 255}[dtype]
    out = enh.enhance(img, preset="cinema")
    assert out.dtype == img.dtype and out.shape == img.shape
    assert not np.array_equal(out, img)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_works_and_intensity_blends(enh, bgr, task):
    ref = np.ascontiguousarray(bgr[:, ::-1, ::-1]) if task == "style_transfer" else None
    full = enh.enhance(bgr, task=task, reference=ref)
    assert full.shape == bgr.shape and full.dtype == bgr.dtype
    assert np.abs(full.astype(int) - bgr).mean() > 0.5, f"{task} did nothing"
    zero = enh.enhance(bgr, task=task, intensity=0.0, reference=ref)
    assert np.array_equal(zero, bgr), f"{task} at intensity 0 is not the identity"
    half = enh.enhance(bgr, task=task, intensity=0.5, reference=ref)
    d_half = np.abs(half.astype(int) - bgr).mean()
    d_full = np.abs(full.astype(int) - bgr).mean()
    assert 0 < d_half < d_full


def test_white_balance_removes_a_cast(enh, bgr):
    cast = np.clip(bgr.astype(np.float32) * np.array([0.7, 1.0, 1.25]), 0, 255).astype(np.uint8)  # BGR: warm
    out = enh.enhance(cast, task="white_balance")
    def imbalance(a):
        m = a.reshape(-1, 3).astype(float).mean(0)
        return np.abs(m - m.mean()).sum()
    assert imbalance(out) < 0.5 * imbalance(cast)


def test_style_transfer_moves_toward_reference(enh, bgr):
    ref = np.zeros_like(bgr)
    ref[...] = (40, 120, 200)  # BGR orange-ish reference
    ref = np.clip(ref + np.random.default_rng(0).integers(-30, 30, ref.shape), 0, 255).astype(np.uint8)
    out = enh.enhance(bgr, task="style_transfer", reference=ref)
    d0 = np.abs(bgr.reshape(-1, 3).mean(0) - ref.reshape(-1, 3).mean(0)).sum()
    d1 = np.abs(out.reshape(-1, 3).mean(0) - ref.reshape(-1, 3).mean(0)).sum()
    assert d1 < 0.5 * d0


def test_industrial_region_boost(enh, bgr):
    roi = (20, 20, 120, 100)
    out = enh.enhance(bgr, task="industrial", color_space="LAB", region_boost={"roi": [roi], "factor": 2.0})
    plain = enh.enhance(bgr, task="industrial")
    inside = (slice(30, 90), slice(30, 110))
    outside = (slice(150, 250), slice(200, 380))
    assert np.abs(out[inside].astype(int) - plain[inside]).mean() > 1.0
    assert np.abs(out[outside].astype(int) - plain[outside]).mean() < 0.5


def test_set_preset_and_params_persist(bgr):
    e = Enhancer(model_type="classic", device="cpu")
    e.set_preset("cinema").set_params(chroma_boost=1.5)
    a = e.enhance(bgr)
    b = Enhancer(model_type="classic", device="cpu").enhance(bgr, preset="cinema", chroma_boost=1.5)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("call, match", [
    (lambda e, im: e.enhance(im, task="sharpen"), "valid tasks: color_correction"),
    (lambda e, im: e.enhance(im, preset="nope"), "valid presets: .*cinema"),
    (lambda e, im: e.enhance(im, brightness=1), "valid parameters: .*chroma_boost"),
    (lambda e, im: e.enhance(im, chroma_boost=3.0), r"chroma_boost.*\[0, 2\]"),
    (lambda e, im: e.enhance(im, intensity=1.5), "intensity"),
    (lambda e, im: e.enhance(im, task="style_transfer"), "reference"),
    (lambda e, im: e.enhance(im[..., 0]), "H×W×3"),
    (lambda e, im: e.enhance(im.astype(np.float64)), "dtype"),
    (lambda e, im: Enhancer(model_type="huge"), "valid: general, lite, classic"),
    (lambda e, im: Enhancer(device="tpu"), "valid: auto, cpu"),
    (lambda e, im: Enhancer(mem_optim={"tile": 3}), "tile_size"),
])
def test_errors_name_the_valid_choices(enh, bgr, call, match):
    with pytest.raises(ValueError, match=match):
        call(enh, bgr)
