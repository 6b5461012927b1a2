"""Tiled rendering, device choice and CUDA out-of-memory fall-back."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kolors.core import registry
from kolors.core.pipeline import Plan
from kolors.engine import device as D
from kolors.engine import render as R

SPATIAL = {"local_contrast": True, "local_contrast_amount": 0.8, "detail_recovery": 0.6, "chroma_denoise": 0.5,
           "vignette": -0.4, "contrast": 0.3, "vibrance": 0.3,
           "region_boost": {"roi": [[40, 30, 300, 200]], "factor": 1.7, "feather": 10}}


def test_tiled_equals_untiled(sample_rgb):
    s = registry.validate_settings(SPATIAL)
    plan = Plan(s)
    whole = R.render_array(sample_rgb, plan, np.float32, R.RenderOptions(tile_size=4096))
    tiled = R.render_array(sample_rgb, plan, np.float32, R.RenderOptions(tile_size=128))
    assert np.abs(whole - tiled).max() <= 1e-4
    assert np.abs(whole - sample_rgb / 255.0).mean() > 0.01  # it did something


def test_unedited_is_bit_exact(sample_rgb):
    out = R.render_array(sample_rgb, Plan({}), np.uint8)
    assert np.array_equal(out, sample_rgb)
    u16 = (sample_rgb.astype(np.uint16) * 257) ^ 0x15
    assert np.array_equal(R.render_array(u16, Plan({}), np.uint16), u16)


def test_auto_device_is_cpu_without_cuda():
    if torch.cuda.is_available():
        assert D.resolve_device("auto").type == "cuda"
    else:
        assert D.resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            D.resolve_device("cuda:0")
    with pytest.raises(ValueError, match="valid"):
        D.resolve_device("tpu")


class _FakeOOM:
    """Pretend to be a CUDA device that runs out of memory above ``limit`` pixels."""

    def __init__(self, limit: int | None):
        self.limit, self.sizes, self.devices = limit, [], []

    def __call__(self, t, device, half):
        self.devices.append(device.type)
        if device.type == "cuda":
            self.sizes.append(t.shape[-1] * t.shape[-2])
            if self.limit is None or t.shape[-1] * t.shape[-2] > self.limit:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return t  # computed on the CPU in this test


def test_oom_halves_the_tile_size(monkeypatch, sample_rgb):
    fake = _FakeOOM(limit=130 * 130)
    monkeypatch.setattr(R, "_to_device", fake)
    msgs = []
    plan = Plan(registry.validate_settings(SPATIAL))
    opts = R.RenderOptions(device=torch.device("cuda"), tile_size=512, on_message=msgs.append)
    out = R.render_array(sample_rgb, plan, np.float32, opts)
    ref = R.render_array(sample_rgb, plan, np.float32, R.RenderOptions(tile_size=512))
    assert [m for m in msgs if "tile size 256" in m] and [m for m in msgs if "tile size 128" in m]
    assert not any("CPU" in m for m in msgs)
    assert np.abs(out - ref).max() <= 1e-4


def test_oom_falls_back_to_cpu_and_says_so(monkeypatch, sample_rgb):
    fake = _FakeOOM(limit=None)
    monkeypatch.setattr(R, "_to_device", fake)
    msgs = []
    plan = Plan(registry.validate_settings(SPATIAL))
    out = R.render_array(sample_rgb, plan, np.uint8,
                         R.RenderOptions(device=torch.device("cuda"), tile_size=256, on_message=msgs.append))
    assert any("falling back to the CPU" in m for m in msgs)
    assert fake.devices[-1] == "cpu"
    ref = R.render_array(sample_rgb, plan, np.uint8, R.RenderOptions(tile_size=256))
    assert np.array_equal(out, ref)


def test_other_errors_are_not_swallowed(monkeypatch, sample_rgb):
    def boom(t, device, half):
        raise RuntimeError("something else broke")
    monkeypatch.setattr(R, "_to_device", boom)
    plan = Plan(registry.validate_settings(SPATIAL))
    with pytest.raises(RuntimeError, match="something else"):
        R.render_array(sample_rgb, plan, np.uint8, R.RenderOptions(device=torch.device("cuda")))


def test_cancel(sample_rgb):
    plan = Plan(registry.validate_settings(SPATIAL))
    with pytest.raises(R.Cancelled):
        R.render_array(sample_rgb, plan, np.uint8, R.RenderOptions(tile_size=64, should_cancel=lambda: True))
