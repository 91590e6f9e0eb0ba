"""The summary's rows for a list of areas, from the data files of a package.

For each area (the package's boundary; its children when they are loaded) the
statistics of each dataset alone, then exposure for every hazard file against every
exposure dataset the package holds, then the expected annual population exposed per
hazard series. Vocabulary, units and method are in ``docs/summaries.md``.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autopkg.summary.exposure import (
    GridSource,
    HazardFile,
    PlaceSource,
    Reached,
    Source,
    by_grid,
    hazard_pass,
)
from autopkg.summary.features import line_pieces, points_inside
from autopkg.summary.files import Area, DataFile, open_hazards, readable
from autopkg.summary.grids import WINDOW_CELLS, ReadCounter, blocks, open_raster
from autopkg.summary.roles import BuiltUp, Hazard, Lines, Points, Population, role_of
from autopkg.summary.sampling import Grid, locate
from autopkg.summary.table import Row, sort_rows

log = logging.getLogger(__name__)

#: The unit of each exposure statistic.
_UNITS = {
    "population_exposed": "persons",
    "built_up_exposed_km2": "km2",
    "plants_exposed": "plants",
    "capacity_exposed_mw": "MW",
    "length_exposed_km": "km",
}


@dataclass
class _Emit:
    """Collects the rows of one area."""

    area: Area
    rows: list[Row]

    def __call__(
        self, file: DataFile, statistic: str, value: float, unit: str, **extra: Any
    ) -> None:
        hazard = role_of(file.processor)
        key = hazard.key(file.sub) if isinstance(hazard, Hazard) else None
        self.rows.append(
            Row(
                area=self.area.id,
                area_name=self.area.name,
                admin_level=self.area.admin_level,
                processor=file.processor,
                source_file=extra.get("source_file", file.path),
                statistic=statistic,
                category=extra.get("category", ""),
                scenario=key.scenario if key else "",
                epoch=key.epoch if key else "",
                return_period=extra.get("return_period", key.return_period if key else None),
                threshold=extra.get("threshold"),
                threshold_unit=hazard.unit
                if isinstance(hazard, Hazard) and "threshold" in extra
                else "",
                exposure_processor=extra.get("exposure_processor", ""),
                value=float(value),
                unit=unit,
            )
        )


@dataclass(frozen=True)
class Known:
    """Rows computed before, and the package paths whose rows still hold.

    A path is ``unchanged`` when its file's bytes, its hazard thresholds, the area and
    the set of files of its processor are all what they were when ``rows`` were
    computed.
    """

    rows: Sequence[Row] = ()
    unchanged: frozenset[str] = frozenset()


def summarise(
    files: Sequence[DataFile],
    areas: Sequence[Area],
    thresholds: Mapping[str, Sequence[float]],
    counter: ReadCounter | None = None,
    known: Known = Known(),
    window_cells: int = WINDOW_CELLS,
) -> list[Row]:
    """Return every row of the summary for ``areas`` (sorted).

    ``thresholds`` overrides the default thresholds of a hazard processor (by id).
    Rows of ``known`` whose files are unchanged are kept rather than computed again:
    a file's own statistics, and exposure where both the hazard file and every file of
    the exposure dataset are unchanged. Expected annual values are always integrated
    again (from kept and new rows alike). Rasters are read in windows of at most
    ``window_cells`` cells.
    """
    files = [f for f in files if readable(f)]
    rows: list[Row] = []
    for area in areas:
        _summarise_area(files, area, thresholds, known, _Emit(area, rows), counter, window_cells)
    return sort_rows(rows)


def _summarise_area(
    files: Sequence[DataFile],
    area: Area,
    thresholds: Mapping[str, Sequence[float]],
    known: Known,
    emit: _Emit,
    counter: ReadCounter | None,
    window_cells: int,
) -> None:
    """Emit the rows of one area."""
    kept = [
        replace(r, area_name=area.name, admin_level=area.admin_level)
        for r in known.rows
        if r.area == area.id and r.source_file in known.unchanged
    ]
    for file in files:
        if file.path in known.unchanged:
            emit.rows.extend(r for r in kept if r.source_file == file.path and _alone_row(r))
        else:
            _alone(file, area, emit, counter, window_cells)
    with open_hazards(files, thresholds) as hazards:
        _hazards(files, area, hazards, emit, counter, window_cells, kept, known.unchanged)


def _alone_row(row: Row) -> bool:
    """Whether a row is a statistic of one file alone (a hazard file's area included)."""
    return not row.exposure_processor


def _alone(
    file: DataFile, area: Area, emit: _Emit, counter: ReadCounter | None, window_cells: int
) -> None:
    """The statistics of one data file alone (a hazard file's are measured with exposure)."""
    role = role_of(file.processor)
    if isinstance(role, Population) and file.is_raster:
        total = 0.0
        with open_raster(str(file.local)) as dataset:
            for block in blocks(dataset, area.geometry, counter, window_cells):
                total += float(block.values[block.inside].sum(dtype=np.float64))
        emit(file, "population", total, "persons")
    elif isinstance(role, BuiltUp) and _is_built(file, role):
        by_class: dict[int, float] = defaultdict(float)
        with open_raster(str(file.local)) as dataset:
            for block in blocks(dataset, area.geometry, counter, window_cells):
                cells = np.broadcast_to(block.cell_km2, block.values.shape)[block.inside]
                classes = block.values[block.inside].astype(np.int64)
                for value in np.unique(classes[classes >= role.first_built]):
                    by_class[int(value)] += float(cells[classes == value].sum())
        for value, km2 in sorted(by_class.items()):
            emit(file, "built_up_area_km2", km2, "km2", category=str(value))
    elif isinstance(role, Points) and not file.is_raster:
        points = points_inside(
            file.local, area.geometry, role.category, role.capacity, area.clipped
        )
        for category in sorted(set(points.category.tolist())):
            chosen = points.category == category
            emit(file, "plant_count", float(chosen.sum()), "plants", category=category)
            emit(file, "capacity_mw", float(points.amount[chosen].sum()), "MW", category=category)
    elif isinstance(role, Lines) and not file.is_raster:
        pieces = line_pieces(file.local, area.geometry, role.category, area.clipped)
        lengths = pieces.length_km
        for category in sorted(set(pieces.category.tolist())):
            value = float(lengths[pieces.category == category].sum())
            emit(file, "length_km", value, "km", category=category)


def _hazards(
    files: Sequence[DataFile],
    area: Area,
    hazards: Sequence[HazardFile],
    emit: _Emit,
    counter: ReadCounter | None,
    window_cells: int,
    kept: Sequence[Row],
    unchanged: frozenset[str],
) -> None:
    """Hazard areas of the changed hazard files, and exposure of every hazard file against
    every exposure dataset of the package, each hazard file read once.

    Values of ``kept`` rows stand where the hazard file and the exposure dataset are
    both unchanged; the rest are computed.
    """
    if not hazards:
        return
    changed = {f.processor for f in files if f.path not in unchanged}
    every = frozenset(h.path for h in hazards)
    fresh = frozenset(path for path in every if path not in unchanged)
    found: dict[tuple[str, str], Reached] = defaultdict(dict)
    areas: dict[str, dict[float, float]] = {}
    with contextlib.ExitStack() as stack:
        grids: list[Source] = []
        for file in files:
            # A changed exposure dataset meets every hazard file; another only the changed.
            needs = every if file.processor in changed else fresh
            if needs:
                grids.extend(_grid_sources(file, needs, stack))
        for grid, group in by_grid(hazards).items():
            places: list[Source] = []
            for file in files:
                needs = every if file.processor in changed else fresh
                if needs & {h.path for h in group}:
                    places.extend(_place_sources(file, area, grid, needs))
            sources = [*grids, *places]
            results = hazard_pass(area.geometry, grid, group, sources, fresh, counter, window_cells)
            areas.update(results.areas)
            for key, reached in results.reached.items():
                _add(found[key], reached)
    by_path = {f.path: f for f in files}
    for path, by_threshold in areas.items():
        for threshold, km2 in by_threshold.items():
            emit(by_path[path], "hazard_area_km2", km2, "km2", threshold=threshold)
    present = {f.processor for f in files}
    for row in kept:
        if (
            row.exposure_processor in present - changed
            and row.statistic in _UNITS
            and row.threshold is not None
        ):
            found[(row.exposure_processor, row.statistic)][(row.source_file, row.threshold)] = (
                row.value
            )
    for (processor, statistic), reached in sorted(found.items()):
        for (path, threshold), value in sorted(reached.items()):
            emit(
                by_path[path],
                statistic,
                value,
                _UNITS[statistic],
                threshold=threshold,
                exposure_processor=processor,
            )
    _expected_annual(by_path, found, emit)


def _grid_sources(
    file: DataFile, needs: frozenset[str], stack: contextlib.ExitStack[Any]
) -> list[Source]:
    """The exposure grid a file is (opened for the area's passes), or nothing."""
    role = role_of(file.processor)
    if isinstance(role, Population) and file.is_raster:
        dataset = stack.enter_context(open_raster(str(file.local)))
        return [GridSource(file.processor, "population_exposed", dataset, _persons, needs)]
    if isinstance(role, BuiltUp) and _is_built(file, role):
        first = role.first_built

        def built(values: NDArray[Any], km2: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.where(values >= first, km2, 0.0)

        dataset = stack.enter_context(open_raster(str(file.local)))
        return [GridSource(file.processor, "built_up_exposed_km2", dataset, built, needs)]
    return []


def _place_sources(file: DataFile, area: Area, grid: Grid, needs: frozenset[str]) -> list[Source]:
    """A file's plants or pieces of line located on ``grid``, or nothing."""
    role = role_of(file.processor)
    if isinstance(role, Points) and not file.is_raster:
        points = points_inside(
            file.local, area.geometry, role.category, role.capacity, area.clipped
        )
        index = locate(grid, points.lon, points.lat, "EPSG:4326")
        amounts = {"plants_exposed": np.ones(len(points.lon)), "capacity_exposed_mw": points.amount}
        return [PlaceSource(file.processor, index, amounts, needs)]
    if isinstance(role, Lines) and not file.is_raster:
        pieces = line_pieces(file.local, area.geometry, None, area.clipped, grid=grid)
        lon, lat = pieces.midpoints()
        index = locate(grid, lon, lat, "EPSG:4326")
        return [PlaceSource(file.processor, index, {"length_exposed_km": pieces.length_km}, needs)]
    return []


def _persons(values: NDArray[Any], _: NDArray[np.float64]) -> NDArray[np.float64]:
    return values.astype(np.float64)


def _is_built(file: DataFile, role: BuiltUp) -> bool:
    """Whether the file is the built-up class grid (MSZ), not the function grid."""
    return file.is_raster and role.file_marker in file.sub


def _add(into: Reached, more: Reached) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0.0) + value


def _expected_annual(
    file_of: Mapping[str, DataFile], found: Mapping[tuple[str, str], Reached], emit: _Emit
) -> None:
    """The expected annual population exposed of each hazard series with return periods.

    The integral of ``population_exposed`` over annual exceedance probability (1/RP),
    by the trapezoid rule, per hazard series (the file name less its return period),
    threshold and exposure dataset; a series with fewer than two return periods has
    none. The row's ``source_file`` is the series' path with ``rp*`` in place of its
    return period, and its other columns those of the series' files.
    """
    series: dict[tuple[str, str, float], dict[float, tuple[DataFile, float]]] = defaultdict(dict)
    for (exposure, statistic), reached in found.items():
        if statistic != "population_exposed":
            continue
        for (path, threshold), value in reached.items():
            file = file_of[path]
            role = role_of(file.processor)
            key = role.key(file.sub) if isinstance(role, Hazard) else None
            if key is None or not key.return_period:
                continue
            folder, _, name = path.rpartition("/")
            pattern = f"{folder}/{name.replace(file.sub, key.series)}"
            series[(exposure, pattern, threshold)][1.0 / key.return_period] = (file, value)
    for (exposure, pattern, threshold), points in sorted(series.items()):
        if len(points) < 2:
            continue
        p = np.array(sorted(points))
        v = np.array([points[x][1] for x in sorted(points)])
        first = points[float(p[0])][0]
        emit(
            first,
            "expected_annual_population_exposed",
            float(np.sum((v[1:] + v[:-1]) / 2 * np.diff(p))),
            "persons/year",
            threshold=threshold,
            exposure_processor=exposure,
            source_file=pattern,
            return_period=None,
        )
