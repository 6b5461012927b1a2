"""The illuminant, exposure and need estimator: features, camera-like casts, training,
the shipped weights on photos they never saw, and how its word reaches the settings."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kolors.core import color
from kolors.core.colorimetry import adaptation_matrices, illuminant_rgb, rgb_to_cct_tint
from kolors.core.ops.white_balance import wb_matrix
from kolors.errors import InputError
from kolors.model import shipped_path
from kolors.model.degrade import apply_settings, camera_cast, degrade
from kolors.model.illuminant import (ESTIMATES, N_FEATURES, NEED_TASKS, Estimate, Estimator, IlluminantNet,
                                     angular_error, features, load, minkowski_illuminant, save, thumb, uv_to_rgb)
from kolors.model.infer import (CAST_DEADZONE, EV_DEADZONE, LOW_LIGHT_EV, NEED_RANGE, LearnedModel, correction,
                                low_light_gate, need_gate, style_need, use_estimate)


def _photo(path, side=256) -> torch.Tensor:
    from kolors.io.images import read_image
    a = read_image(path).data.astype(np.float32) / 255.0
    x = color.srgb_to_linear(torch.from_numpy(a)).permute(2, 0, 1)[None]
    return torch.nn.functional.interpolate(x, size=(side, side * 3 // 2), mode="area")


@pytest.mark.parametrize("T,tint", [(2500.0, 30.0), (4000.0, -12.0), (12000.0, -30.0)])
def test_adaptation_matrices_match_wb_matrix_and_invert(T, tint):
    a = adaptation_matrices(np.array([T]), np.array([tint]))[0]
    np.testing.assert_allclose(a, wb_matrix(T, tint), atol=1e-12)
    got = rgb_to_cct_tint(illuminant_rgb(T, tint) * 3.7)  # any scale
    assert got[0] == pytest.approx(T, rel=1e-6) and got[1] == pytest.approx(tint, abs=1e-6)


def test_camera_cast_is_undone_by_the_white_balance_sliders():
    x = 0.15 + torch.rand(2, 3, 16, 16) * 0.05  # muted colours: nothing clips at 0 or 1
    y, ill = camera_cast(x, [3000.0, 9000.0], [20.0, -25.0], [0.0, 0.0])
    for i, (T, tint) in enumerate([(3000.0, 20.0), (9000.0, -25.0)]):
        back = apply_settings(y[i:i + 1], {"temperature": T, "tint": tint})
        torch.testing.assert_close(back, x[i:i + 1], atol=2e-5, rtol=0)
        # the truth is the light's white: what a white surface records
        m = adaptation_matrices(6504.0, 0.0, reference=(T, tint))
        np.testing.assert_allclose(ill[i].numpy(), m @ np.ones(3), rtol=1e-5)
    # exposure scales before the sensor clips
    y2, _ = camera_cast(torch.full((1, 3, 4, 4), 0.4), 6504.0, 0.0, 2.0)
    assert float(y2.max()) == 1.0
    # mixed light: a zero ramp is the first light alone, a full one the second
    z = torch.zeros(1, 1, 16, 16)
    a, _ = camera_cast(x[:1], 3000.0, 0.0, 0.0, 9000.0, 0.0, z)
    b, _ = camera_cast(x[:1], 9000.0, 0.0, 0.0, 3000.0, 0.0, z + 1)
    torch.testing.assert_close(a, b)


def test_cast_degradations_carry_the_true_illuminant():
    x = _photo("resources/samples/kodim23.png", 96)
    for task in ("white_balance", "color_correction"):
        d = degrade(task, x, np.random.default_rng(3))
        T, tint = d.controls["temperature"], d.controls["tint"]
        assert 2500.0 <= T <= 12000.0 and abs(tint) <= 30.0
        assert angular_error(torch.tensor(d.illuminant), torch.tensor(illuminant_rgb(T, tint))) < 0.1


def test_features_and_the_estimates_they_carry():
    x = torch.rand(5, 3, 64, 64) ** 2.2
    f, est = features(x)
    assert f.shape == (5, N_FEATURES) and est.shape == (5, len(ESTIMATES), 2) and torch.isfinite(f).all()
    # the shades-of-gray estimate is the engine's classical white balance's
    sog = minkowski_illuminant(x, 6.0)
    torch.testing.assert_close(uv_to_rgb(est[:, ESTIMATES.index("shades_of_gray")]), sog / sog[:, 1:2],
                               rtol=1e-4, atol=1e-5)
    # a neutral grey image has a neutral illuminant by every estimate
    _, e0 = features(torch.full((1, 3, 64, 64), 0.2))
    assert e0.abs().max() < 1e-4


def test_a_fresh_estimator_is_shades_of_gray():
    x = torch.rand(4, 3, 64, 64) ** 2.2
    f, est = features(x)
    out = IlluminantNet()(f, est)
    torch.testing.assert_close(out["uv"], est[:, ESTIMATES.index("shades_of_gray")], atol=5e-3, rtol=0)
    assert out["ev"].abs().max() == 0.0


def test_exposure_stays_on_the_classical_side_of_zero():
    """The learned exposure correction never brightens a photo whose key says it is bright
    by more than EV_SLACK (nor darkens a dark one by more than that); inside the bound it is
    the network's own."""
    from kolors.model.illuminant import EV_SLACK, key_exposure
    net = IlluminantNet()
    with torch.no_grad():
        net.ev.bias.fill_(3.0)  # the network asks for +2.7 EV on any photo
    est = Estimator(net)
    bright, dark = torch.full((1, 3, 64, 64), 0.5), torch.full((1, 3, 64, 64), 0.01)
    assert float(key_exposure(bright)[0]) < 0 < float(key_exposure(dark)[0])
    assert est.estimate(bright)[0].exposure == pytest.approx(EV_SLACK)
    assert est.estimate(dark)[0].exposure == pytest.approx(5.0 * np.tanh(3.0 / 5.0), rel=1e-5)


