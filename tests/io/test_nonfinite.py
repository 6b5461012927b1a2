"""NaN/Inf samples of float TIFFs: replaced on reading (NaN and -Inf by 0, +Inf by the largest
finite value, at least 1), with one warning naming the file and how many pixels held them;
the command line prints it."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from kolors.io.images import read_image, write_image

REPO = Path(__file__).resolve().parents[2]


def _float_rgb(h: int = 48, w: int = 64) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.uniform(0.0, 1.5, (h, w, 3)).astype(np.float32)


def _with_bad(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``a`` with NaN, +Inf and -Inf in known places; the number of pixels touched."""
    b = a.copy()
    b[0, 0, 0] = np.nan
    b[0, 1, :] = np.nan         # a pixel with three bad samples counts once
    b[5, 7, 1] = np.inf
    b[9, 3, 2] = -np.inf
    b[10, 10, 0], b[10, 10, 1] = np.inf, np.nan
    return b, 5


def _read(path: Path) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ph = read_image(path)
    return ph, [str(w.message) for w in rec if "non-finite" in str(w.message)]


def test_float_rgb_tiff_nan_inf_replaced_and_counted_once(tmp_path):
    good = _float_rgb()
    bad, n = _with_bad(good)
    path = write_image(tmp_path / "hdr.tif", bad)
    ph, msgs = _read(path)
    assert len(msgs) == 1, msgs
    assert str(path) in msgs[0] and f"{n} of {48 * 64} pixels" in msgs[0], msgs[0]
    assert "NaN" in msgs[0] and "+Inf" in msgs[0] and "-Inf" in msgs[0]
    d = ph.data
    assert d.dtype == np.float32 and np.isfinite(d).all()
    hi = float(good[np.isfinite(bad)].max())
    assert hi > 1.0
    assert d[0, 0, 0] == 0 and (d[0, 1] == 0).all() and d[9, 3, 2] == 0
    assert d[5, 7, 1] == np.float32(hi) and d[10, 10, 0] == np.float32(hi) and d[10, 10, 1] == 0
    keep = np.isfinite(bad)
    assert np.array_equal(d[keep], bad[keep])       # every finite sample as stored


def test_inf_in_a_dim_image_becomes_white(tmp_path):
    a = np.full((8, 8, 3), 0.25, np.float32)
    a[2, 2, 0] = np.inf
    ph, msgs = _read(write_image(tmp_path / "dim.tif", a))
    assert len(msgs) == 1 and ph.data[2, 2, 0] == 1.0 and "+Inf as 1" in msgs[0]


def test_pillow_float_grey_tiff(tmp_path):
    """Pillow writes single-channel float TIFFs (mode 'F'): grey, expanded to RGB."""
    g = np.linspace(0, 1, 32 * 40, dtype=np.float32).reshape(32, 40)
    g[3, 4], g[7, 8] = np.nan, -np.inf
    Image.fromarray(g, "F").save(tmp_path / "grey.tif")
    ph, msgs = _read(tmp_path / "grey.tif")
    assert len(msgs) == 1 and "2 of 1280 pixels" in msgs[0] and str(tmp_path / "grey.tif") in msgs[0]
    assert ph.data.shape == (32, 40, 3) and np.isfinite(ph.data).all()
    assert (ph.data[3, 4] == 0).all() and (ph.data[7, 8] == 0).all()


def test_nan_alpha_is_replaced_too(tmp_path):
    rgb = _float_rgb(16, 16)
    alpha = np.full((16, 16), 0.5, np.float32)
    alpha[1, 1], alpha[2, 2] = np.nan, np.inf
    ph, msgs = _read(write_image(tmp_path / "a.tif", rgb, alpha=alpha))
    assert len(msgs) == 1 and "2 of 256 pixels" in msgs[0]
    assert ph.alpha[1, 1] == 0 and ph.alpha[2, 2] == 1.0 and np.isfinite(ph.alpha).all()


def test_finite_float_tiff_says_nothing(tmp_path):
    _, msgs = _read(write_image(tmp_path / "ok.tif", _float_rgb()))
    assert msgs == []


def test_cli_prints_the_warning(tmp_path):
    bad, n = _with_bad(_float_rgb())
    src = write_image(tmp_path / "hdr.tif", bad)
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    r = subprocess.run([sys.executable, "-m", "kolors", "enhance", src, "-o", tmp_path / "out.tif",
                        "--model", "classic"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "non-finite" in ln]
    assert len(lines) == 1 and str(src) in lines[0] and f"{n} of" in lines[0], r.stderr
    out = read_image(tmp_path / "out.tif")
    assert out.bits == 32 and np.isfinite(out.data).all()
