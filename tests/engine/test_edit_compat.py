"""Edits that outlive the code: sidecars and presets written by Kolors 0.1.0 (before
operations had versions; tests/fixtures/make_v1_fixtures.py wrote them at commit ed8569b)
must keep opening with the same render in every later version, and today's format must
round-trip exactly.

The stored renders are 16-bit PNGs of a 192×128 photo. A later Kolors may compute the same
edit with other float rounding (other CPUs' vector units, a re-ordered sum, a table baked
with other points), so renders are compared within half an 8-bit code at most and a
hundredth of a code on average, not bit for bit; an operation whose meaning changed without
an upgrade moves pixels by far more than that."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from kolors import Enhancer
from kolors.core import registry
from kolors.engine.edit import Edit, load_edit, save_edit
from kolors.io.presets import load_preset_file
from kolors.io.sidecar import SUFFIX, VERSION, sidecar_path

FIX = Path(__file__).resolve().parents[1] / "fixtures"
EDITS = sorted(p.name[: -len(".png" + SUFFIX)] for p in (FIX / "edits").glob(f"*.png{SUFFIX}"))
PRESETS = sorted(p.stem for p in (FIX / "presets").glob("*.json"))
MAX_DIFF, MEAN_DIFF = 0.5 / 255, 0.01 / 255


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    return Enhancer()


def _read16(path: Path) -> np.ndarray:
    a = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert a is not None and a.dtype == np.uint16, path
    return a[..., ::-1].astype(np.float64) / 65535.0


def _render(enhancer: Enhancer, settings: dict, tmp: Path, name: str) -> np.ndarray:
    out = enhancer.export_graded(FIX / "edits" / "photo.png", tmp / f"{name}.out.png", settings, bits=16)
    return _read16(out)


def _assert_same_render(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    d = np.abs(got - expected)
    assert got.shape == expected.shape, what
    assert d.max() <= MAX_DIFF and d.mean() <= MEAN_DIFF, \
        f"{what}: render moved by up to {d.max() * 255:.3f} (mean {d.mean() * 255:.4f}) 8-bit codes"


def _open_v1(tmp: Path, name: str) -> tuple[Path, dict]:
    photo = tmp / f"{name}.png"
    shutil.copy(FIX / "edits" / "photo.png", photo)
    shutil.copy(FIX / "edits" / f"{name}.png{SUFFIX}", sidecar_path(photo))
    return photo, json.loads(sidecar_path(photo).read_text())


def test_fixtures_are_there():
    assert {"auto", "hdr", "industrial", "preset_sliders"} <= set(EDITS)
    assert "cinema" in PRESETS and "my_look" in PRESETS and len(PRESETS) >= 10


@pytest.mark.parametrize("name", EDITS)
def test_v1_sidecar_opens_with_the_same_render(name, tmp_path, enhancer):
    photo, doc = _open_v1(tmp_path, name)
    assert doc["version"] == 1 and "ops" not in doc["edit"]
    res = load_edit(photo)
    assert res.warning == "", res.warning
    assert sidecar_path(photo).exists()                      # not set aside
    assert not res.edit.is_unedited()
    _assert_same_render(_render(enhancer, res.edit.settings(), tmp_path, name),
                        _read16(FIX / "edits" / f"{name}.expected.png"), f"v1 sidecar {name}")


@pytest.mark.parametrize("name", PRESETS)
def test_v1_preset_renders_the_same(name, tmp_path, enhancer):
    doc = json.loads((FIX / "presets" / f"{name}.json").read_text())
    assert doc["version"] == 1 and "ops" not in doc
    pr = load_preset_file(FIX / "presets" / f"{name}.json")
    assert pr.settings
    _assert_same_render(_render(enhancer, pr.settings, tmp_path, name),
                        _read16(FIX / "presets" / f"{name}.expected.png"), f"v1 preset {name}")


@pytest.mark.parametrize("name", EDITS)
def test_resaved_sidecar_is_current_compact_and_exact(name, tmp_path, enhancer):
    photo, _ = _open_v1(tmp_path, name)
    old_size = sidecar_path(photo).stat().st_size
    first = load_edit(photo).edit
    save_edit(photo, first, (192, 128))
    doc = json.loads(sidecar_path(photo).read_text())
    assert doc["version"] == VERSION == 2
    ops = doc["edit"]["ops"]
    used = set(first.task_result) | set(first.params)
    assert ops == registry.op_versions(first.task_result, first.params)
    assert all(any(k in registry.get_op(o).params for k in used) for o in ops)
    again = load_edit(photo)
    assert again.warning == ""
    a, b = first.settings(), again.edit.settings()
    assert a.keys() == b.keys()
    for k in a:                                               # exact: float32 arrays are packed losslessly
        if isinstance(a[k], np.ndarray):
            assert b[k].dtype == np.float32 and np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k
    if any(isinstance(v, np.ndarray) for v in a.values()):    # a task's learned tables
        new_size = sidecar_path(photo).stat().st_size
        assert new_size < 120_000 and new_size * 4 < old_size, (old_size, new_size)


def test_shipped_presets_name_their_operations_at_current_versions():
    from kolors.paths import presets_dir
    for p in sorted(presets_dir().glob("*.json")):
        doc = json.loads(p.read_text())
        assert doc["version"] == 2, p
        assert doc["ops"] == registry.op_versions(doc["settings"]), \
            f"{p.name}: its 'ops' table is not the current versions of its operations; upgrade the file"
        load_preset_file(p)


def test_user_preset_saved_today_carries_versions(tmp_path):
    from kolors.io.presets import get_preset, save_user_preset
    path = save_user_preset("versioned", {"exposure": 0.5, "tone_curve": [[0, 0], [0.5, 0.6], [1, 1]]})
    doc = json.loads(path.read_text())
    assert doc["version"] == 2 and doc["ops"] == {"exposure": 1, "tone_curve": 1}
    assert get_preset("versioned").settings["exposure"] == 0.5


def test_edit_json_is_plain_data_and_equal_after_a_round_trip(tmp_path, enhancer):
    photo, _ = _open_v1(tmp_path, "auto")
    e = load_edit(photo).edit
    text = json.dumps(e.to_json(), allow_nan=False)          # plain JSON: no pickle, no NaN
    back = Edit.from_json(json.loads(text))
    assert back.to_json() == e.to_json()
