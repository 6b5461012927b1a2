"""The training loop, checkpoints and the degradations (CI never trains the full model)."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from kolors.core import color, registry
from kolors.errors import InputError
from kolors.model.degrade import DEGRADATIONS, TRAINING_MIX, apply_settings, degrade, training_sample
from kolors.model.io import load_checkpoint, load_model, save_checkpoint, ship_weights
from kolors.model.net import CONFIGS, KolorsNet, controls_to_settings, settings_to_controls
from kolors.model.train import TrainOptions, _multitask_step, train
from kolors.model.data import CropSampler, load_folder

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "kodim23.png"


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory) -> Path:
    """Three small photos (crops of the shipped sample), enough for a few steps."""
    d = tmp_path_factory.mktemp("photos")
    a = np.asarray(Image.open(SAMPLE).convert("RGB"))
    for i, (y, x) in enumerate([(0, 0), (100, 200), (180, 420)]):
        Image.fromarray(a[y:y + 300, x:x + 300]).save(d / f"p{i}.png")
    return d


def _opts(photo_dir, out, **kw):
    base = dict(data=str(photo_dir), out=str(out), stage="multitask", model_type="lite", epochs=2, batch=2,
                steps_per_epoch=2, seed=3, threads=None, max_side=300)
    base.update(kw)
    return TrainOptions(**base)


def test_a_few_steps_lower_the_loss(photo_dir):
    """The same small batch, 12 optimiser steps: the multi-task loss goes down."""
    torch.manual_seed(0)
    net = KolorsNet(CONFIGS["lite"])
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sampler = CropSampler(load_folder(photo_dir, 300))
    losses = []
    for step in range(12):
        rng = np.random.default_rng(7)  # the same crops and degradations every step
        loss, _ = _multitask_step(net, sampler, rng, 4, torch.device("cpu"), 500, 1000,
                                  lambda: torch.autocast("cpu", enabled=False))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-3:]) < 0.9 * losses[0], losses


def test_resumed_run_continues_where_it_stopped(photo_dir, tmp_path):
    """2 epochs in one go == interrupted after epoch 1, then resumed (same seed):
    identical weights, so a fixed seed reproduces a run and --resume loses nothing."""
    full = train(_opts(photo_dir, tmp_path / "full.pt"), progress=False)

    def interrupt(epoch, logs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(_opts(photo_dir, tmp_path / "part.pt"), progress=False, on_epoch=interrupt)
    assert load_checkpoint(tmp_path / "part.pt")["epoch"] == 1
    train(_opts(photo_dir, tmp_path / "part.pt", resume=True), progress=False)
    a, b = load_checkpoint(full), load_checkpoint(tmp_path / "part.pt")
    assert b["epoch"] == 2 and len(b["history"]) == 2
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k


def test_pretrain_stage_runs_and_feeds_multitask(photo_dir, tmp_path):
    pre = train(_opts(photo_dir, tmp_path / "pre.pt", stage="pretrain", epochs=1, batch=4), progress=False)
    ck = load_checkpoint(pre)
    assert ck["stage"] == "pretrain" and "nce" in ck["history"][0]
    out = train(_opts(photo_dir, tmp_path / "mt.pt", epochs=1, init=str(pre)), progress=False)
    style = {k: v for k, v in load_checkpoint(out)["state_dict"].items() if k.startswith("style.")}
    assert style  # started from the pre-trained encoder, then trained on
    shipped = ship_weights(out, tmp_path / "ship.pt")
    assert "optimizer" not in torch.load(shipped, weights_only=True)
    assert isinstance(load_model(shipped), KolorsNet)


def test_train_rejects_bad_options(photo_dir, tmp_path):
    with pytest.raises(ValueError, match="stage"):
        train(_opts(photo_dir, tmp_path / "x.pt", stage="nope"), progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train(_opts(photo_dir, tmp_path / "x.pt", epochs=0), progress=False)
    with pytest.raises(InputError, match="no readable photos"):
        train(_opts(tmp_path, tmp_path / "x.pt"), progress=False)


def test_task_embedding_finetune_changes_only_that_task(photo_dir, tmp_path):
    """``--tasks color_correction --only task_embedding``: the colour-correction row of the
    task embedding moves; every other weight, the other tasks' rows included, stays
    bit-identical, so the other tasks' outputs are exactly what they were."""
    base = train(_opts(photo_dir, tmp_path / "base.pt", epochs=1), progress=False)
    out = train(_opts(photo_dir, tmp_path / "emb.pt", stage="finetune", epochs=1, steps_per_epoch=3, lr=1.0,
                      init=str(base), tasks=("color_correction",), only="task_embedding"), progress=False)
    a, b = load_checkpoint(base)["state_dict"], load_checkpoint(out)["state_dict"]
    for k, v in a.items():
        if k != "task.weight":
            assert torch.equal(v, b[k]), k
    moved = (a["task.weight"] != b["task.weight"]).any(1)
    assert moved.tolist() == [True, False, False, False, False, False, False]
    with pytest.raises(ValueError, match="needs --tasks"):
        train(_opts(photo_dir, tmp_path / "x.pt", stage="finetune", init=str(base), only="task_embedding"),
              progress=False)
    with pytest.raises(ValueError, match="unknown task"):
        train(_opts(photo_dir, tmp_path / "x.pt", tasks=("industrial",)), progress=False)
    with pytest.raises(ValueError, match="pretrain has no tasks"):
        train(_opts(photo_dir, tmp_path / "x.pt", stage="pretrain", tasks=("low_light",)), progress=False)
    ship_weights(base, tmp_path / "shipped.pt")
    with pytest.raises(InputError, match="nothing to resume"):
        train(_opts(photo_dir, tmp_path / "shipped.pt", resume=True), progress=False)


