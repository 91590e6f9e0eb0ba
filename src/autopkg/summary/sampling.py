"""Finding the hazard cell under each place.

Places (exposure cell centres, plants, pieces of line) are located on a hazard grid
once per grid (:class:`GridIndex`) and their amounts summed per cell; every hazard
file on that grid then looks its values up there. Many hazard files of one dataset
share a grid, so the costly step (transforming coordinates) happens once for all of
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer


@dataclass(frozen=True)
class Grid:
    """A raster's CRS, transform and shape: files on one grid share their indexes."""

    crs: str
    transform: tuple[float, ...]
    height: int
    width: int

    @classmethod
    def of(cls, dataset: Any) -> Grid:
        """The grid of an open rasterio dataset."""
        return cls(
            crs=CRS.from_user_input(dataset.crs).to_wkt(),
            transform=tuple(dataset.transform[:6]),
            height=dataset.height,
            width=dataset.width,
        )


@dataclass(frozen=True)
class GridIndex:
    """Each place's cell on a grid, as unique cells and the place → cell mapping.

    ``rows``/``cols`` are the distinct cells holding places; ``of_place[i]`` is the
    position in them of place ``i``, or -1 when the place is off the grid.
    """

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    of_place: NDArray[np.int64]

    def totals(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum each place's weight into its cell (places off the grid are dropped)."""
        on = self.of_place >= 0
        sums = np.bincount(self.of_place[on], weights=weights[on], minlength=len(self.rows))
        return sums.astype(np.float64)


def locate(grid: Grid, x: NDArray[np.float64], y: NDArray[np.float64], crs: CRS | str) -> GridIndex:
    """Locate places given in ``crs`` on ``grid`` (longitudes wrapped onto its columns)."""
    target = CRS.from_wkt(grid.crs)
    source = CRS.from_user_input(crs)
    if not source.equals(target, ignore_axis_order=True):
        x, y = Transformer.from_crs(source, target, always_xy=True).transform(x, y)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    a, b, c, d, e, f = grid.transform
    if target.is_geographic:
        # A clip across ±180° runs past 180°: move each longitude to the grid's turn.
        west = c if a > 0 else c + a * grid.width
        x = west + np.mod(x - west, 360.0)
    det = a * e - b * d
    col = np.floor(((x - c) * e - (y - f) * b) / det)
    row = np.floor(((y - f) * a - (x - c) * d) / det)
    on = np.isfinite(col) & np.isfinite(row)
    on &= (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)
    flat = np.where(on, row * grid.width + col, -1).astype(np.int64)
    cells, inverse = np.unique(flat[on], return_inverse=True)
    of_place = np.full(len(flat), -1, dtype=np.int64)
    of_place[on] = inverse
    return GridIndex(rows=cells // grid.width, cols=cells % grid.width, of_place=of_place)
