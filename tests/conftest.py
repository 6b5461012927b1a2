"""Shared fixtures. Data in ../shared/data is used where present (CI has it); tests that
need it skip with a clear reason in a user's own clone."""
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

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("KOLORS_DATA", REPO.parent / "shared" / "data"))
SAMPLE = REPO / "resources" / "samples" / "kodim23.png"


@pytest.fixture(autouse=True)
def _user_dir(tmp_path_factory, monkeypatch):
    """Keep user presets/sidecars of tests out of the real user folder."""
    monkeypatch.setenv("KOLORS_USER_DIR", str(tmp_path_factory.mktemp("user")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"test data not found at {DATA} (set KOLORS_DATA)")
    return DATA


@pytest.fixture(scope="session")
def kodak(data_dir) -> list[Path]:
    files = sorted((data_dir / "kodak").glob("*.png"))
    if not files:
        pytest.skip("Kodak photos missing from the data folder")
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
