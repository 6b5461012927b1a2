"""The shipped learned models through the public API."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from kolors import Enhancer
from kolors.core import color, registry
from kolors.model import shipped_path
from kolors.model.net import TASK_IDS

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "kodim23.png"


@pytest.fixture(scope="module")
def bgr() -> np.ndarray:
    a = np.asarray(Image.open(SAMPLE).convert("RGB"))[::4, ::4]
    return np.ascontiguousarray(a[..., ::-1])


@pytest.fixture(scope="module", params=["general", "lite"])
def enh(request) -> Enhancer:
    assert shipped_path(request.param).is_file(), "shipped weights missing from resources/models"
    e = Enhancer(request.param, device="cpu")
    assert e.effective_model_type == request.param and e.model is not None
    return e


def test_learned_tasks_are_deterministic_and_intensity_zero_is_identity(enh, bgr):
    for task in TASK_IDS:
        kw = {"reference": bgr[::-1].copy()} if task == "style_transfer" else {}
        a = enh.enhance(bgr, task=task, **kw)
        b = enh.enhance(bgr, task=task, **kw)
        assert a.dtype == np.uint8 and a.shape == bgr.shape
        assert np.array_equal(a, b), task
        assert np.array_equal(enh.enhance(bgr, task=task, intensity=0.0, **kw), bgr), task


def test_model_settings_hold_controls_and_residual(enh, bgr):
    lin = color.srgb_to_linear(torch.from_numpy(bgr[..., ::-1].astype(np.float32) / 255).permute(2, 0, 1)[None])
    s = enh.analyse(lin.contiguous(), "color_correction")
    assert {"learned_lut", "learned_grid"} <= set(s)
    assert all(k in s for k in ("exposure", "temperature", "tint", "contrast", "highlights", "shadows",
                                "chroma_boost"))
    registry.validate_settings(s)
    half = enh.analyse(lin.contiguous(), "color_correction", intensity=0.5)
    assert np.allclose(half["learned_lut"], 0.5 * s["learned_lut"], atol=1e-6)
    # the strength is the model's per-task value: the intensity already scales the LUT and grid
    assert half["learned_strength"] == s["learned_strength"] == enh.model.residual_strength.get("color_correction", 1.0)


def test_calibrated_strength_is_not_blended_by_intensity(bgr):
    """A task's calibrated residual strength goes into the settings as it is; the intensity
    scales the LUT and grid (so the residual grows with it) and 0 is still the identity."""
    e = Enhancer("lite", device="cpu")
    e.model.residual_strength = {"color_correction": 0.3}
    lin = color.srgb_to_linear(torch.from_numpy(bgr[..., ::-1].astype(np.float32) / 255).permute(2, 0, 1)[None])
    full = e.analyse(lin.contiguous(), "color_correction")
    half = e.analyse(lin.contiguous(), "color_correction", intensity=0.5)
    assert full["learned_strength"] == half["learned_strength"] == 0.3
    assert np.allclose(half["learned_grid"], 0.5 * full["learned_grid"], atol=1e-6)
    assert e.analyse(lin.contiguous(), "hdr_enhance")["learned_strength"] == 1.0
    assert np.array_equal(e.enhance(bgr, task="color_correction", intensity=0.0), bgr)


def test_industrial_stays_classical(enh, bgr):
    lin = color.srgb_to_linear(torch.from_numpy(bgr[..., ::-1].astype(np.float32) / 255).permute(2, 0, 1)[None])
    s = enh.analyse(lin.contiguous(), "industrial")
    assert "learned_lut" not in s


def test_learned_render_tiles_seamlessly(bgr):
    """The residual's grid is sliced at each pixel's position in the full photo: a render
    in 64-px tiles equals the untiled one."""
    e_small = Enhancer("general", device="cpu", mem_optim={"tile_size": 64})
    e_big = Enhancer("general", device="cpu", mem_optim={"tile_size": 4096})
    f = bgr.astype(np.float32) / 255
    a = e_small.enhance(f, task="color_enhance")
    b = e_big.enhance(f, task="color_enhance")
    assert np.abs(a - b).max() <= 1e-4
