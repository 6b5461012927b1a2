"""Masks (local adjustments): each kind against its analytic form, the combination rules,
resolution independence, seamless tiles and validation errors that name the field."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from kolors.core import color, registry
from kolors.core.masks import mask_weight, smoothstep_profile, validate_masks
from kolors.core.params import RenderContext
from kolors.core.pipeline import Plan
from kolors.engine.render import RenderOptions, render_array


def weight(mask: dict, h: int = 200, w: int = 300, img: torch.Tensor | None = None,
           scale: float = 1.0) -> np.ndarray:
    """The (h·scale, w·scale) weight of one mask on a photo of h×w pixels."""
    (m,) = validate_masks([mask])
    hh, ww = round(h * scale), round(w * scale)
    if img is None:
        img = torch.full((1, 3, hh, ww), 0.18)
    return mask_weight(m, img, RenderContext(full_size=(h, w), scale=scale))[0, 0].numpy().astype(np.float64)


def ss(t):
    t = np.clip(t, 0, 1)
    return t * t * t * (t * (t * 6 - 15) + 10)


def test_linear_gradient_full_at_start_half_in_the_middle_zero_at_end():
    # the example: full strength along the top edge, zero half-way down
    wt = weight({"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5]}, h=200, w=300)
    y = np.arange(200) + 0.5                                # pixel centres
    np.testing.assert_allclose(wt[:, 150], 1 - ss(y / 100.0), atol=1e-6)
    assert np.ptp(wt, axis=1).max() < 1e-6                  # constant along each row
    assert abs(np.interp(50.0, y, wt[:, 0]) - 0.5) < 1e-3   # the 50 % line where it is drawn
    assert (wt[100:] == 0).all() and wt[0, 0] > 0.999


def test_linear_gradient_at_an_angle_is_measured_in_pixels():
    # from the top-left to the bottom-right corner of a 2:1 photo: 50 % on the line through
    # the centre perpendicular to the diagonal (in pixels, not in fractions)
    h, w = 100, 200
    wt = weight({"kind": "linear", "start": [0, 0], "end": [1, 1]}, h=h, w=w)
    Y, X = np.mgrid[0:h, 0:w] + 0.5
    t = (X * w + Y * h) / (w * w + h * h)
    np.testing.assert_allclose(wt, 1 - ss(t), atol=1e-5)


@pytest.mark.parametrize("feather", [0.0, 0.3, 1.0])
def test_radial_feather_profile(feather):
    h, w = 240, 360
    wt = weight({"kind": "radial", "center": [0.5, 0.5], "radius": [0.25, 0.4], "feather": feather}, h=h, w=w)
    Y, X = np.mgrid[0:h, 0:w] + 0.5
    rho = np.hypot((X - 180) / 90.0, (Y - 120) / 96.0)
    want = (rho <= 1).astype(float) if feather == 0 else 1 - ss((rho - (1 - feather)) / feather)
    bad = np.abs(wt - want) > 1e-5
    if feather == 0:      # a hard edge: pixels whose rho is within rounding of 1 may go either way
        bad &= np.abs(rho - 1) > 1e-3
    assert not bad.any()


def test_radial_invert_and_angle():
    base = {"kind": "radial", "center": [0.5, 0.5], "radius": [0.3, 0.1], "feather": 0.2}
    inside = weight(base, 200, 200)
    outside = weight({**base, "invert": True}, 200, 200)
    np.testing.assert_allclose(inside + outside, 1.0, atol=1e-6)
    turned = weight({**base, "angle": 90.0}, 200, 200)
    np.testing.assert_allclose(turned, inside.T, atol=1e-4)   # a square photo: 90° is the transpose


def test_rect_feather_in_fractions_of_the_long_side():
    wt = weight({"kind": "rect", "rect": [0.25, 0.25, 0.75, 0.75], "feather": 0.1}, 100, 200)
    assert wt[50, 100] == 1.0 and wt[30, 55] == 1.0
    x = np.arange(200) + 0.5
    dist = np.clip(50 - x, 0, None)                         # left of the rectangle, feather = 20 px
    np.testing.assert_allclose(wt[50, :50], 1 - ss(dist[:50] / 20.0), atol=1e-5)


def test_brush_stroke_profile_flow_and_erase():
    h, w = 200, 400
    stroke = {"points": [[0.25, 0.5], [0.75, 0.5]], "size": 0.1, "feather": 0.5}  # radius 20 px
    wt = weight({"kind": "brush", "strokes": [stroke]}, h, w)
    y = np.arange(h) + 0.5
    d = np.abs(y - 100.0)
    np.testing.assert_allclose(wt[:, 200], 1 - ss((d - 10.0) / 10.0), atol=1e-5)
    # round caps at the ends, nothing beyond them
    assert wt[100, 100] == pytest.approx(1.0) and wt[100, 300 + 21] == 0.0 and wt[100, 100 - 21] == 0.0
    # points closer than the brush: one dab per pixel, not accumulated
    dense = {**stroke, "points": [[0.25 + 0.5 * i / 50, 0.5] for i in range(51)]}
    np.testing.assert_allclose(weight({"kind": "brush", "strokes": [dense]}, h, w), wt, atol=1e-5)
    half = weight({"kind": "brush", "strokes": [{**stroke, "flow": 0.5}]}, h, w)
    np.testing.assert_allclose(half, 0.5 * wt, atol=1e-6)
    twice = weight({"kind": "brush", "strokes": [{**stroke, "flow": 0.5}] * 2}, h, w)
    np.testing.assert_allclose(twice, 0.5 * wt + (1 - 0.5 * wt) * 0.5 * wt, atol=1e-5)  # m + (1 - m)·flow·w
    erased = weight({"kind": "brush", "strokes": [stroke, {"points": [[0.5, 0.5]], "size": 0.1,
                                                           "feather": 0.0, "erase": True}]}, h, w)
    assert erased[100, 200] == 0.0 and erased[100, 120] == pytest.approx(1.0)


def test_luminance_range_with_soft_edges():
    # a ramp of lightness L* from 0 to 100 across the photo
    lstar = torch.linspace(0.0, 100.0, 101)
    y = torch.where(lstar > 8, ((lstar + 16) / 116) ** 3, lstar * 27 / 24389)
    img = y.view(1, 1, 1, -1).expand(1, 3, 1, 101).contiguous()
    wt = weight({"kind": "luminance", "range": [0.4, 0.6], "soft": 0.1}, 1, 101, img=img)[0]
    L = lstar.numpy() / 100
    want = (1 - ss((0.4 - L) / 0.1)) * (1 - ss((L - 0.6) / 0.1))
    np.testing.assert_allclose(wt, want, atol=1e-4)
    assert wt[50] == pytest.approx(1.0) and wt[25] == 0.0 and wt[75] == 0.0


def test_color_qualifier_picks_a_hue():
    # red, green, blue and grey pixels; a qualifier on the red hue (OkLCh ≈ 29°)
    px = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.3, 0.3, 0.3]]).T.reshape(1, 3, 1, 4)
    hue = float(color.oklab_to_oklch(color.rgb_to_oklab(px))[0, 2, 0, 0])
    wt = weight({"kind": "color", "hue": [hue, 30.0], "saturation": [0.2, 1.0]}, 1, 4, img=px)[0]
    assert wt[0] == pytest.approx(1.0) and (wt[1:] == 0).all()
    soft = weight({"kind": "color", "hue": [hue + 25.0, 20.0], "hue_soft": 20.0}, 1, 4, img=px)[0]
    assert soft[0] == pytest.approx(1 - ss(0.75), abs=1e-4)    # 15° past the band edge of a 20° fade


def test_file_mask_is_stretched_over_the_photo(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64).round().astype(np.uint16), (32, 1))
    Image.fromarray(ramp).save(tmp_path / "m.png")
    wt = weight({"kind": "file", "path": str(tmp_path / "m.png")}, 64, 128)
    src = np.linspace(0, 1, 64)
    x = (np.arange(128) + 0.5) / 128 * 64 - 0.5                # bilinear, pixel centres
    np.testing.assert_allclose(wt[10], np.interp(x, np.arange(64), src), atol=1e-4)


def test_combination_rules_and_opacity():
    a = {"kind": "linear", "start": [0, 0.5], "end": [1, 0.5]}
    b = {"kind": "radial", "center": [0.5, 0.5], "radius": [0.3, 0.3], "feather": 0.5}
    wa, wb = weight(a), weight(b)
    np.testing.assert_allclose(weight({**a, "combine": [{**b, "mode": "add"}]}), np.maximum(wa, wb), atol=1e-6)
    np.testing.assert_allclose(weight({**a, "combine": [{**b, "mode": "subtract"}]}), wa * (1 - wb), atol=1e-6)
    np.testing.assert_allclose(weight({**a, "combine": [{**b, "mode": "intersect"}]}), wa * wb, atol=1e-6)
    np.testing.assert_allclose(weight({**a, "combine": [{**b, "mode": "intersect", "invert": True}]}),
                               wa * (1 - wb), atol=1e-6)
    np.testing.assert_allclose(weight({**a, "invert": True, "opacity": 0.4}), 0.4 * (1 - wa), atol=1e-6)


ALL_KINDS = [
    {"kind": "linear", "start": [0.2, 0.1], "end": [0.6, 0.7]},
    {"kind": "radial", "center": [0.4, 0.6], "radius": [0.3, 0.2], "feather": 0.6, "angle": 30},
    {"kind": "rect", "rect": [0.2, 0.3, 0.6, 0.8], "feather": 0.05},
    # a stroke as a hand draws it: dense points along a curve (a sharp corner's crease
    # differs between point samples and an area average at first order, as in any renderer)
    {"kind": "brush", "strokes": [{"points": [[0.1 + 0.8 * t, 0.5 + 0.25 * math.sin(6 * t)]
                                              for t in np.linspace(0, 1, 60)], "size": 0.12, "feather": 0.8},
                                  {"points": [[0.3, 0.3]], "size": 0.1, "feather": 0.5, "flow": 0.7}]},
]


@pytest.mark.parametrize("mask", ALL_KINDS, ids=lambda m: m["kind"])
def test_resolution_independent(mask):
    """A mask rendered at half size agrees with the full-size one made small (area average
    of 2×2 pixel centres) within 1/255."""
    full = weight(mask, 400, 600)
    half = weight(mask, 400, 600, scale=0.5)
    small = full.reshape(200, 2, 300, 2).mean((1, 3))
    assert np.abs(half - small).max() <= 1 / 255


def _photo(h=240, w=360, seed=0):
    rng = np.random.default_rng(seed)
    base = np.linspace(0.1, 0.9, w)[None, :, None] * np.linspace(0.6, 1.0, h)[:, None, None]
    return np.clip(base * np.array([1.0, 0.8, 0.6]) + rng.normal(0, 0.03, (h, w, 3)), 0, 1).astype(np.float32)


EDIT = [{"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.6], "adjustments": {"exposure": 1.0, "contrast": 0.3}},
        {"kind": "radial", "center": [0.3, 0.6], "radius": [0.2, 0.3], "feather": 0.5,
         "adjustments": {"chroma_boost": 1.5, "local_contrast": True, "local_contrast_amount": 1.0}},
        {"kind": "brush", "strokes": [{"points": [[0.6, 0.4], [0.9, 0.8]], "size": 0.1}],
         "combine": [{"mode": "intersect", "kind": "luminance", "range": [0.3, 1.0]}],
         "adjustments": {"exposure": -0.8, "sharpen_amount": 1.0}}]


def test_tiles_are_seamless_and_match_the_direct_render():
    src = _photo()
    settings = registry.validate_settings({"exposure": 0.2, "masks": EDIT})
    plan = Plan(settings)
    assert plan.halo(RenderContext(full_size=src.shape[:2])) > 0      # the masks' local contrast
    whole = render_array(src, plan, opts=RenderOptions(tile_size=4096))
    tiled = render_array(src, plan, opts=RenderOptions(tile_size=64))
    np.testing.assert_allclose(tiled, whole, atol=2e-5)
    direct = render_array(src, Plan(settings, bake=False), opts=RenderOptions(tile_size=4096))
    np.testing.assert_allclose(whole, direct, atol=2e-2)    # the baked tables against direct evaluation
    plain = render_array(src, Plan(registry.validate_settings({"exposure": 0.2})), opts=RenderOptions(tile_size=4096))
    diff = np.abs(whole - plain).max(2)
    assert diff[:20].mean() > 0.1 and diff[-20:, -60:].mean() < 1e-4   # the top changed, a far corner did not


def test_a_mask_changes_only_where_it_is_drawn():
    src = _photo()
    masks = [{"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5], "adjustments": {"exposure": 1.0}}]
    out = render_array(src, Plan(registry.validate_settings({"masks": masks})))
    lin_in = color.srgb_to_linear(torch.from_numpy(src)).numpy()
    lin_out = color.srgb_to_linear(torch.from_numpy(out)).numpy()
    y = (np.arange(src.shape[0]) + 0.5) / src.shape[0]
    want = lin_in * (1 + ss(1 - y / 0.5))[:, None, None]      # x + m·(2x - x)
    np.testing.assert_allclose(lin_out, want, rtol=2e-3, atol=2e-4)


def test_hidden_and_empty_masks_are_the_identity():
    src = _photo(32, 48)
    for masks in ([], [{**EDIT[0], "visible": False}], [{**EDIT[0], "opacity": 0.0}],
                  [{**EDIT[0], "adjustments": {}}]):
        assert Plan(registry.validate_settings({"masks": masks})).is_identity


@pytest.mark.parametrize("bad, where", [
    ({"kind": "linear", "start": [0.5, 0.0]}, "masks[0]: a linear mask needs 'end'"),
    ({"kind": "lin", "start": [0, 0], "end": [1, 1]}, "masks[0].kind: expected one of"),
    ({"kind": "radial", "center": [0.5, 0.5], "radius": [0.2, 0]}, "masks[0].radius[1]"),
    ({"kind": "radial", "center": [0.5, 0.5], "radius": [0.2, 0.2], "feather": 2}, "masks[0].feather"),
    ({"kind": "linear", "strat": [0, 0], "end": [1, 1]}, "unknown field 'strat'"),
    ({"kind": "linear", "start": [0, 0], "end": [1, 1], "adjustments": {"exposure": 9}},
     "masks[0].adjustments: parameter 'exposure'"),
    ({"kind": "linear", "start": [0, 0], "end": [1, 1], "adjustments": {"dehaze": 0.3}},
     "'dehaze' cannot be set in a mask"),
    ({"kind": "linear", "start": [0, 0], "end": [1, 1], "combine": [{"mode": "xor", "kind": "luminance",
                                                                     "range": [0, 1]}]}, "masks[0].combine[0].mode"),
    ({"kind": "brush", "strokes": [{"points": [[0, 0]], "size": -1}]}, "masks[0].strokes[0].size"),
    ({"kind": "luminance", "range": [0.8, 0.2]}, "masks[0].range"),
])
def test_malformed_masks_are_refused_naming_the_field(bad, where):
    with pytest.raises(ValueError, match=None) as e:
        registry.validate_settings({"masks": [bad]})
    assert where in str(e.value), str(e.value)


def test_smoothstep_profile_is_symmetric():
    t = torch.linspace(0, 1, 11)
    np.testing.assert_allclose((smoothstep_profile(t) + smoothstep_profile(1 - t)).numpy(), 1.0, atol=1e-6)
    assert math.isclose(float(smoothstep_profile(torch.tensor(0.5))), 0.5)


@pytest.mark.parametrize("geometry", [
    {"rotate": "90", "crop": [0.1, 0.05, 0.9, 0.85]},
    {"flip": "horizontal", "straighten": 4.0, "crop": [0.05, 0.1, 0.95, 0.9]},
    {"rotate": "270", "flip": "vertical", "straighten": -3.0},
])
def test_masks_follow_a_new_framing(geometry):
    """Masks drawn on a cropped photo stay on the same part of the picture when the crop,
    rotation, flip or straightening change: the weight at a source point is the same."""
    from kolors.core.geometry import framing_of
    from kolors.core.masks import _affine, reframe_masks
    W, H = 300, 200
    old = framing_of({"crop": [0.1, 0.1, 0.8, 0.9]}, W, H)
    new = framing_of(geometry, W, H)
    masks = validate_masks([
        {"kind": "radial", "center": [0.4, 0.5], "radius": [0.3, 0.2], "feather": 0.8, "angle": 20},
        {"kind": "linear", "start": [0.2, 0.2], "end": [0.7, 0.6]},
        {"kind": "brush", "strokes": [{"points": [[0.3, 0.3], [0.6, 0.5]], "size": 0.15, "feather": 0.9}]}])
    moved = reframe_masks(masks, old, new)

    def weights(ms, f):
        h, w = f.size[1], f.size[0]
        img = torch.full((1, 3, h, w), 0.18)
        return [mask_weight(m, img, RenderContext(full_size=(h, w)))[0, 0].numpy() for m in ms]

    def out_px(f, sx, sy):
        A, b = _affine(f)
        return np.linalg.inv(A) @ (np.stack([sx, sy]) - b[:, None])

    def at(img, q):          # bilinear, pixel centres at integers
        u, v = q
        u0, v0 = np.floor(u).astype(int), np.floor(v).astype(int)
        fu, fv = u - u0, v - v0
        return ((1 - fv) * ((1 - fu) * img[v0, u0] + fu * img[v0, u0 + 1])
                + fv * ((1 - fu) * img[v0 + 1, u0] + fu * img[v0 + 1, u0 + 1]))

    rng = np.random.default_rng(1)
    sx, sy = rng.uniform(0.35 * W, 0.65 * W, 200), rng.uniform(0.35 * H, 0.65 * H, 200)  # inside both frames
    qo, qn = out_px(old, sx, sy), out_px(new, sx, sy)
    for a, b in zip(weights(masks, old), weights(moved, new)):
        assert a.max() > 0.9
        np.testing.assert_allclose(at(b, qn), at(a, qo), atol=0.01)


def test_radial_at_an_angle():
    """A turned ellipse against its analytic form (the angle turns it clockwise on screen,
    y down), so a sign error in the angle fails."""
    h, w = 200, 300
    wt = weight({"kind": "radial", "center": [0.5, 0.5], "radius": [0.3, 0.1], "feather": 0.5, "angle": 30.0}, h, w)
    Y, X = np.mgrid[0:h, 0:w] + 0.5
    a = math.radians(30.0)
    u, v = X - 150, Y - 100
    ur, vr = u * math.cos(a) + v * math.sin(a), -u * math.sin(a) + v * math.cos(a)
    rho = np.hypot(ur / 90.0, vr / 20.0)
    np.testing.assert_allclose(wt, 1 - ss((rho - 0.5) / 0.5), atol=1e-5)
    # the long axis points down-right: (cos 30°, sin 30°) from the centre is inside, its mirror is not
    assert wt[round(100 + 60 * math.sin(a)), round(150 + 60 * math.cos(a))] > 0.3
    assert wt[round(100 - 60 * math.sin(a)), round(150 + 60 * math.cos(a))] == 0.0


def test_a_gradient_outside_a_tight_crop_stays_outside():
    """Reframing onto a much smaller crop puts the points far outside the frame; they must
    not be clamped onto each other (the gradient would become 'everywhere')."""
    from kolors.core.geometry import Framing, framing_of
    from kolors.core.masks import reframe_masks
    W, H = 300, 200
    (m,) = reframe_masks(validate_masks([{"kind": "linear", "start": [0.5, 0.9], "end": [0.5, 0.8]}]),
                         Framing(W, H), framing_of({"crop": [0.0, 0.0, 1.0, 0.1]}, W, H))
    assert m["start"] != m["end"]
    assert weight(m, 20, 300).max() == 0.0


def test_pixel_value_masks_look_at_the_masks_input():
    """A luminance mask after a mask that darkens everything still selects the pixels that
    were bright when they reached the masks (its order does not change what it selects)."""
    img = torch.tensor([0.05, 0.6]).view(1, 1, 1, 2).expand(1, 3, 1, 2).contiguous()  # dark, bright
    masks = [{"kind": "linear", "start": [0.5, -2.0], "end": [0.5, -1.0], "invert": True,
              "adjustments": {"exposure": -2.0}},
             {"kind": "luminance", "range": [0.6, 1.0], "soft": 0.05, "adjustments": {"exposure": 1.0}}]
    plan = Plan(registry.validate_settings({"masks": masks}), bake=False)
    out = plan.run(img, RenderContext(full_size=(1, 2)))[0, 0, 0].numpy()
    np.testing.assert_allclose(out, [0.05 * 0.25, 0.6 * 0.25 * 2], rtol=1e-2)   # the masks' own 65³ tables
