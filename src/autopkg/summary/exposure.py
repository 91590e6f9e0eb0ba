"""Exposure: how much population, built-up area, plants and line length each hazard reaches.

A place counts as reached by a hazard file at a threshold when the value of the hazard
cell under it is above the threshold (strictly): an exposure grid's cell at its centre,
a plant at its location, a piece of line (cut at the hazard grid's cell edges) at its
middle. A place where the hazard file has NoData is not reached. Places are located
once per hazard grid and exposure window, then every hazard file on that grid is read
only where places are (:mod:`~autopkg.summary.sampling`), so an exposure grid is read
once per window whatever the number of hazard files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS

from autopkg.summary.grids import ReadCounter, blocks
from autopkg.summary.sampling import Grid, GridIndex, locate, read_cells

#: (hazard file's package path, threshold) → the amount reached.
Reached = dict[tuple[str, float], float]
#: A cell's amount from its value and its area in km² (arrays of the cells inside).
Weight = Callable[[NDArray[Any], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class HazardFile:
    """An open hazard raster, its package path and the thresholds it is summarised at."""

    path: str
    dataset: Any
    thresholds: tuple[float, ...]
    #: Called after each read of the file's cells, while its blocks are in GDAL's cache.
    after_read: Callable[[HazardFile], None] | None = None


def by_grid(hazards: Sequence[HazardFile]) -> dict[Grid, list[HazardFile]]:
    """Group hazard files that share a grid (one location of the places serves them all)."""
    groups: dict[Grid, list[HazardFile]] = defaultdict(list)
    for hazard in hazards:
        groups[Grid.of(hazard.dataset)].append(hazard)
    return dict(groups)


def reached(
    index: GridIndex,
    totals: NDArray[np.float64],
    hazards: Sequence[HazardFile],
    counter: ReadCounter | None,
    into: Reached,
) -> None:
    """Add, per hazard file and threshold, the total of the cells above the threshold."""
    for hazard in hazards:
        values = read_cells(hazard.dataset, index.rows, index.cols, counter)
        if hazard.after_read is not None:
            hazard.after_read(hazard)
        for threshold in hazard.thresholds:
            into[(hazard.path, threshold)] = into.get((hazard.path, threshold), 0.0) + float(
                totals[values > threshold].sum()
            )


def grid_exposure(
    dataset: Any,
    area: Any,
    weight: Weight,
    groups: Mapping[Grid, Sequence[HazardFile]],
    counter: ReadCounter | None,
) -> Reached:
    """What an exposure grid's weights each hazard reaches.

    ``weight`` gives each cell's amount from the cells' values and areas (km²), both
    for the cells inside the area only.

    The exposure grid is read once, window by window; each window's cell centres are
    located on each hazard grid once and shared by the files on it.
    """
    out: Reached = {}
    crs = CRS.from_user_input(dataset.crs)
    for block in blocks(dataset, area, counter):
        x, y = block.centres(dataset.transform)
        cell_km2 = np.broadcast_to(block.cell_km2, block.values.shape)[block.inside]
        weights = weight(block.values[block.inside], cell_km2)
        for grid, hazards in groups.items():
            index = locate(grid, x, y, crs)
            reached(index, index.totals(weights), hazards, counter, out)
    return out


def place_exposure(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    weights: Sequence[NDArray[np.float64]],
    groups: Mapping[Grid, Sequence[HazardFile]],
    counter: ReadCounter | None,
) -> list[Reached]:
    """What places (WGS 84) each hazard reaches, once per list of ``weights``."""
    outs: list[Reached] = [{} for _ in weights]
    for grid, hazards in groups.items():
        index = locate(grid, lon, lat, "EPSG:4326")
        for weight, out in zip(weights, outs, strict=True):
            reached(index, index.totals(weight), hazards, counter, out)
    return outs
