"""Finding, and reading, the hazard cell under each place.

Places (exposure cell centres, plants, pieces of line) are located on a hazard grid
once per grid (:class:`GridIndex`), and every hazard file on that grid is then read
only over the rows holding places, in strips within the block budget. Many hazard
files of one dataset share a grid, so the costly step (transforming coordinates)
happens once for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from autopkg.summary.grids import WINDOW_CELLS, ReadCounter


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


def read_cells(
    dataset: Any, rows: NDArray[np.int64], cols: NDArray[np.int64], counter: ReadCounter | None
) -> NDArray[np.float64]:
    """Band 1's values at ``(rows, cols)``; NaN where it has NoData.

    Only the rows holding cells are read, in strips of at most ``WINDOW_CELLS`` cells
    spanning the cells' columns.
    """
    values = np.full(len(rows), np.nan)
    if len(rows) == 0:
        return values
    col0, col1 = int(cols.min()), int(cols.max()) + 1
    height = max(1, WINDOW_CELLS // (col1 - col0))
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    start = 0
    nodata = dataset.nodata
    while start < len(order):
        top = int(sorted_rows[start])
        stop = int(np.searchsorted(sorted_rows, top + height, side="left"))
        bottom = int(sorted_rows[stop - 1]) + 1
        window = ((top, bottom), (col0, col1))
        strip = dataset.read(1, window=window).astype(np.float64)
        if counter is not None:
            counter.add(dataset.name)
        if nodata is not None:
            strip[strip == nodata] = np.nan
        picked = order[start:stop]
        values[picked] = strip[rows[picked] - top, cols[picked] - col0]
        start = stop
    return values
