"""Operation versions, upgrades and the one pipeline table (kolors.core.ops.PIPELINE)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kolors.core import registry
from kolors.core.ops import PIPELINE
from kolors.core.registry import Op, register_op

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_pipeline_table_is_the_order():
    names = [op.name for op in registry.ops()]
    assert names == list(PIPELINE)
    orders = [op.order for op in registry.ops()]
    assert orders == sorted(set(orders)), "ties in the pipeline order"
    table = registry.pipeline_table()
    assert [r["name"] for r in table] == names and table[0]["position"] == 1
    assert {r["kind"] for r in table} == {"pointwise", "spatial"}
    # what the pipeline depends on: exposure before white balance before the tone operations
    assert PIPELINE.index("exposure") < PIPELINE.index("white_balance") < PIPELINE.index("contrast")


def test_an_operation_missing_from_the_table_is_refused():
    with pytest.raises(RuntimeError, match="not in kolors.core.ops.PIPELINE"):
        @register_op(group="tone", name="not_in_the_table")
        class Nope(Op):
            pass
    assert "not_in_the_table" not in [op.name for op in registry.ops()]


def test_an_operation_registered_twice_is_refused():
    with pytest.raises(RuntimeError, match="registered twice"):
        @register_op(group="light", name="exposure")
        class Again(Op):
            pass


def test_versions_table_and_base_upgrade_refuses():
    v = registry.op_versions()
    assert list(v) == list(PIPELINE) and all(isinstance(n, int) and n >= 1 for n in v.values())
    assert registry.op_versions({"exposure": 1.0}, {"tint": 3.0}) == {"exposure": 1, "white_balance": 1}
    with pytest.raises(ValueError, match="no upgrade from version 1"):
        Op().upgrade(1, {})


@pytest.fixture
def exposure_v2(monkeypatch):
    """Exposure as if a later Kolors had renamed its parameter from ``ev`` (version 1) to
    ``exposure`` and doubled its meaning (version 2 stores half-stops)."""
    cls = type(registry.get_op("exposure"))
    calls = []

    def upgrade(self, old, values):
        calls.append(old)
        out = dict(values)
        if "ev" in out:
            out["exposure"] = out.pop("ev") / 2
        return out

    monkeypatch.setattr(cls, "version", 2)
    monkeypatch.setattr(cls, "upgrade", upgrade)
    return calls


def test_upgrade_runs_on_old_values_only(exposure_v2):
    assert registry.upgrade_settings({"ev": 1.0, "contrast": 0.2}, None) == {"exposure": 0.5, "contrast": 0.2}
    assert exposure_v2 == [1]
    same = registry.upgrade_settings({"exposure": 0.3}, {"exposure": 2})
    assert same == {"exposure": 0.3} and exposure_v2 == [1]
    # an operation the file does not name stored no value: nothing to upgrade
    assert registry.upgrade_settings({"contrast": 0.1}, {"contrast": 1}) == {"contrast": 0.1}


def test_newer_or_unknown_versions_are_refused(exposure_v2):
    with pytest.raises(ValueError, match="'exposure' was saved at version 3, newer"):
        registry.upgrade_settings({"exposure": 0.3}, {"exposure": 3})
    with pytest.raises(ValueError, match="unknown operation.*'telepathy'"):
        registry.upgrade_settings({}, {"telepathy": 1})
    for bad in ({"exposure": "2"}, {"exposure": 0}, {"exposure": True}, ["exposure"]):
        with pytest.raises(ValueError):
            registry.upgrade_settings({}, bad)


def test_old_sidecar_is_upgraded_when_opened(exposure_v2, tmp_path):
    from kolors.engine.edit import load_edit, save_edit
    from kolors.io.sidecar import sidecar_path
    photo = tmp_path / "p.png"
    shutil.copy(FIX / "edits" / "photo.png", photo)
    doc = {"schema": "kolors.sidecar", "version": 1, "source": {}, "edit": {"params": {"ev": 1.2, "contrast": 0.1}}}
    sidecar_path(photo).write_text(json.dumps(doc))
    res = load_edit(photo)
    assert res.warning == "" and res.edit.params == {"exposure": 0.6, "contrast": 0.1}
    assert set(exposure_v2) == {1}
    n = len(exposure_v2)
    save_edit(photo, res.edit)
    saved = json.loads(sidecar_path(photo).read_text())["edit"]
    assert saved["ops"] == {"exposure": 2, "contrast": 1} and saved["params"]["exposure"] == 0.6
    assert load_edit(photo).edit.params == res.edit.params
    assert len(exposure_v2) == n                                # a current file is not upgraded again


def test_old_preset_is_upgraded_when_loaded(exposure_v2, tmp_path):
    from kolors.io.presets import load_preset_file
    p = tmp_path / "old.json"
    p.write_text(json.dumps({"name": "old", "version": 1, "settings": {"ev": -1.0}}))
    assert load_preset_file(p).settings == {"exposure": -0.5}


def test_sidecar_from_a_newer_kolors_is_set_aside_not_misread(tmp_path):
    from kolors.engine.edit import load_edit
    from kolors.io.sidecar import sidecar_path
    photo = tmp_path / "p.png"
    shutil.copy(FIX / "edits" / "photo.png", photo)
    doc = {"schema": "kolors.sidecar", "version": 2, "source": {},
           "edit": {"params": {"exposure": 0.5}, "ops": {"exposure": 99}}}
    sidecar_path(photo).write_text(json.dumps(doc))
    res = load_edit(photo)
    assert res.edit.is_unedited()
    assert "version 99, newer" in res.warning and "set aside" in res.warning
    assert not sidecar_path(photo).exists()
    assert len(list(tmp_path.glob("p.png.kolors.json.corrupt-*"))) == 1
    assert photo.read_bytes() == (FIX / "edits" / "photo.png").read_bytes()


def test_preset_version_checks(tmp_path):
    from kolors.errors import InputError
    from kolors.io.presets import load_preset_file
    cases = {
        "newer": ({"version": 3, "settings": {}}, "newer than this Kolors"),
        "no_ops": ({"version": 2, "settings": {"exposure": 1.0}}, "field 'ops'"),
        "bad_op": ({"version": 2, "ops": {"exposure": 5}, "settings": {"exposure": 1.0}}, "version 5, newer"),
        "bad_version": ({"version": "2", "settings": {}}, "field 'version'"),
    }
    for name, (doc, msg) in cases.items():
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps({"name": name, **doc}))
        with pytest.raises(InputError, match=msg) as e:
            load_preset_file(p)
        assert str(p) in str(e.value)


def test_packed_arrays_are_exact_and_checked():
    import numpy as np
    from kolors.core.params import pack_array, unpack_array
    a = np.random.default_rng(3).uniform(-4, 4, (17, 17, 17, 3)).astype(np.float32)
    a[0, 0, 0] = [0.1, -1e-30, 3.9999998]
    d = json.loads(json.dumps(pack_array(a)))
    assert np.array_equal(unpack_array(d), a)
    prm = registry.get_param("learned_lut")
    assert np.array_equal(prm.validate(d), a)
    assert np.array_equal(prm.validate(a.tolist()), a)              # the nested lists of version 1
    for broken in ({**d, "shape": [17, 17, 17, 4]}, {**d, "data": d["data"][:-8]}, {**d, "encoding": "pickle"},
                   {**d, "shape": [-1]}):
        with pytest.raises(ValueError, match="learned_lut"):
            prm.validate(broken)
