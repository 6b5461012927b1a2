"""vibrance: chroma change weighted toward muted colours, skin tones protected."""
from __future__ import annotations

import torch

from kolors.core.color import oklab_to_rgb, rgb_to_oklab
from kolors.core.ops._chroma import from_lch, to_lch
from kolors.core.ops.vibrance import Vibrance, skin_weight
from kolors.core.params import RenderContext

OP = Vibrance()
CTX = RenderContext(full_size=(1, 4))


def run(img, v):
    return OP.process(img, {"vibrance": v}, CTX)


def from_lch_px(rows):
    """Linear RGB (1,3,1,N) from OkLCh triples (L, C, h°)."""
    t = torch.tensor(rows, dtype=torch.float64).T.reshape(1, 3, 1, len(rows))
    return oklab_to_rgb(from_lch(t[:, 0:1], t[:, 1:2], t[:, 2:3])).float()


def lch(img):
    return torch.cat(to_lch(rgb_to_oklab(img.double())), 1)[0, :, 0]  # (3, N)


def test_muted_colours_gain_more_than_vivid_ones():
    x = from_lch_px([[0.6, 0.03, 150.0], [0.6, 0.15, 150.0]])  # muted and vivid green
    a, b = lch(x), lch(run(x, 1.0))
    gain = b[1] / a[1]
    assert gain[0] > 1.6 and gain[1] < 1.35 and gain[1] > 1.0
    assert torch.allclose(a[0], b[0], atol=1e-5)
    assert ((b[2] - a[2] + 180) % 360 - 180).abs().max() < 0.05


def test_skin_tones_are_protected():
    # same lightness and chroma, skin hue vs a blue
    x = from_lch_px([[0.7, 0.09, 50.0], [0.7, 0.09, 250.0]])
    a, b = lch(x), lch(run(x, 1.0))
    gain = b[1] / a[1] - 1
    assert gain[0] < 0.35 * gain[1]
    lab = rgb_to_oklab(from_lch_px([[0.6, 0.078, 52.0], [0.6, 0.07, 35.0], [0.6, 0.07, 70.0],
                                    [0.6, 0.0, 0.0], [0.6, 0.07, 140.0], [0.6, 0.07, 250.0], [0.6, 0.25, 50.0]]))
    w = skin_weight(lab)[0, 0, 0]
    assert w[0] > 0.99 and (w[1:3] > 0.5).all() and (w[3:] < 0.1).all()


def test_negative_vibrance_greys_muted_colours_and_halves_vivid_ones_at_most():
    x = from_lch_px([[0.6, 0.01, 300.0], [0.6, 0.16, 150.0]])
    a, b = lch(x), lch(run(x, -1.0))
    ratio = b[1] / a[1]
    assert ratio[0] < 0.05
    assert 0.3 < ratio[1] < 0.5
    assert torch.allclose(a[0], b[0], atol=1e-5)


def test_stays_in_gamut_and_continuous():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 16, 16, generator=g)
    y = run(x, 1.0)
    assert y.min() > -3e-3 and y.max() < 1 + 3e-3
    assert (run(x, 0.01) - x).abs().max() < 5e-3
    assert torch.allclose(run(x, 0.0), x, atol=2e-5)
