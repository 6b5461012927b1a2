"""color_transfer: Reinhard transfer in Oklab, and oklab_stats."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from kolors.core.color import rgb_to_oklab, srgb_to_linear
from kolors.core.ops.color_transfer import MAX_GAIN, ColorTransfer, oklab_stats
from kolors.core.params import RenderContext

OP = ColorTransfer()
CTX = RenderContext(full_size=(16, 16))


def photo(kodak, name, step=8):
    path = [p for p in kodak if p.name == name][0]
    a = np.asarray(Image.open(path).convert("RGB"))[::step, ::step] / 255.0
    return srgb_to_linear(torch.tensor(a, dtype=torch.float32).permute(2, 0, 1)[None].contiguous())


def test_oklab_stats_of_a_flat_image():
    x = torch.tensor([0.2, 0.5, 0.1]).view(1, 3, 1, 1).expand(2, 3, 5, 7).contiguous()
    s = oklab_stats(x)
    lab = rgb_to_oklab(x[:1, :, :1, :1].double()).flatten().tolist()
    assert len(s) == 6 and all(isinstance(v, float) for v in s)
    assert np.allclose(s[:3], lab, atol=1e-7) and np.allclose(s[3:], 0, atol=1e-7)


def test_oklab_stats_matches_numpy():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 9, 11, generator=g)
    lab = rgb_to_oklab(x.double()).permute(1, 0, 2, 3).reshape(3, -1).numpy()
    s = oklab_stats(x)
    assert np.allclose(s[:3], lab.mean(1)) and np.allclose(s[3:], lab.std(1))


def test_transfer_gives_the_reference_statistics(kodak):
    src, ref = photo(kodak, "kodim23.png"), photo(kodak, "kodim03.png")
    stats = oklab_stats(src) + oklab_stats(ref)
    p = {"transfer_stats": OP.params["transfer_stats"].validate(stats)}
    assert not OP.is_identity(p)
    out = OP.process(src, p, CTX)
    got = oklab_stats(out)
    assert np.allclose(got, oklab_stats(ref), atol=2e-4), (got, oklab_stats(ref))
    assert not np.allclose(oklab_stats(src), oklab_stats(ref), atol=1e-2)  # the test means something


def test_equal_statistics_are_the_identity():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(1, 3, 8, 8, generator=g)
    s = [0.5, 0.01, -0.02, 0.2, 0.03, 0.04]
    p = {"transfer_stats": s + s}
    assert OP.is_identity(p)
    assert torch.allclose(OP.process(x, p, CTX), x, atol=2e-5)
    # tiny, equal spreads too (both are floored alike)
    t = [0.5, 0.0, 0.0, 1e-6, 0.0, 0.0]
    assert torch.allclose(OP.process(x, {"transfer_stats": t + t}, CTX), x, atol=2e-5)


def test_flat_source_is_guarded():
    g = torch.Generator().manual_seed(3)
    x = 0.3 + 0.01 * torch.rand(1, 3, 8, 8, generator=g)
    p = {"transfer_stats": [0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.05, 0.05, 0.3, 0.1, 0.1]}
    out = OP.process(x, p, CTX)
    assert torch.isfinite(out).all()
    gain, _ = ColorTransfer.affine(p["transfer_stats"])
    assert max(gain) == MAX_GAIN
    lab_in, lab_out = rgb_to_oklab(x), rgb_to_oklab(out)
    assert (lab_out.std((0, 2, 3)) <= lab_in.std((0, 2, 3)) * MAX_GAIN * 1.01 + 1e-6).all()


def test_mean_shift_only():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(1, 3, 8, 8, generator=g)
    p = {"transfer_stats": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.02, 0.0, 1.0, 1.0, 1.0]}
    d = rgb_to_oklab(OP.process(x, p, CTX).double()) - rgb_to_oklab(x.double())
    assert torch.allclose(d[:, 1], torch.full_like(d[:, 1], 0.02), atol=1e-5)
    assert d[:, 0].abs().max() < 1e-5 and d[:, 2].abs().max() < 1e-5
