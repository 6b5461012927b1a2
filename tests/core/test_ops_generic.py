"""Generic checks run over every registered operation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from kolors.core import registry
from kolors.core.params import Bool, Choice, Float, RenderContext
from kolors.core.pipeline import Plan
from kolors.core.tiling import tiles

OPS = registry.ops()
IDS = [op.name for op in OPS]
#: the operations a plan runs on pixels (the framing is the engine's resampling step, tested
#: in tests/core/test_geometry.py and tests/engine/test_framing.py)
PIXEL_OPS = [op for op in OPS if not op.frames]
PIXEL_IDS = [op.name for op in PIXEL_OPS]


def _img(seed: int, h: int = 40, w: int = 56, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 3, h, w, generator=g) * (hi - lo) + lo
    # some structure, so spatial operations have edges to work on
    base[..., : h // 2, : w // 3] *= 0.2
    return base


def _active_params(op, rng) -> dict:
    """Random non-default values for every parameter of ``op`` (switches on)."""
    for _ in range(20):
        p = {k: prm.sample(rng) for k, prm in op.params.items()}
        for k, prm in op.params.items():
            if isinstance(prm, Bool):
                p[k] = True
        if op.name == "region_boost":
            p["region_boost"] = {"roi": [[5.0, 4.0, 30.0, 25.0]], "factor": 1.8, "feather": 3.0}
        if op.name == "lut_file":
            pytest.skip("lut_file is checked with real .cube files in its own tests")
        if op.name == "lens_correction":
            p["lens_vignette_gain"] = rng.uniform(0.8, 2.5, (5, 7)).astype(np.float32)
        if op.name == "local_tone":
            p["tone_grid"] = rng.normal(0, 0.5, (4, 5, 3)).astype(np.float32)
        if op.name == "learned_residual":
            p["learned_lut"] = rng.normal(0, 0.05, (5, 5, 5, 3)).astype(np.float32)
            p["learned_grid"] = rng.normal(0, 0.05, (3, 4, 12)).astype(np.float32)
        p = {k: op.params[k].validate(v) for k, v in p.items()}
        if not op.is_identity(p):
            return p
    raise AssertionError(f"could not draw active parameters for {op.name}")


def test_registry_has_the_required_operations():
    names = set(IDS)
    required = {"exposure", "white_balance", "contrast", "highlights_shadows", "whites_blacks", "chroma_boost",
                "vibrance", "tone_curve", "hsl", "split_toning", "film_look", "vignette", "lut_file",
                "local_contrast", "detail_recovery", "chroma_denoise", "region_boost"}
    assert required <= names, f"missing: {required - names}"
    for k in ("chroma_boost", "local_contrast", "local_contrast_amount", "detail_recovery", "color_space",
              "region_boost"):
        registry.get_param(k)
    cb = registry.get_param("chroma_boost")
    assert (cb.lo, cb.hi) == (0.0, 2.0)
    dr = registry.get_param("detail_recovery")
    assert (dr.lo, dr.hi) == (0.0, 1.0)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_declaration(op):
    assert op.params, f"{op.name} declares no parameters"
    assert op.__doc__ and len(op.__doc__) > 30, f"{op.name} needs a docstring (shape, range, colour space)"
    assert isinstance(op.version, int) and op.version >= 1
    assert op.group
    if op.pointwise:
        assert op.halo({k: p.default for k, p in op.params.items()}, RenderContext((100, 100))) == 0


@pytest.mark.parametrize("op", PIXEL_OPS, ids=PIXEL_IDS)
def test_identity_at_defaults(op):
    p = {k: prm.default for k, prm in op.params.items()}
    assert op.is_identity(p)
    img = _img(1)
    # the pipeline skips it: exactly the identity
    plan = Plan(p)
    assert plan.is_identity
    assert torch.equal(plan.run(img.clone()), img)
    # and the maths itself is continuous at the defaults (close to identity)
    if op.name not in ("lut_file",):
        out = op.process(img, p, RenderContext(full_size=(40, 56)))
        assert torch.allclose(out, img, atol=2e-5), f"{op.name} at defaults changes the image"


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_range_errors(op):
    for k, prm in op.params.items():
        if isinstance(prm, Float):
            with pytest.raises(ValueError, match=k):
                prm.validate(prm.hi + abs(prm.hi - prm.lo) + 1)
            with pytest.raises(ValueError, match=k):
                prm.validate(prm.lo - abs(prm.hi - prm.lo) - 1)
            with pytest.raises(ValueError, match=k):
                prm.validate("a lot")
            with pytest.raises(ValueError, match=k):
                prm.validate(float("nan"))
        elif isinstance(prm, Choice):
            with pytest.raises(ValueError, match=k):
                prm.validate("no-such-choice")
        elif isinstance(prm, Bool):
            with pytest.raises(ValueError, match=k):
                prm.validate("maybe")


@pytest.mark.parametrize("op", PIXEL_OPS, ids=PIXEL_IDS)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1),
       lo_hi=st.sampled_from([(0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 64.0), (-0.05, 1.2), (1e3, 1e4),
                              (1e-8, 1e-6)]))
def test_finite_on_random_and_extreme_inputs(op, seed, lo_hi):
    rng = np.random.default_rng(seed)
    p = _active_params(op, rng)
    img = _img(seed % 1000, lo=lo_hi[0], hi=lo_hi[1])
    with torch.no_grad():
        out = op.process(img, p, RenderContext(full_size=(40, 56)))
    assert out.shape == img.shape and out.dtype == img.dtype
    assert torch.isfinite(out).all(), f"{op.name} produced non-finite values with {p} on {lo_hi}"


@pytest.mark.parametrize("op", [o for o in OPS if o.pointwise], ids=[o.name for o in OPS if o.pointwise])
def test_pointwise_ops_depend_on_colour_only(op):
    p = _active_params(op, np.random.default_rng(3))
    img = _img(5)
    perm = torch.randperm(img.shape[-1] * img.shape[-2], generator=torch.Generator().manual_seed(0))
    flat = img.reshape(1, 3, -1)
    shuffled = flat[..., perm].reshape(img.shape)
    a = op.process(img, p, RenderContext(full_size=(40, 56))).reshape(1, 3, -1)[..., perm].reshape(img.shape)
    b = op.process(shuffled, p, RenderContext(full_size=(40, 56)))
    assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("op", [o for o in PIXEL_OPS if not o.pointwise],
                         ids=[o.name for o in PIXEL_OPS if not o.pointwise])
def test_tiled_equals_untiled(op):
    """Every spatial/positional operation renders seamlessly in tiles with its halo."""
    p = _active_params(op, np.random.default_rng(7))
    h, w = 150, 190
    img = _img(9, h, w)
    ctx = RenderContext(full_size=(h, w))
    full = op.process(img, p, ctx)
    halo = op.halo(p, ctx)
    out = torch.empty_like(full)
    for t in tiles(h, w, 64, halo):
        y0, y1, x0, x1 = t.outer
        part = op.process(img[..., y0:y1, x0:x1], p, RenderContext(full_size=(h, w), offset=(y0, x0)))
        cy0, cy1, cx0, cx1 = t.crop
        Y0, Y1, X0, X1 = t.core
        out[..., Y0:Y1, X0:X1] = part[..., cy0:cy1, cx0:cx1]
    assert (out - full).abs().max() <= 1e-4, f"{op.name}: tiles differ from the whole image (halo {halo})"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
@pytest.mark.parametrize("op", PIXEL_OPS, ids=PIXEL_IDS)
def test_cpu_and_cuda_agree(op):
    p = _active_params(op, np.random.default_rng(11))
    img = _img(13)
    ctx = RenderContext(full_size=(40, 56))
    a = op.process(img, p, ctx)
    b = op.process(img.cuda(), p, ctx).cpu()
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)
