"""Shared fixtures. Photos and LUTs come from ../shared/data where present (CI has it),
else from tests/data, which ships the few the tests need (see testdata.py); only tests
that need the full collection (camera RAWs, the large photos) skip, with a reason, in a
user's own clone."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # one torch thread per xdist worker: two workers on two cores otherwise fight
    import torch

    torch.set_num_threads(1)

from testdata import KODAK_DIR, REPO, SHARED  # noqa: E402  (tests/ is on sys.path)

SAMPLE = REPO / "resources" / "samples" / "kodim23.png"


@pytest.fixture(autouse=True)
def _user_dir(tmp_path_factory, monkeypatch):
    """Keep user presets/sidecars of tests out of the real user folder."""
    monkeypatch.setenv("KOLORS_USER_DIR", str(tmp_path_factory.mktemp("user")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The full data collection (camera RAWs, large photos): only for tests that need more
    than tests/data ships."""
    if not SHARED.is_dir():
        pytest.skip(f"full test data not found at {SHARED} (set KOLORS_DATA)")
    return SHARED


@pytest.fixture(scope="session")
def kodak() -> list[Path]:
    """The Kodak photos: all 24 from the full collection, else the seven in tests/data."""
    files = sorted(KODAK_DIR.glob("*.png"))
    assert files, f"no Kodak photos in {KODAK_DIR}"
    return files


@pytest.fixture
def sample_png(tmp_path) -> Path:
    """A copy of the shipped sample photo (768×512, 8-bit PNG)."""
    dst = tmp_path / "photo.png"
    shutil.copy(SAMPLE, dst)
    return dst


@pytest.fixture(scope="session")
def sample_rgb() -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(SAMPLE).convert("RGB")).copy()


def has_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None
