"""The render plan: active operations in order, consecutive pointwise ones baked into
one 3D LUT each.

A :class:`Plan` is built once per (settings, source) and run on whole images or tiles.
Input and output of :meth:`Plan.run` are ``(B,3,H,W)`` float tensors of linear sRGB
(white = 1, values above 1 kept). The first LUT stage sees the source directly: leading
pure gains (exposure, white-balance gains) are folded into its shaper, which then covers
``[0, source_max × gain]`` with a cube-root encoding (even perceptual steps) — or, when
that exceeds white, spends half to three quarters of the grid on [0, 1] and a log2 scale
above, with the same density per stop on both sides of white (``cbrt_hdr``). Later stages see the output of spatial operations and use ``cbrt_hdr``
up to :data:`HDR_HEADROOM` times the first stage's top.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np
import torch

from . import color
from .lut import Lut3D, Shaper, apply_lut, bake, cell_points, suspect_cells
from .params import RenderContext
from .registry import Op, active_ops

__all__ = ["Stage", "Plan", "HDR_HEADROOM", "CHECK_TOL"]

#: a LUT stage after a spatial operation resolves values up to this many times the
#: largest value entering the first stage (local contrast and detail overshoot a little)
HDR_HEADROOM = 8.0
#: a baked stage evaluates directly the pixels of table cells whose worst probe is more
#: than this ΔE2000 off direct evaluation (see :class:`Stage`)
CHECK_TOL = 0.4


def _split(top: float) -> float:
    """Share of a ``cbrt_hdr`` grid below white for a top value ``top`` (> 1): the grid's
    density per stop matches on both sides of white (cube root: split/3 per e-fold at 1;
    log part: (1 - split)/ln(top)), kept within [0.5, 0.75]."""
    return min(0.75, max(0.5, 3.0 / (3.0 + float(np.log(top)))))


@dataclass
class Stage:
    """A run of operations: several pointwise ones (baked into :attr:`lut` on first use,
    thread-safe) or one spatial/positional one.

    A baked stage checks itself where it is used. The table's own second differences
    name the cells that may interpolate badly (:func:`kolors.core.lut.suspect_cells`,
    usually none: then the stage is the table alone). The first time a pixel falls in a
    suspect cell, the cell is probed at the centroids of its six interpolation tetrahedra
    against direct evaluation (:func:`kolors.core.lut.cell_points`). Cells whose worst probe is
    more than :data:`CHECK_TOL` ΔE2000 off (steep hue-selective edits of low-chroma
    colours, which bend across a cell) are marked, and pixels in marked cells are
    evaluated directly. The marks depend only on the cell, so the result does not depend
    on the order tiles arrive in (tiled renders still equal untiled ones)."""

    ops: list[tuple[Op, dict[str, Any]]]
    pointwise: bool
    baker: Callable[[], Lut3D] | None = field(default=None, repr=False)
    _lut: Lut3D | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _probed: np.ndarray | None = field(default=None, repr=False)  # (N-1)³ bool: cell checked
    _hard: np.ndarray | None = field(default=None, repr=False)  # (N-1)³ bool: cell evaluated directly
    _any_suspect: bool = field(default=False, repr=False)

    @property
    def lut(self) -> Lut3D | None:
        """The baked table of a pointwise stage (None when the plan does not bake)."""
        if self._lut is None and self.baker is not None:
            with self._lock:
                if self._lut is None:
                    self._lut = self.baker()
        return self._lut

    def direct(self, img: torch.Tensor, ctx: RenderContext) -> torch.Tensor:
        for op, p in self.ops:
            img = op.process(img, p, ctx)
        return img

    def run(self, img: torch.Tensor, ctx: RenderContext) -> torch.Tensor:
        lut = self.lut
        if lut is None:
            return self.direct(img, ctx)
        if not self._any_suspects(lut):
            return apply_lut(img, lut)
        out, cells = apply_lut(img, lut, cells=True)
        hard = self._check(lut, cells.cpu().numpy())
        if hard is None:
            return out
        m = torch.from_numpy(hard).to(cells.device)[cells.long()]  # (B,H,W)
        if bool(m.any()):
            px = img.movedim(1, -1)[m]  # (K,3)
            fixed = self.direct(px.T.reshape(1, 3, -1, 1), RenderContext())
            out = out.movedim(1, -1).clone()
            out[m] = fixed.reshape(3, -1).T.to(out.dtype)
            out = out.movedim(-1, 1).contiguous()
        return out

    def _any_suspects(self, lut: Lut3D) -> bool:
        """Whether any cell may need a probe (:func:`suspect_cells`, computed once; when
        none, the stage is the table alone)."""
        with self._lock:
            if self._probed is None:
                sus = suspect_cells(lut, CHECK_TOL)
                self._probed = ~sus  # cells not suspect count as checked
                self._hard = np.zeros_like(sus)
                self._any_suspect = bool(sus.any())
            return self._any_suspect

    def _check(self, lut: Lut3D, cells: np.ndarray) -> np.ndarray | None:
        """Probe the cells in ``cells`` not probed before (only suspect ones are left);
        returns the (N-1)³ bool marks of cells evaluated directly (None while there are
        none)."""
        new = np.unique(cells[~self._probed[cells]])  # re-checked under the lock below
        with self._lock:
            new = new[~self._probed[new]]
            if len(new):
                self._hard[new] = self._probe(lut, new) > CHECK_TOL
                self._probed[new] = True
            return self._hard if self._hard.any() else None

    def _probe(self, lut: Lut3D, cells: np.ndarray) -> np.ndarray:
        """Worst ΔE2000 (K,) of the table against direct evaluation at each cell's probes,
        on the linear output and on the displayed one (clipped to [0, 1])."""
        pts = torch.from_numpy(cell_points(lut, cells).T.reshape(1, 3, -1, 1).astype(np.float32))
        with torch.no_grad():
            want = self.direct(pts, RenderContext())
        got = apply_lut(pts, lut)
        de = torch.maximum(color.delta_e2000_rgb(got, want),
                           color.delta_e2000_rgb(got.clamp(0, 1), want.clamp(0, 1)))
        de = torch.nan_to_num(de, nan=float("inf"))
        return de.reshape(-1, len(cells)).amax(0).numpy()


@dataclass
class Plan:
    """Compiled settings. ``bake=False`` evaluates every operation directly (the
    reference the baked path is tested against)."""

    settings: Mapping[str, Any]
    source_max: float = 1.0
    lut_size: int = 65
    bake: bool = True
    stages: list[Stage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stages = []
        for op, p in active_ops(self.settings):
            if op.pointwise and self.stages and self.stages[-1].pointwise:
                self.stages[-1].ops.append((op, p))
            else:
                self.stages.append(Stage([(op, p)], op.pointwise))
        # leading pure gains of a first colour stage move into its shaper
        self._gain = np.ones(3)
        if self.stages and self.stages[0].pointwise:
            for op, p in self.stages[0].ops:
                g = op.gain(p)
                if g is None:
                    break
                self._gain = self._gain * np.asarray(g, np.float64)
        self._top = max(1.0, self.source_max) * float(self._gain.max())
        if self.bake:  # lazily: an 8/16-bit render of a colour-only plan never needs them
            for i, st in enumerate(self.stages):
                if st.pointwise:
                    st.baker = partial(self._bake, st, i == 0)

    def _bake(self, st: Stage, first: bool) -> Lut3D:
        ctx = RenderContext()
        if not first:
            top = HDR_HEADROOM * max(1.0, self._top)
            return bake(lambda x: st.direct(x, ctx), self.lut_size,
                        Shaper("cbrt_hdr", hi=top, split=_split(top)))
        top = self._top
        if top > 1.0 + 1e-6:
            top *= 1 + 1e-6
            shaper = Shaper("cbrt_hdr", hi=top, gain=self._gain, split=_split(top))
        else:
            shaper = Shaper("cbrt", hi=max(top, 1e-6), gain=self._gain)
        # the grid points are input values (the shaper divides its gain out), so the table
        # holds the whole stage, gains included
        return bake(lambda x: st.direct(x, ctx), self.lut_size, shaper)

    # ------------------------------------------------------------------ queries
    @property
    def is_identity(self) -> bool:
        return not self.stages

    @property
    def pointwise_only(self) -> bool:
        """True when the whole plan is colour-only (one LUT, no spatial stage)."""
        return all(st.pointwise for st in self.stages)

    def halo(self, ctx: RenderContext) -> int:
        """Context pixels a tile needs: spatial halos add up along the chain."""
        return sum(op.halo(p, ctx) for st in self.stages if not st.pointwise for op, p in st.ops)

    def ops(self) -> list[str]:
        return [op.name for st in self.stages for op, _ in st.ops]

    # ------------------------------------------------------------------ running
    def run(self, img: torch.Tensor, ctx: RenderContext | None = None) -> torch.Tensor:
        """Render a (B,3,H,W) linear tensor (a whole image or a tile with its halo)."""
        ctx = ctx or RenderContext(full_size=tuple(img.shape[-2:]))
        # the table size of this render, for plans operations build of their own (a mask's
        # adjustments): a coarse preview's masks bake small tables too
        ctx.cache.setdefault("lut_size", self.lut_size)
        for st in self.stages:
            img = st.run(img, ctx)
        return img

    def encoded_lut(self, size: int = 33) -> Lut3D:
        """The whole (pointwise-only) plan as one LUT from sRGB-encoded input in [0, 1]
        to sRGB-encoded output: what ``kolors lut`` writes to a .cube for ffmpeg, Resolve
        or OBS. (8/16-bit renders use the stage table itself, with the sRGB decode and
        encode folded into the integer kernel, which is more accurate.)"""
        if not self.pointwise_only:
            names = [op.name for st in self.stages if not st.pointwise for op, _ in st.ops]
            raise ValueError(f"cannot bake spatial operations into a LUT: {', '.join(names)}")
        ctx = RenderContext()

        def fn(e: torch.Tensor) -> torch.Tensor:
            x = color.srgb_to_linear(e)
            for st in self.stages:
                x = st.direct(x, ctx)
            return color.linear_to_srgb(x)

        return bake(fn, size, Shaper("linear"))
