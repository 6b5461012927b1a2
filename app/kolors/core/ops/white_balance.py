"""White balance: temperature/tint of the assumed scene illuminant, Bradford-adapted to
the reference white (6504 K, tint 0).

Conventions (Lightroom/DNG-like): ``temperature`` is the correlated colour temperature
the scene light is *assumed* to have; the image is adapted from that illuminant to the
reference, so raising it makes the image warmer. ``tint`` moves the assumed illuminant off
the locus by Duv = tint / 3000 (CIE 1960 uv, Adobe's scale); a positive tint assumes a
greenish light, so the correction makes the image more magenta.

The illuminant locus is the CIE daylight locus from 5000 K up, the Planckian locus
(Krystek 1985) below 4000 K, and a smoothstep blend of the two in uv between, so it is
smooth everywhere. The reference is computed by the same function, so the defaults are
exactly the identity.

The reference white is itself a pair of hidden parameters (``reference_temperature``,
``reference_tint``; default 6504 K, 0). A camera RAW sets both, and the sliders, to the
camera's as-shot white (``kolors.io.raw.RawPhoto.wb_settings``): the operation starts as
the identity on the as-shot development, the slider starts from the camera's value, and
moving it to T re-balances the photo for a light of T kelvin.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..colorimetry import (CCT_RANGE, REFERENCE, TINT_SCALE, adaptation_matrices, bradford_cat, cct_tint_to_xy,
                           xy_to_cct_tint)
from ..params import Float
from ..registry import Op, register_op

__all__ = ["WhiteBalance", "cct_tint_to_xy", "xy_to_cct_tint", "wb_matrix", "bradford_cat",
           "REFERENCE", "TINT_SCALE", "CCT_RANGE"]

@lru_cache(maxsize=256)
def _wb_matrix_cached(T: float, tint: float, ref_T: float = REFERENCE[0], ref_tint: float = REFERENCE[1]) -> np.ndarray:
    return adaptation_matrices(T, tint, (ref_T, ref_tint))


def wb_matrix(T: float, tint: float, reference: tuple[float, float] = REFERENCE) -> np.ndarray:
    """Linear-RGB 3×3 (float64, acts on column vectors) adapting the illuminant
    (``T``, ``tint``) to ``reference`` (default 6504 K, tint 0)."""
    return _wb_matrix_cached(float(T), float(tint), float(reference[0]), float(reference[1])).copy()


@register_op(group="color")
class WhiteBalance(Op):
    """White balance by chromatic adaptation. img: (B,3,H,W) linear sRGB (D65), any range;
    output the same, unclipped. ``temperature`` (K) is the assumed colour temperature of
    the scene light (higher → warmer result); ``tint`` its offset from the locus
    (+ → more magenta result, − → greener). A Bradford 3×3 in linear RGB."""

    version = 1
    pointwise = True
    label = "White balance"
    temperature = Float(2000.0, 15000.0, 6504.0, label="Temperature", step=50.0, unit="K",
                        help="assumed colour temperature of the light; higher makes the image warmer")
    tint = Float(-100.0, 100.0, 0.0, label="Tint", step=1.0,
                 help="green (−) to magenta (+)")
    reference_temperature = Float(2000.0, 15000.0, REFERENCE[0], label="Reference temperature", unit="K",
                                  hidden=True, help="the white the image is adapted to (a RAW's as-shot white)")
    reference_tint = Float(-100.0, 100.0, REFERENCE[1], label="Reference tint", hidden=True,
                           help="tint of the reference white")

    def is_identity(self, p) -> bool:
        return (float(p["temperature"]) == float(p.get("reference_temperature", REFERENCE[0]))
                and float(p["tint"]) == float(p.get("reference_tint", REFERENCE[1])))

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        m = torch.tensor(_wb_matrix_cached(float(p["temperature"]), float(p["tint"]),
                                           float(p.get("reference_temperature", REFERENCE[0])),
                                           float(p.get("reference_tint", REFERENCE[1]))),
                         dtype=torch.float32, device=img.device)
        out = torch.einsum("ij,bjhw->bihw", m, img.float())
        return out.to(img.dtype)