def test_calibration_fits_and_ships_a_strength_per_task(photo_dir, tmp_path):
    """``kolors calibrate``: each task's residual strength is the candidate with the lowest
    mean loss on the (seeded) crops; it travels in the checkpoint (plain floats), through
    ship_weights, into the settings ``predict`` returns; a task not fitted keeps 1.0."""
    from kolors.model.calibrate import calibrate, write_calibration
    from kolors.model.infer import LearnedModel
    w = ship_weights(train(_opts(photo_dir, tmp_path / "w.pt", epochs=1), progress=False), tmp_path / "ship.pt")
    m = LearnedModel.from_file(w)
    kw = dict(tasks=["color_correction", "low_light"], samples=3, seed=1, strengths=(0.0, 0.5, 1.0),
              max_side=300, progress=False)
    res = calibrate(m, photo_dir, **kw)
    assert res == calibrate(m, photo_dir, **kw)  # seeded
    for r in res.values():
        assert len(r["loss"]) == len(r["de"]) == 3 and r["n"] == 3
        assert r["strength"] in (0.0, 0.5, 1.0) and r["loss"][r["strengths"].index(r["strength"])] == min(r["loss"])
    # a strength that differs from the default, through write → ship → load → predict
    res["color_correction"]["strength"] = 0.3
    cal = write_calibration(w, tmp_path / "cal.pt", {"color_correction": res["color_correction"]}, photo_dir, 1)
    cal = write_calibration(cal, cal, {"low_light": res["low_light"]}, photo_dir, 2)  # in place, adds a task
    ck = load_checkpoint(cal)
    assert ck["meta"]["calibration"]["color_correction"]["seed"] == 1
    assert ck["meta"]["calibration"]["low_light"]["seed"] == 2
    shipped = ship_weights(cal, tmp_path / "cal_ship.pt")
    want = {"color_correction": 0.3, "low_light": res["low_light"]["strength"]}
    assert load_checkpoint(shipped)["residual_strength"] == want
    m2 = LearnedModel.from_file(shipped)
    x = load_folder(photo_dir, 300)[0]
    x = torch.from_numpy(x).permute(2, 0, 1)[None]
    assert m2.predict(x, "color_correction")["learned_strength"] == 0.3
    assert m2.predict(x, "hdr_enhance")["learned_strength"] == 1.0
    assert m.predict(x, "color_correction")["learned_strength"] == 1.0  # uncalibrated checkpoint
    # training from calibrated weights: the new weights need calibrating again (warned)
    with pytest.warns(RuntimeWarning, match="kolors calibrate"):
        out = train(_opts(photo_dir, tmp_path / "again.pt", epochs=1, steps_per_epoch=1, init=str(cal)),
                    progress=False)
    assert "residual_strength" not in load_checkpoint(out)
    # ... except the tasks a task-embedding fine-tune leaves bit-identical
    out = train(_opts(photo_dir, tmp_path / "emb.pt", stage="finetune", epochs=1, steps_per_epoch=1, init=str(cal),
                      tasks=("color_correction",), only="task_embedding"), progress=False)
    assert load_checkpoint(out)["residual_strength"] == {"low_light": want["low_light"]}
    with pytest.raises(ValueError, match="unknown task"):
        calibrate(m, photo_dir, tasks=["industrial"], progress=False)
    with pytest.raises(ValueError, match="within"):
        calibrate(m, photo_dir, strengths=(0.5, 1.5), progress=False)