def test_checkpoint_roundtrip_and_refusals(tmp_path):
    net = IlluminantNet()
    with torch.no_grad():
        net.corr.bias.fill_(0.1)
    p = save(tmp_path / "e.pt", net, meta={"seed": 0})
    back = load(p)
    x = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(back(*features(x))["uv"], net(*features(x))["uv"])
    with pytest.raises(InputError, match="no such"):
        load(tmp_path / "missing.pt")
    torch.save({"format": "something"}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a Kolors illuminant"):
        load(tmp_path / "other.pt")


def test_training_runs_and_is_seeded(tmp_path, kodak):
    from kolors.model.train import TrainOptions, train
    data = tmp_path / "data"
    data.mkdir()
    for p in kodak[:2]:
        (data / p.name).symlink_to(p)
    outs = []
    for name in ("a.pt", "b.pt"):
        o = train(TrainOptions(data=str(data), out=str(tmp_path / name), stage="illuminant", epochs=1,
                               steps_per_epoch=3, batch=16, max_side=128), progress=False)
        outs.append(load(o))
    x = torch.rand(3, 3, 64, 64)
    torch.testing.assert_close(outs[0](*features(x))["uv"], outs[1](*features(x))["uv"])
    ck = torch.load(tmp_path / "a.pt", weights_only=True)
    assert ck["meta"]["samples"] == 48 and ck["meta"]["samples_per_second"] > 0
    with pytest.raises(ValueError, match="illuminant stage takes no"):
        train(TrainOptions(data=str(data), out=str(tmp_path / "c.pt"), stage="illuminant", tasks=("low_light",)))


def test_dead_zones_shorten_the_correction():
    """A cast inside the dead zone is left alone; a strong one is corrected by what it
    exceeds the dead zone, in its own direction."""
    def est(T, tint, ev=0.0):
        return Estimate(tuple(illuminant_rgb(T, tint)), T, tint, ev, 1.0, {})
    T0, tint0, ev0 = correction(est(6504.0 * 1.05, 2.0, 0.3))  # a slight cast, a slight exposure error
    assert T0 == pytest.approx(6504.0, rel=1e-3) and tint0 == pytest.approx(0.0, abs=0.1) and ev0 == 0.0
    T1, tint1, ev1 = correction(est(3000.0, 10.0, -2.0))
    assert 3000.0 < T1 < 6504.0 and ev1 == pytest.approx(-2.0 + EV_DEADZONE)
    # in log-chroma the corrected light lies on the line from neutral to the estimate, short
    # of the estimate by exactly the dead zone (the tint slider is not linear in it)
    lc = lambda rgb: np.log([rgb[0] / rgb[1], rgb[2] / rgb[1]])  # noqa: E731
    full = lc(illuminant_rgb(3000.0, 10.0)) - lc(illuminant_rgb(6504.0, 0.0))
    got = lc(illuminant_rgb(T1, tint1)) - lc(illuminant_rgb(6504.0, 0.0))
    assert np.linalg.norm(full - got) == pytest.approx(CAST_DEADZONE, rel=1e-3)
    assert abs(full[0] * got[1] - full[1] * got[0]) < 1e-6 * np.linalg.norm(full) ** 2 and full @ got > 0


def test_style_transfer_needs_a_different_look():
    x = torch.rand(1, 3, 32, 32) ** 2.2
    assert need_gate(style_need(x, x)) == 0.0
    assert need_gate(style_need(x, (x * 0.5).clamp(0, 1))) == 1.0


def test_gates_and_use_estimate():
    (lo, hi), (elo, ehi) = NEED_RANGE, LOW_LIGHT_EV
    assert need_gate(lo - 0.01) == 0.0 and need_gate((lo + hi) / 2) == pytest.approx(0.5) and need_gate(hi) == 1.0
    assert low_light_gate(0.0) == 0.0 and low_light_gate((elo + ehi) / 2) == pytest.approx(0.5)
    assert low_light_gate(3.0) == 1.0
    est = Estimate((1.2, 1.0, 0.6), 4200.0, 7.0, 0.8, 1.5, {t: 0.0 for t in NEED_TASKS})
    s = {"temperature": 6400.0, "tint": 0.0, "exposure": 0.1, "contrast": 0.2, "learned_strength": 0.4}
    cc = use_estimate(s, "color_correction", est)
    T, tint, ev = correction(est)
    assert (cc["temperature"], cc["tint"], cc["exposure"], cc["contrast"]) == (T, tint, ev, 0.2)
    assert ev == pytest.approx(0.8 - EV_DEADZONE)
    wb = use_estimate(s, "white_balance", est)
    assert wb["exposure"] == 0.1 and wb["temperature"] == T
    # a photo that does not need a task gets none of it (the residual's strength stays)
    old = use_estimate({**s, "learned_lut": np.ones((9, 9, 9, 3))}, "old_photo_restoration", est)
    assert old["contrast"] == 0.0 and old["temperature"] == pytest.approx(6504.0) and old["learned_strength"] == 0.4
    assert old["learned_lut"] is None  # the LUT parameter's default: no residual
    dark = use_estimate(s, "low_light", Estimate((1, 1, 1), 6504.0, 0.0, 3.0, 1.0, {}))
    assert dark == s


shipped = pytest.mark.skipif(not shipped_path("illuminant").is_file(), reason="no shipped illuminant estimator")


@shipped
def test_shipped_estimator_beats_shades_of_gray_on_photos_it_never_saw(data_dir):
    """16 CBSD68 photos (never trained on) under the evaluation's seeded casts and exposure
    errors: the estimator's median angular error is below shades-of-gray's, the best
    classical estimate here (the full sets are `kolors eval`, bench/RESULTS.md)."""
    from kolors.model.data import load_folder
    est = Estimator.from_file(shipped_path("illuminant"))
    errs, sog = [], []
    for i, a in enumerate(load_folder(data_dir / "photos" / "cbsd68", max_side=512, limit=16)):
        x = torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()  # load_folder gives linear light
        for task in ("color_correction", "white_balance"):
            d = degrade(task, x, np.random.default_rng([0, i, len(task)]))
            truth = torch.tensor(d.illuminant)
            errs.append(float(angular_error(torch.tensor(est.estimate(d.input)[0].illuminant), truth)))
            sog.append(float(angular_error(minkowski_illuminant(thumb(d.input), 6.0)[0], truth)))
    assert np.median(errs) < np.median(sog)


@shipped
def test_learned_model_uses_the_estimate(sample_rgb):
    x = color.srgb_to_linear(torch.from_numpy(sample_rgb.astype(np.float32) / 255.0)).permute(2, 0, 1)[None]
    m = LearnedModel.from_file(shipped_path("lite"))
    bare = LearnedModel.from_file(shipped_path("lite"), estimator=False)
    assert m.estimator is not None and bare.estimator is None
    e = m.estimates(x)[0]
    s = m.predict(x, "color_correction")
    assert (s["temperature"], s["tint"], s["exposure"]) == pytest.approx(correction(e))
    # a well-exposed photo is not brightened by low light
    assert e.exposure < LOW_LIGHT_EV[0]
    low = m.predict(x, "low_light")
    assert low.get("exposure", 0.0) == pytest.approx(0.0, abs=1e-6)
    assert bare.predict(x, "low_light").get("exposure", 0.0) != pytest.approx(0.0, abs=1e-3)
