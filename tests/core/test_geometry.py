"""The framing maths (kolors.core.geometry): sizes, the mapping of quarter turns, flips,
straightening and crops, and the constraint that keeps a straightened crop inside."""
from __future__ import annotations

import math

import numpy as np
import pytest

from kolors.core import registry
from kolors.core.geometry import Framing, framing_of


def test_identity_is_none():
    assert framing_of({}, 60, 40) is None
    assert framing_of(registry.defaults(), 60, 40) is None


def test_crop_gives_the_exact_size():
    f = framing_of({"crop": [0.1, 0.1, 0.9, 0.9]}, 6000, 4000)
    assert f.size == (4800, 3200)
    # output pixel (0, 0) samples source pixel (600, 400): a crop is a shift, no interpolation
    x, y = f.map_points(np.array([0.0, 4799.0]), np.array([0.0, 3199.0]))
    assert np.allclose(x, [600, 5399]) and np.allclose(y, [400, 3599])


@pytest.mark.parametrize("rotate,flip,corner", [
    ("90", "none", (0, 39)),        # clockwise: the source's bottom-left comes to the top-left
    ("180", "none", (59, 39)),
    ("270", "none", (59, 0)),       # counter-clockwise: the top-right comes to the top-left
    ("0", "horizontal", (59, 0)),
    ("0", "vertical", (0, 39)),
])
def test_quarter_turns_and_flips(rotate, flip, corner):
    f = framing_of({"rotate": rotate, "flip": flip}, 60, 40)
    W, H = (40, 60) if rotate in ("90", "270") else (60, 40)
    assert f.size == (W, H)
    x, y = f.map_points(np.array([0.0]), np.array([0.0]))
    assert (round(float(x[0])), round(float(y[0]))) == corner
    # every output pixel centre lands on a source pixel centre, inside the photo
    u, v = np.meshgrid(np.arange(W, dtype=float), np.arange(H, dtype=float))
    sx, sy = f.map_points(u, v)
    assert np.allclose(sx, np.round(sx)) and np.allclose(sy, np.round(sy))
    assert sx.min() == 0 and sx.max() == 59 and sy.min() == 0 and sy.max() == 39
    assert len(set(zip(sx.ravel().round().astype(int), sy.ravel().round().astype(int)))) == 2400


def test_straighten_turns_clockwise_and_the_crop_stays_inside():
    W, H, t = 6000, 4000, 2.5
    f = framing_of({"straighten": t}, W, H)
    c, s = math.cos(math.radians(t)), math.sin(math.radians(t))
    k = min(3000 / (3000 * c + 2000 * s), 2000 / (3000 * s + 2000 * c))
    assert f.size == (round(6000 * k), round(4000 * k))
    ow, oh = f.size
    u = np.array([0, ow - 1, 0, ow - 1], float)
    v = np.array([0, 0, oh - 1, oh - 1], float)
    sx, sy = f.map_points(u, v)
    assert sx.min() >= -0.5 and sx.max() <= W - 0.5 and sy.min() >= -0.5 and sy.max() <= H - 0.5
    # one corner touches the photo's edge (the crop is as large as it can be)
    assert min(sx.min() + 0.5, W - 0.5 - sx.max(), sy.min() + 0.5, H - 0.5 - sy.max()) < 2
    # clockwise: walking right along the output's top row climbs in the source (y falls)
    top_y = f.map_points(np.array([0.0, ow - 1.0]), np.array([0.0, 0.0]))[1]
    assert top_y[1] < top_y[0]
    # unconstrained: the full size, corners outside the photo
    g = framing_of({"straighten": t, "crop_constrain": False}, W, H)
    assert g.size == (6000, 4000)


def test_source_rect_covers_what_a_tile_reads():
    f = framing_of({"straighten": -7.0, "crop": [0.2, 0.1, 0.8, 0.95], "rotate": 90}, 3000, 2000)
    x, y, w, h = 100, 50, 256, 256
    x0, y0, x1, y1 = f.source_rect(x, y, w, h)
    u, v = np.meshgrid(np.arange(x, x + w, dtype=float), np.arange(y, y + h, dtype=float))
    sx, sy = f.map_points(u, v)
    assert sx.min() >= x0 and sx.max() <= x1 - 1 and sy.min() >= y0 and sy.max() <= y1 - 1


def test_parameters_validate():
    with pytest.raises(ValueError, match="crop"):
        registry.validate_settings({"crop": [0.5, 0.1, 0.4, 0.9]})
    with pytest.raises(ValueError, match="crop"):
        registry.validate_settings({"crop": [0, 0, 1.2, 1]})
    with pytest.raises(ValueError, match="straighten"):
        registry.validate_settings({"straighten": 60})
    assert registry.validate_settings({"rotate": 90, "flip": "Horizontal"}) == {"rotate": "90", "flip": "horizontal"}
    assert registry.get_param("crop").parse("[0.1,0.1,0.9,0.9]") == [0.1, 0.1, 0.9, 0.9]
    assert not registry.active_ops({"crop": [0.1, 0.1, 0.9, 0.9]})        # plans skip the framing
    assert Framing(10, 10).is_identity