def test_checkpoint_with_a_bad_residual_strength_is_refused(tmp_path):
    net = KolorsNet(CONFIGS["lite"])
    for bad in ({"color_correction": 1.5}, {"color_correction": "0.5"}, [0.5], {"colour_correction": 0.5}):
        p = tmp_path / "bad.pt"
        torch.save({"format": "kolors-model", "version": 1, "config": net.cfg.to_dict(),
                    "state_dict": net.state_dict(), "residual_strength": bad}, p)
        with pytest.raises(InputError, match="residual_strength"):
            load_checkpoint(p)


class _Payload:
    def __reduce__(self):
        import os
        return (os.system, (f"touch {_Payload.marker}",))


def test_checkpoint_with_a_pickle_payload_is_refused(tmp_path):
    """A checkpoint that needs pickle to load (it could run code) is refused, and its
    code does not run."""
    _Payload.marker = tmp_path / "pwned"
    bad = tmp_path / "bad.pt"
    net = KolorsNet(CONFIGS["lite"])
    torch.save({"format": "kolors-model", "version": 1, "config": net.cfg.to_dict(),
                "state_dict": net.state_dict(), "evil": _Payload()}, bad)
    with pytest.raises(InputError, match="refused"):
        load_checkpoint(bad)
    assert not _Payload.marker.exists()
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(InputError, match="refused"):
        load_checkpoint(raw)
    assert not _Payload.marker.exists()
    notours = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, notours)
    with pytest.raises(InputError, match="not a Kolors"):
        load_checkpoint(notours)


def test_checkpoint_round_trip(tmp_path):
    net = KolorsNet(CONFIGS["lite"])
    p = save_checkpoint(tmp_path / "m.pt", net, stage="multitask", epoch=3, history=[{"loss": 1.0}])
    back = load_model(p)
    for k, v in net.state_dict().items():
        assert torch.equal(v, back.state_dict()[k])


def test_lite_is_small_and_general_is_the_seed_shape():
    lite, gen = KolorsNet(CONFIGS["lite"]), KolorsNet(CONFIGS["general"])
    assert lite.n_params() <= 150_000
    assert gen.cfg.style_dim == 512 and gen.cfg.token_dim == 32 and gen.cfg.grid == 16


def test_controls_round_trip():
    u = torch.tensor([[0.5, -0.3, 0.2, -0.7, 0.1, 0.9, -0.4]])
    back = torch.tensor([settings_to_controls(controls_to_settings(u)[0])])
    assert torch.allclose(back, u, atol=1e-6)
    s = controls_to_settings(u)[0]
    registry.validate_settings(s)  # every value within its parameter's range


@pytest.mark.parametrize("task", list(DEGRADATIONS))
def test_degradations_are_seeded_and_change_the_photo(task):
    a = np.asarray(Image.open(SAMPLE).convert("RGB"))[:128, :160].astype(np.float32) / 255
    x = color.srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())
    d1 = degrade(task, x, np.random.default_rng(5))
    d2 = degrade(task, x, np.random.default_rng(5))
    assert torch.equal(d1.input, d2.input) and torch.equal(d1.target, d2.target)
    assert float(color.delta_e2000_rgb(d1.input, d1.target).mean()) > 1.0
    assert d1.input.min() >= 0 and d1.input.max() <= 1


