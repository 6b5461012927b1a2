"""Output sharpening: sharpens for the size written (radius in output pixels), only by the
export's choice (hidden: not a --set parameter or slider)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from kolors import Enhancer
from kolors.core import registry


def _hf(a: np.ndarray) -> float:
    g = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(np.mean((g - cv2.GaussianBlur(g, (0, 0), 1.0)) ** 2))


def test_sharpens_the_export_at_its_own_size(sample_png, tmp_path):
    enh = Enhancer(model_type="classic", device="cpu")
    for side in (None, 256):
        a = cv2.imread(str(enh.export_graded(sample_png, tmp_path / f"a{side}.png", {}, long_side=side)))
        b = cv2.imread(str(enh.export_graded(sample_png, tmp_path / f"b{side}.png", {}, long_side=side,
                                             output_sharpening=1.0)))
        assert a.shape == b.shape
        assert _hf(b) > 1.2 * _hf(a), side            # as strong at a quarter of the size as at full size
        assert np.abs(b.astype(int) - a.astype(int)).mean() < 4   # fine detail only
    with pytest.raises(ValueError, match="output_sharpening"):
        enh.export_graded(sample_png, tmp_path / "c.png", {}, output_sharpening=5.0)
    with pytest.raises(ValueError, match="set by tasks"):
        registry.validate_settings({"output_sharpening": 1.0}, allow_hidden=False)
