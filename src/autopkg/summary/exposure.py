"""Exposure: how much population, built-up area, plants and line length each hazard reaches.

A place counts as reached by a hazard file at a threshold when the value of the hazard
cell under it is above the threshold (strictly): an exposure grid's cell at its centre,
a plant at its location, a piece of line (cut at the hazard grid's cell edges) at its
middle. A place where the hazard file has NoData is not reached.

The hazard files of one grid are read strip by strip (:func:`hazard_pass`), each file
once: for each strip, the exposure datasets' amounts are first summed per hazard cell
of the strip (an exposure grid read only over the strip's footprint, its cell centres
located once for every file of the grid; points and lines located once per grid), then
each hazard file's strip is read once and gives both its hazard area above each
threshold and what it reaches. So an exposure grid is read about once per hazard
grid, whatever the number of hazard files, and memory holds a strip of each at most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS
from rasterio.warp import transform_bounds
from rasterio.windows import Window, bounds, from_bounds
from shapely.geometry import MultiPolygon

from autopkg.summary.grids import Block, Frame, ReadCounter, read_block, strips
from autopkg.summary.sampling import Grid, GridIndex, locate

#: (hazard file's package path, threshold) → the amount reached.
Reached = dict[tuple[str, float], float]
#: A cell's amount from its value and its area in km² (arrays of the cells inside).
Weight = Callable[[NDArray[Any], NDArray[np.float64]], NDArray[np.float64]]
#: Exposure cells are read this many cells beyond a strip's footprint, so a curved
#: edge between the footprint's densified points loses no cell centred in the strip.
_MARGIN = 2


@dataclass(frozen=True)
class HazardFile:
    """An open hazard raster, its package path and the thresholds it is summarised at."""

    path: str
    dataset: Any
    thresholds: tuple[float, ...]


@dataclass(frozen=True)
class Cells:
    """Amounts of one statistic summed per hazard cell of a strip, ``at`` each cell's
    position in the strip (row-major); cells may repeat: amounts add."""

    statistic: str
    at: NDArray[np.int64]
    totals: NDArray[np.float64]


@dataclass(frozen=True)
class GridSource:
    """An exposure grid (open) and what one of its cells weighs, for one statistic.

    ``needs``: the hazard files (package paths) it is to meet.
    """

    processor: str
    statistic: str
    dataset: Any
    weight: Weight
    needs: frozenset[str]

    def in_strip(
        self,
        grid: Grid,
        window: Window,
        area: MultiPolygon,
        counter: ReadCounter | None,
        window_cells: int,
    ) -> list[Cells]:
        """The grid's amounts summed per hazard cell of the strip ``window`` of ``grid``
        (read in windows of at most ``window_cells`` cells)."""
        crs = CRS.from_user_input(self.dataset.crs)
        footprint = _footprint(grid, window, self.dataset, crs)
        layout = strips(self.dataset, area, footprint, window_cells)
        parts = []
        for part in layout.windows:
            block = read_block(self.dataset, part, layout, counter)
            x, y = block.centres(self.dataset.transform)
            weights = self.weight(block.values[block.inside], _cell_km2(block))
            index = locate(grid, x, y, crs)
            parts.append(_within(self.statistic, index, index.totals(weights), window))
        if len(parts) < 2:
            return parts
        # A finer grid takes many windows per strip: one list of cells for all of them,
        # so each hazard file looks its values up once.
        at, inverse = np.unique(np.concatenate([p.at for p in parts]), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([p.totals for p in parts]))
        return [Cells(self.statistic, at, totals.astype(np.float64))]


@dataclass(frozen=True)
class PlaceSource:
    """Places (plants, pieces of line) located on one hazard grid, with their amounts.

    ``amounts`` maps each statistic to the places' amounts; ``needs`` as for
    :class:`GridSource`.
    """

    processor: str
    index: GridIndex
    amounts: Mapping[str, NDArray[np.float64]]
    needs: frozenset[str]

    def in_strip(
        self,
        grid: Grid,
        window: Window,
        area: MultiPolygon,
        counter: ReadCounter | None,
        window_cells: int,
    ) -> list[Cells]:
        """The places' amounts summed per hazard cell of the strip ``window``."""
        return [
            _within(statistic, self.index, self.index.totals(amounts), window)
            for statistic, amounts in self.amounts.items()
        ]


Source = GridSource | PlaceSource


@dataclass
class Results:
    """What one pass over a hazard grid found."""

    #: Hazard area (km²) of each measured file: path → threshold → km².
    areas: dict[str, dict[float, float]]
    #: (exposure processor, statistic) → what each file reaches at each threshold.
    reached: dict[tuple[str, str], Reached]


def by_grid(hazards: Sequence[HazardFile]) -> dict[Grid, list[HazardFile]]:
    """Group hazard files that share a grid (one location of the places serves them all)."""
    groups: dict[Grid, list[HazardFile]] = defaultdict(list)
    for hazard in hazards:
        groups[Grid.of(hazard.dataset)].append(hazard)
    return dict(groups)


