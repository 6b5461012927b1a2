"""``kolors batch --engine ray`` against a local Ray cluster the test starts (a head with
several worker processes): the same files as the local batch, byte for byte; a bad photo
reported the same way; the local batch needs no Ray."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _env():
    return dict(os.environ, PYTHONPATH=str(REPO / "app"), RAY_USAGE_STATS_ENABLED="0")


def kolors(*args):
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=_env(), timeout=600)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("ray")
    ray_bin = Path(sys.executable).with_name("ray")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tmp_path_factory.mktemp("ray")
    env = dict(_env(), RAY_TMPDIR=str(tmp))
    r = subprocess.run([str(ray_bin), "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                        "--disable-usage-stats", f"--temp-dir={tmp}"], capture_output=True, text=True, env=env,
                       timeout=180)
    if r.returncode != 0:
        pytest.fail(f"ray start failed: {r.stderr[-2000:]}")
    yield f"127.0.0.1:{port}"
    subprocess.run([str(ray_bin), "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_ray_batch_is_byte_identical_to_the_local_batch(cluster, tmp_path, kodak):
    src = tmp_path / "in"
    src.mkdir()
    for p in kodak[:3]:
        shutil.copy(p, src / p.name)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    grade = ["--preset", "cinema", "--set", "local_contrast=true", "--set", "local_contrast_amount=0.6"]
    local = kolors("batch", src, "-o", tmp_path / "local", *grade)
    ray = kolors("batch", src, "-o", tmp_path / "ray", "--engine", "ray", "--address", cluster, "--workers", "2",
                 *grade)
    for r in (local, ray):
        assert r.returncode == 1, r.stderr                       # the broken photo
        assert "3 of 4 photos graded" in r.stderr and "broken.png" in r.stderr, r.stderr
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert len(names) == 3 and names == sorted(p.name for p in (tmp_path / "ray").iterdir())
    for n in names:
        assert (tmp_path / "local" / n).read_bytes() == (tmp_path / "ray" / n).read_bytes(), n
    assert not [p for p in (tmp_path / "ray").iterdir() if p.name.startswith(".")]   # no temporary files left


def test_the_local_batch_does_not_import_ray(tmp_path, sample_png):
    code = ("import sys; from kolors.cli import main; rc = main(sys.argv[1:]); "
            "print('ray imported' if 'ray' in sys.modules else 'no ray'); raise SystemExit(rc)")
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(sample_png, d / "a.png")
    r = subprocess.run([sys.executable, "-c", code, "batch", str(d), "-o", str(tmp_path / "out"), "--preset", "cinema"],
                       capture_output=True, text=True, env=_env(), timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "no ray", (r.stdout, r.stderr)
    r = kolors("batch", d, "-o", tmp_path / "o2", "--workers", "2")
    assert r.returncode == 2 and "--engine ray" in r.stderr
