"""Tiles with overlap (halo) for seamless full-resolution rendering."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

__all__ = ["Tile", "tiles"]


@dataclass(frozen=True)
class Tile:
    """One tile: ``core`` is the region it writes (y0, y1, x0, x1); ``outer`` the region
    it reads (core grown by the halo, clipped to the image); ``crop`` the core's position
    inside ``outer`` (y0, y1, x0, x1)."""

    core: tuple[int, int, int, int]
    outer: tuple[int, int, int, int]

    @property
    def crop(self) -> tuple[int, int, int, int]:
        y0, y1, x0, x1 = self.core
        oy0, _, ox0, _ = self.outer
        return y0 - oy0, y1 - oy0, x0 - ox0, x1 - ox0


def tiles(height: int, width: int, tile_size: int, halo: int = 0) -> Iterator[Tile]:
    """Row-major tiles of at most ``tile_size``×``tile_size`` covering the image, each
    with ``halo`` pixels of context (clipped at the image border)."""
    if tile_size <= 0:
        raise ValueError(f"tile_size must be positive, got {tile_size}")
    for y0 in range(0, height, tile_size):
        y1 = min(height, y0 + tile_size)
        for x0 in range(0, width, tile_size):
            x1 = min(width, x0 + tile_size)
            yield Tile((y0, y1, x0, x1),
                       (max(0, y0 - halo), min(height, y1 + halo), max(0, x0 - halo), min(width, x1 + halo)))