def hazard_pass(
    area: MultiPolygon,
    grid: Grid,
    hazards: Sequence[HazardFile],
    sources: Sequence[Source],
    measured: frozenset[str],
    counter: ReadCounter | None,
    window_cells: int,
) -> Results:
    """Read each hazard file of ``grid`` once, strip by strip, for its hazard area (the
    files in ``measured``) and what it reaches of each source (those whose ``needs``
    name it). Every raster is read in windows of at most ``window_cells`` cells.
    """
    results = Results(
        areas={h.path: dict.fromkeys(h.thresholds, 0.0) for h in hazards if h.path in measured},
        reached=defaultdict(dict),
    )
    paths = {h.path for h in hazards}
    sources = [s for s in sources if s.needs & paths]
    if not sources and not measured & paths:
        return results
    layout = strips(hazards[0].dataset, area, window_cells=window_cells)
    for window in layout.windows:
        found = [(s, s.in_strip(grid, window, area, counter, window_cells)) for s in sources]
        frame = Frame.of(hazards[0].dataset, window, layout)
        for hazard in hazards:
            meeting = [(s, cells) for s, cells in found if hazard.path in s.needs]
            if hazard.path not in measured and not meeting:
                continue
            block = read_block(hazard.dataset, window, layout, counter, frame)
            if hazard.path in measured:
                _measure(block, hazard, results.areas[hazard.path])
            for source, cells in meeting:
                for part in cells:
                    _reach(block, hazard, part, results.reached[(source.processor, part.statistic)])
    return results


def _measure(block: Block, hazard: HazardFile, into: dict[float, float]) -> None:
    """Add the area of the block's cells inside the area above each threshold."""
    # Cell areas vary by row only: count the cells above per row, then weigh the rows.
    row_km2 = block.cell_km2[:, 0]
    for threshold in hazard.thresholds:
        above = np.count_nonzero(block.inside & (block.values > threshold), axis=1)
        into[threshold] += float(above @ row_km2)


def _reach(block: Block, hazard: HazardFile, cells: Cells, into: Reached) -> None:
    """Add, per threshold, the amounts of the cells whose hazard value is above it."""
    values = block.values.ravel()[cells.at]
    # How many thresholds each cell is above (strictly; a few comparisons beat a
    # search), so one weighted count gives every threshold: the amount above
    # threshold i is that of the cells above more than i of them.
    above = np.zeros(len(values), dtype=np.intp)
    for threshold in hazard.thresholds:
        above += values > threshold
    above[~block.valid.ravel()[cells.at]] = 0
    by_count = np.bincount(above, weights=cells.totals, minlength=len(hazard.thresholds) + 1)
    beyond = np.cumsum(by_count[::-1])[::-1]
    for i, threshold in enumerate(hazard.thresholds):
        key = (hazard.path, threshold)
        into[key] = into.get(key, 0.0) + float(beyond[i + 1])


def _within(statistic: str, index: GridIndex, totals: NDArray[np.float64], window: Window) -> Cells:
    """The located cells that lie in the strip ``window`` (each place counts in one);
    cells with nothing to reach are left out."""
    row0, col0 = int(window.row_off), int(window.col_off)
    chosen = (index.rows >= row0) & (index.rows < row0 + int(window.height))
    chosen &= (index.cols >= col0) & (index.cols < col0 + int(window.width))
    chosen &= totals != 0
    at = (index.rows[chosen] - row0) * int(window.width) + index.cols[chosen] - col0
    return Cells(statistic, at, totals[chosen])


def _footprint(grid: Grid, window: Window, dataset: Any, crs: CRS) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` of ``dataset`` covering the strip of ``grid``.

    A grid in another CRS gets the bounds of the strip's densified outline there (a
    geographic strip running past ±180° as its parts on either side), and a margin;
    should they not be finite, every row and column.
    """
    box = bounds(window, Affine(*grid.transform))
    target = CRS.from_wkt(grid.crs)
    parts = [box]
    if not crs.equals(target, ignore_axis_order=True):
        parts = [
            transform_bounds(target, crs, *part, densify_pts=64) for part in _sides(box, target)
        ]
    found = [from_bounds(*part, transform=dataset.transform) for part in parts]
    if not found or not all(np.isfinite(part).all() for part in parts):
        return 0, dataset.height, 0, dataset.width
    row0 = min(int(np.floor(min(w.row_off, w.row_off + w.height))) for w in found) - _MARGIN
    row1 = max(int(np.ceil(max(w.row_off, w.row_off + w.height))) for w in found) + _MARGIN
    col0 = min(int(np.floor(min(w.col_off, w.col_off + w.width))) for w in found) - _MARGIN
    col1 = max(int(np.ceil(max(w.col_off, w.col_off + w.width))) for w in found) + _MARGIN
    return max(row0, 0), min(row1, dataset.height), max(col0, 0), min(col1, dataset.width)


def _sides(
    box: tuple[float, float, float, float], crs: CRS
) -> list[tuple[float, float, float, float]]:
    """A geographic box as its parts within ±180° (one part unless it runs past)."""
    left, bottom, right, top = box
    if not crs.is_geographic or (left >= -180 and right <= 180):
        return [box]
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        west, east = max(left + shift, -180.0), min(right + shift, 180.0)
        if west < east:
            parts.append((west, bottom, east, top))
    return parts


def _cell_km2(block: Block) -> NDArray[np.float64]:
    """The areas of the block's cells inside."""
    cells: NDArray[np.float64] = np.broadcast_to(block.cell_km2, block.values.shape)[block.inside]
    return cells
