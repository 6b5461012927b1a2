"""gains: per-channel linear gains."""
from __future__ import annotations

import torch

from kolors.core import registry
from kolors.core.params import RenderContext

OP = registry.get_op("gains")


def test_scales_each_channel():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 4, 5, generator=g) * 3
    y = OP.process(x, {"wb_gains": [2.0, 1.0, 0.5]}, RenderContext((4, 5)))
    assert torch.allclose(y[:, 0], 2 * x[:, 0]) and torch.equal(y[:, 1], x[:, 1])
    assert torch.allclose(y[:, 2], 0.5 * x[:, 2])
    assert OP.process(x.half(), {"wb_gains": [2.0, 1.0, 0.5]}, RenderContext((4, 5))).dtype == torch.float16


def test_hidden_vector_parameter():
    prm = OP.params["wb_gains"]
    assert prm.hidden and prm.default == [1.0, 1.0, 1.0] and (prm.lo, prm.hi) == (0.05, 20.0)
    assert OP.is_identity({"wb_gains": [1.0, 1.0, 1.0]})
