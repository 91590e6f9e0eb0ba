"""Every statistic of the summary against an independent computation on the same files.

Boundaries: Ghana (one part), the Bahamas (many parts) and Fiji (across ±180°, so its
population and built-up grids come as an east and a west file, and its flood grids
run past 180°). The reference values are computed here another way: whole-array
reads and rasterio's ``rowcol``, cell areas as geodesic polygons, line lengths as
shapely intersections with each flooded cell measured by pyproj's ``Geod``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import rowcol, xy

from autopkg.boundaries.builtin import get_builtin
from autopkg.summary.compute import Known, summarise
from autopkg.summary.files import Area, DataFile
from autopkg.summary.grids import ReadCounter, strips
from autopkg.summary.table import Row
from tests.fixtures.standin_summary import (
    BUILT,
    FLOOD_FILES,
    FLOODS,
    PLANTS,
    POPULATION,
    ROADS,
    Sources,
    make_sources,
    package_files,
)

GEOD = Geod(ellps="WGS84")
THRESHOLDS = (0.0, 0.5, 1.5)


@pytest.fixture(scope="module")
def sources(pytestconfig: pytest.Config) -> Sources:
    return make_sources(Path(pytestconfig.cache.mkdir("summary-standins")))


@pytest.fixture(scope="module", params=["gha", "bhs", "fji"])
def package(
    request: pytest.FixtureRequest, sources: Sources, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Area, list[DataFile], list[Row], ReadCounter]:
    boundary = get_builtin(request.param)
    files = package_files(sources, boundary, tmp_path_factory.mktemp(boundary.name))
    area = Area(boundary.name, boundary.name_long, 0, boundary.geometry, clipped=True)
    counter = ReadCounter()
    return area, files, summarise(files, [area], {}, counter), counter


def values(rows: list[Row]) -> dict[tuple[Any, ...], float]:
    found = {}
    for r in rows:
        key = (r.statistic, r.source_file, r.category, r.threshold, r.exposure_processor)
        assert key not in found, key
        found[key] = r.value
    return found


def of(files: list[DataFile], processor: str) -> list[DataFile]:
    return [f for f in files if f.processor == processor]


def valid_cells(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    with rasterio.open(path) as ds:
        data = ds.read(1, masked=True)
        # numpy's stubs leave np.ma untyped.
        rows, cols = np.nonzero(~np.ma.getmaskarray(data))  # type: ignore[no-untyped-call]
        return rows, cols, np.asarray(data[rows, cols], dtype=np.float64), ds.transform


def hazard_at(path: Path, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Hazard values at places (NaN off the grid or at NoData), longitudes wrapped."""
    with rasterio.open(path) as ds:
        data = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
        lon = np.where(lon < ds.bounds.left, lon + 360, lon)
        r, c = rowcol(ds.transform, lon, lat)
        r, c = np.asarray(r), np.asarray(c)
        on = (r >= 0) & (r < ds.height) & (c >= 0) & (c < ds.width)
        out = np.full(len(lon), np.nan)
        out[on] = data[r[on], c[on]]
        return out