@pytest.mark.parametrize("task", list(TRAINING_MIX))
def test_training_mixes_clean_mild_and_full_casts(task):
    """Training (not eval) shows the cast tasks clean photos to leave alone (input = target,
    neutral controls), mild casts and full ones, seeded: "Auto" must not be heavy-handed."""
    a = np.asarray(Image.open(SAMPLE).convert("RGB"))[:64, :64].astype(np.float32) / 255
    x = color.srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())
    kinds, drift = [], []
    for seed in range(60):
        d = training_sample(task, x, np.random.default_rng(seed))
        e = training_sample(task, x, np.random.default_rng(seed))
        assert torch.equal(d.input, e.input) and d.controls == e.controls
        if torch.equal(d.input, x):
            assert torch.equal(d.target, x) and settings_to_controls(d.controls) == [0.0] * 7
            kinds.append("clean")
        else:
            drift.append(float(color.delta_e2000_rgb(d.input, d.target).mean()))
            kinds.append("cast")
    clean = kinds.count("clean") / len(kinds)
    assert 0.1 < clean < 0.45, clean
    assert min(drift) < 2.0 < 6.0 < max(drift)  # mild casts as well as strong ones


def test_white_balance_cast_is_undone_exactly_by_its_controls():
    """The supervision of the controls head is exact where the degradation is made of the
    registry's own operations: the cast's (temperature, tint) undo it."""
    a = np.asarray(Image.open(SAMPLE).convert("RGB"))[::4, ::4].astype(np.float32) / 255
    x = color.srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()) * 0.4  # no clipping
    d = degrade("white_balance", x, np.random.default_rng(11))
    back = apply_settings(d.input, registry.validate_settings(d.controls))
    kept = ((d.input > 0) & (d.input < 1)).all(1)  # saturated colours the cast pushed out of gamut are clipped
    assert kept.float().mean() > 0.8
    assert float(color.delta_e2000_rgb(back, d.target)[kept].max()) < 1e-3


def test_train_and_eval_commands(photo_dir, tmp_path, capsys):
    """``kolors train`` writes a checkpoint per epoch (and --ship the inference weights);
    ``kolors eval`` prints the per-task table with every method."""
    from kolors.cli import main
    out, ship = tmp_path / "cli.pt", tmp_path / "ship.pt"
    rc = main(["train", "--data", str(photo_dir), "--stage", "multitask", "--model", "lite", "--epochs", "1",
               "--steps", "1", "--batch", "2", "--out", str(out), "--seed", "1", "--device", "cpu",
               "--ship", str(ship)])
    assert rc == 0 and load_checkpoint(out)["epoch"] == 1 and load_model(ship) is not None
    capsys.readouterr()
    rc = main(["eval", "--data", str(photo_dir), "--tasks", "white_balance", "--limit", "1",
               "--weights", str(ship), str(ship), "--markdown"])
    text = capsys.readouterr().out
    assert rc == 0
    for method in ("degraded", "classic", "gray_world", "auto_levels", "lite", "general"):
        assert f"| white_balance | {method} |" in text
    assert "| clean (white_balance) | general |" in text  # each measured task on the clean photos too
    for method in ("gray_world", "shades_of_gray", "kolors"):  # and the illuminant's angular error
        assert f"| illuminant (white_balance) | {method} |" in text
    assert main(["eval", "--data", str(photo_dir), "--tasks", "industrial"]) == 2  # not a learned task
    cal = tmp_path / "cal.pt"
    capsys.readouterr()
    rc = main(["calibrate", "--data", str(photo_dir), "--weights", str(ship), "-o", str(cal), "--tasks",
               "color_correction", "--samples", "2"])
    text = capsys.readouterr().out
    fitted = load_checkpoint(cal)["residual_strength"]["color_correction"]
    line = next(ln for ln in text.splitlines() if ln.startswith("color_correction"))
    assert rc == 0 and float(line.split()[1]) == fitted and len(line.split()) == 2 + 11
    assert main(["calibrate", "--data", str(photo_dir), "--weights", str(tmp_path / "none.pt"), "-o",
                 str(cal)]) == 2  # a missing checkpoint: one line, exit 2


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_mixed_precision_with_gradient_checkpointing(photo_dir, tmp_path):
    """On CUDA: autocast + GradScaler, and grad_checkpoint recomputes the style encoder."""
    out = train(_opts(photo_dir, tmp_path / "cuda.pt", epochs=1, device="cuda", grad_checkpoint=True),
                progress=False)
    ck = load_checkpoint(out)
    assert all(torch.isfinite(v).all() for v in ck["state_dict"].values())
