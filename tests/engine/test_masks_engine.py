"""Masks through the engine: the preview is the export made small, the sidecar keeps them
exactly, a preset carries them (the shipped graduated sky), ``kolors enhance --masks``
takes the documented form and refuses a malformed file naming the field, writing nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kolors.engine.edit import Edit, load_edit, save_edit
from kolors.engine.enhancer import Enhancer
from kolors.engine.session import PhotoSession
from kolors.io.images import read_image

REPO = Path(__file__).resolve().parents[2]

ISSUE_FORM = [{"kind": "linear", "start": [0.5, 0.0], "end": [0.5, 0.5], "adjustments": {"exposure": 1.0}},
              {"kind": "radial", "center": [0.3, 0.6], "radius": [0.2, 0.25], "feather": 0.6,
               "adjustments": {"chroma_boost": 1.5, "contrast": 0.2}}]


@pytest.fixture(scope="module")
def enh():
    return Enhancer(model_type="general", device="cpu")


def test_preview_is_the_export_made_small(enh, sample_png, tmp_path):
    masks = ISSUE_FORM + [{"kind": "brush", "strokes": [{"points": [[0.6, 0.3], [0.8, 0.7]], "size": 0.1}],
                           "adjustments": {"exposure": -1.0, "local_contrast": True, "local_contrast_amount": 1.0}}]
    settings = {"masks": masks, "crop": [0.05, 0.1, 0.95, 0.9], "straighten": 2.0, "contrast": 0.1}
    s = PhotoSession(enh, sample_png)
    out = cv2.imread(str(s.export(tmp_path / "out.png", settings, bits=8)))[..., ::-1].astype(np.float64)
    prev = s.render_preview(settings, 384).astype(np.float64)
    small = cv2.resize(out, (prev.shape[1], prev.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(prev - small).mean() < 1.5
    plain = cv2.imread(str(s.export(tmp_path / "plain.png", {k: v for k, v in settings.items() if k != "masks"},
                                    bits=8)))[..., ::-1].astype(np.float64)
    assert np.abs(out - plain)[: out.shape[0] // 5].mean() > 10      # the gradient did something


def test_sidecar_round_trip_is_exact(sample_png, tmp_path):
    edit = Edit(params={"masks": ISSUE_FORM, "exposure": 0.2})
    edit = Edit.from_json(edit.to_json())
    save_edit(sample_png, edit)
    doc = json.loads(Path(str(sample_png) + ".kolors.json").read_text())
    assert doc["edit"]["ops"]["masks"] == 1 and doc["edit"]["params"]["masks"][1]["kind"] == "radial"
    back = load_edit(sample_png)
    assert back.warning == ""
    assert back.edit.params == edit.params
    assert back.edit.params["masks"][0]["start"] == [0.5, 0.0]


def test_shipped_graduated_sky_preset(enh, sample_png, tmp_path):
    from kolors.io.presets import get_preset
    pr = get_preset("graduated_sky")
    (m,) = pr.settings["masks"]
    assert m["kind"] == "linear" and m["adjustments"]["exposure"] < 0
    out = read_image(enh.export_graded(sample_png, tmp_path / "sky.png", pr.settings, bits=8)).data.astype(float)
    src = read_image(sample_png).data.astype(float)
    h = src.shape[0]
    assert out[: h // 10].mean() < src[: h // 10].mean() - 10       # the top darker
    assert np.abs(out[h // 2 + 5:] - src[h // 2 + 5:]).max() <= 1  # below the gradient's end: untouched


def kolors(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_masks_as_written_in_the_issue(enh, sample_png, tmp_path):
    f = tmp_path / "masks.json"
    f.write_text(json.dumps(ISSUE_FORM))
    r = kolors("enhance", sample_png, "-o", tmp_path / "out.png", "--masks", f)
    assert r.returncode == 0, r.stderr
    got = read_image(tmp_path / "out.png").data
    ref = read_image(enh.export_graded(sample_png, tmp_path / "ref.png", {"masks": ISSUE_FORM}, bits=8)).data
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("content, message", [
    ('[{"kind": "linear", "start": [0.5, 0.0]}]', "masks[0]: a linear mask needs 'end'"),
    ('[{"kind": "radial", "center": [0.5, 0.5], "radius": [0.2, 0.2], "adjustments": {"exposure": 7}}]',
     "masks[0].adjustments: parameter 'exposure': value 7 out of range"),
    ('[{"kind": "linear", "start": [0, 0], "end": [1, 1], "opacity": "half"}]', "masks[0].opacity"),
    ('{"kind": ', "not a JSON file"),
])
def test_cli_refuses_malformed_masks_and_writes_nothing(sample_png, tmp_path, content, message):
    f = tmp_path / "bad.json"
    f.write_text(content)
    before = sample_png.read_bytes()
    r = kolors("enhance", sample_png, "-o", tmp_path / "out.jpg", "--masks", f)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "bad.json" in r.stderr and message in r.stderr, r.stderr
    assert not (tmp_path / "out.jpg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["bad.json", sample_png.name])
    assert sample_png.read_bytes() == before


def test_cli_mask_files_are_found_beside_the_masks_json(enh, sample_png, tmp_path):
    """A ``file`` mask's relative path is read from the masks file's folder; ``--set
    masks=FILE`` is ``--masks FILE``; a missing mask image is named with its field."""
    from PIL import Image
    d = tmp_path / "masks"
    d.mkdir()
    Image.fromarray(np.tile(np.linspace(0, 255, 64).astype(np.uint8), (32, 1))).save(d / "ramp.png")
    (d / "m.json").write_text(json.dumps([{"kind": "file", "path": "ramp.png", "adjustments": {"exposure": 1.0}}]))
    out = tmp_path / "out.png"
    r = kolors("enhance", sample_png, "-o", out, "--set", f"masks={d / 'm.json'}")
    assert r.returncode == 0, r.stderr
    got = read_image(out).data.astype(float)
    src = read_image(sample_png).data.astype(float)
    assert np.abs(got[:, :20] - src[:, :20]).mean() < 3 and (got[:, -20:] - src[:, -20:]).mean() > 20
    (d / "bad.json").write_text(json.dumps([{"kind": "file", "path": "nope.png", "adjustments": {"exposure": 1.0}}]))
    r = kolors("enhance", sample_png, "-o", tmp_path / "o2.png", "--masks", d / "bad.json")
    assert r.returncode == 2 and "bad.json: masks[0].path: no such mask file" in r.stderr, r.stderr
    r = kolors("enhance", sample_png, "-o", tmp_path / "o3.png", "--set", f"masks={d / 'bad.json'}")
    assert r.returncode == 2 and "bad.json: masks[0].path" in r.stderr, r.stderr
    assert not (tmp_path / "o2.png").exists() and not (tmp_path / "o3.png").exists()