def centres_lonlat(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols, vals, transform = valid_cells(path)
    x, y = xy(transform, rows, cols)
    lon, lat = Transformer.from_crs("ESRI:54009", "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon), np.asarray(lat), vals


def flood(files: list[DataFile], rp: int) -> DataFile:
    return next(f for f in of(files, FLOODS) if f.sub == FLOOD_FILES[rp].lower())


def test_population_is_the_sum_of_the_cells_inside(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    for file in of(files, POPULATION):
        expected = valid_cells(file.local)[2].sum()
        assert found[("population", file.path, "", None, "")] == pytest.approx(expected, rel=1e-9)
        assert expected > 0


def test_built_up_area_by_class(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    for file in of(files, BUILT):
        classes = valid_cells(file.local)[2].astype(int)
        for value in (11, 12, 21, 25):
            expected = (classes == value).sum() * 0.25 * 0.25
            assert found[("built_up_area_km2", file.path, str(value), None, "")] == pytest.approx(
                expected, rel=1e-9
            )
        assert not [k for k in found if k[0] == "built_up_area_km2" and k[2] in ("1", "2")]


def test_hazard_area_above_each_threshold(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    for rp in FLOOD_FILES:
        file = flood(files, rp)
        r, c, vals, transform = valid_cells(file.local)
        x0, y0 = transform @ (c, r)
        x1, y1 = transform @ (c + 1, r + 1)
        cell = (
            np.array(
                [
                    abs(GEOD.polygon_area_perimeter([a, b, b, a], [d, d, e, e])[0])
                    for a, b, d, e in zip(x0, x1, y0, y1, strict=True)
                ]
            )
            / 1e6
        )
        for t in THRESHOLDS:
            expected = cell[vals > t].sum()
            got = found[("hazard_area_km2", file.path, "", t, "")]
            assert got == pytest.approx(expected, rel=1e-4)
        assert found[("hazard_area_km2", file.path, "", 0.0, "")] > 0


@pytest.mark.slow
def test_population_and_built_up_exposed(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    for rp in FLOOD_FILES:
        hazard = flood(files, rp)
        for t in THRESHOLDS:
            people, built = 0.0, 0.0
            for file in of(files, POPULATION):
                lon, lat, persons = centres_lonlat(file.local)
                people += persons[hazard_at(hazard.local, lon, lat) > t].sum()
            for file in of(files, BUILT):
                lon, lat, classes = centres_lonlat(file.local)
                depth = hazard_at(hazard.local, lon, lat)
                built += ((classes >= 11) & (depth > t)).sum() * 0.0625
            key = ("population_exposed", hazard.path, "", t, POPULATION)
            assert found[key] == pytest.approx(people, rel=1e-9)
            key = ("built_up_exposed_km2", hazard.path, "", t, BUILT)
            assert found[key] == pytest.approx(built, rel=1e-9)
        assert found[("population_exposed", hazard.path, "", 0.0, POPULATION)] > 0


def test_plants_by_fuel_and_exposed(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    (file,) = of(files, PLANTS)
    _, _, wkb, (fuel, capacity) = pyogrio.raw.read(
        file.local, columns=["primary_fuel", "capacity_mw"]
    )
    points = shapely.from_wkb(wkb)
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    assert len(points) > 0
    for name in set(fuel.tolist()):
        assert found[("plant_count", file.path, name, None, "")] == (fuel == name).sum()
        assert found[("capacity_mw", file.path, name, None, "")] == pytest.approx(
            capacity[fuel == name].sum()
        )
    for rp in FLOOD_FILES:
        hazard = flood(files, rp)
        depth = hazard_at(hazard.local, lon, lat)
        for t in THRESHOLDS:
            assert found[("plants_exposed", hazard.path, "", t, PLANTS)] == (depth > t).sum()
            assert found[("capacity_exposed_mw", hazard.path, "", t, PLANTS)] == pytest.approx(
                capacity[depth > t].sum()
            )


def test_road_lengths_and_length_flooded(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    (file,) = of(files, ROADS)
    _, _, wkb, (kind,) = pyogrio.raw.read(file.local, columns=["type"])
    lines = shapely.from_wkb(wkb)
    length = np.array([GEOD.geometry_length(g) for g in lines]) / 1000
    for name in set(kind.tolist()):
        got = found[("length_km", file.path, name, None, "")]
        assert got == pytest.approx(length[kind == name].sum(), rel=1e-9)
    network = shapely.union_all(lines)
    hazard = flood(files, 100)
    r, c, depth, transform = valid_cells(hazard.local)
    x0, y0 = transform @ (c, r)
    x1, y1 = transform @ (c + 1, r + 1)
    boxes = shapely.box(x0, y1, x1, y0)
    # Cells of a grid run past 180°: the lines there are west of -180.
    shifted = shapely.transform(network, lambda p: p + np.array([360.0, 0.0]))
    for t in THRESHOLDS:
        wet = boxes[depth > t]
        pieces = list(shapely.intersection(wet, network)) + list(shapely.intersection(wet, shifted))
        expected = sum(GEOD.geometry_length(p) for p in pieces if not p.is_empty) / 1000
        got = found[("length_exposed_km", hazard.path, "", t, ROADS)]
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert found[("length_exposed_km", hazard.path, "", 0.0, ROADS)] > 0


def test_expected_annual_population_exposed(package: Any) -> None:
    _, files, rows, _ = package
    found = values(rows)
    pattern = flood(files, 10).path.replace("rp00010", "rp*")
    for t in THRESHOLDS:
        p = [1 / rp for rp in sorted(FLOOD_FILES, reverse=True)]
        v = [
            found[("population_exposed", flood(files, rp).path, "", t, POPULATION)]
            for rp in sorted(FLOOD_FILES, reverse=True)
        ]
        expected = sum((v[i] + v[i + 1]) / 2 * (p[i + 1] - p[i]) for i in range(len(p) - 1))
        key = ("expected_annual_population_exposed", pattern, "", t, POPULATION)
        assert found[key] == pytest.approx(expected, rel=1e-12)
    eape = [r for r in rows if r.statistic == "expected_annual_population_exposed"]
    assert {(r.scenario, r.epoch, r.return_period) for r in eape} == {("rcp4p5", "2030", None)}


def test_hazard_rows_carry_the_file_name_grammar(package: Any) -> None:
    _, files, rows, _ = package
    for rp in FLOOD_FILES:
        hazard_rows = [r for r in rows if r.source_file == flood(files, rp).path]
        assert {(r.scenario, r.epoch, r.return_period, r.threshold_unit) for r in hazard_rows} == {
            ("rcp4p5", "2030", float(rp), "m")
        }


def test_the_population_grid_is_read_once_per_window(package: Any) -> None:
    _, files, _, counter = package
    windows = defaultdict(int)
    for file in of(files, POPULATION):
        windows[file.local] = counter.windows[str(file.local)]
    # Once alone and once for exposure, whatever the number of flood files.
    assert all(count == 2 for count in windows.values()), windows


def test_a_child_area_is_masked_by_its_own_geometry(sources: Sources, tmp_path: Path) -> None:
    boundary = get_builtin("gha")
    files = package_files(sources, boundary, tmp_path)
    child = shapely.MultiPolygon([shapely.box(-2.0, 6.0, 0.0, 8.0)])
    area = Area("gha-child", "Child", 1, child, clipped=False)
    rows = summarise(files, [area], {"wri_aqueduct.version_2": [0.25]})
    found = values(rows)
    (population,) = of(files, POPULATION)
    lon, lat, persons = centres_lonlat(population.local)
    inside = shapely.contains_xy(child, lon, lat)
    assert found[("population", population.path, "", None, "")] == pytest.approx(
        persons[inside].sum(), rel=1e-6
    )
    hazard = flood(files, 100)
    depth = hazard_at(hazard.local, lon, lat)
    assert found[("population_exposed", hazard.path, "", 0.25, POPULATION)] == pytest.approx(
        persons[inside & (depth > 0.25)].sum(), rel=1e-6
    )
    assert {r.area for r in rows} == {"gha-child"}
    assert {r.threshold for r in rows if r.processor == FLOODS} == {0.25}


def test_rows_of_unchanged_files_are_kept_not_computed(package: Any) -> None:
    area, files, rows, _ = package
    every = frozenset(f.path for f in files)
    counter = ReadCounter()
    again = summarise(files, [area], {}, counter, Known(rows, every))
    assert again == rows
    assert counter.windows == {}
    # The plants changed: only they are read again, against every flood file's cells
    # (flood files are read, the population grid is not).
    plants = next(f for f in of(files, PLANTS))
    counter = ReadCounter()
    stale = [replace(r, value=-1.0) if r.exposure_processor == PLANTS else r for r in rows]
    again = summarise(files, [area], {}, counter, Known(stale, every - {plants.path}))
    assert again == rows
    assert not [path for path in counter.windows if "population" in path]
    assert {path for path in counter.windows if FLOODS.split(".")[0] in path}


def test_each_hazard_file_is_read_once(package: Any) -> None:
    area, files, _, counter = package
    for file in of(files, FLOODS):
        with rasterio.open(file.local) as dataset:
            expected = len(strips(dataset, area.geometry).windows)
        # Its hazard area and its exposure come from the same strips.
        assert counter.windows[str(file.local)] == expected == 1, file.path


def test_small_strips_give_the_same_rows(package: Any, tmp_path: Path) -> None:
    area, files, rows, _ = package
    # Flood and population files in strips of two rows, read a few rows at a time:
    # every hazard strip meets the population grid in its own footprint, read in
    # several windows, and each place must count in exactly one strip.
    striped = []
    for file in files:
        if file.processor not in (FLOODS, POPULATION):
            striped.append(file)
            continue
        copy = tmp_path / file.local.name
        with rasterio.open(file.local) as source:
            profile = {**source.profile, "tiled": False, "blockysize": 2}
            profile.pop("blockxsize", None)
            with rasterio.open(copy, "w", **profile) as target:
                target.write(source.read())
        striped.append(replace(file, local=copy))
    counter = ReadCounter()
    again = summarise(striped, [area], {}, counter, window_cells=400)
    assert [replace(r, value=0.0) for r in again] == [replace(r, value=0.0) for r in rows]
    for before, after in zip(rows, again, strict=True):
        assert after.value == pytest.approx(before.value, rel=1e-9, abs=1e-9), before
    flood_file = next(f for f in striped if f.processor == FLOODS)
    assert counter.windows[str(flood_file.local)] > 3
