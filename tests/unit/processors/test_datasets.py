"""Each processor run end to end for Ghana on the generated sources, served by a mirror."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import rasterio
import shapely

from autopkg.domain.boundary import Boundary
from autopkg.domain.sources import PostgresSource
from autopkg.errors import ProcessorError, SourceError
from autopkg.processors.base import Processor
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
from autopkg.processors.datasets.test_fail_processor.version_1 import FailingTestProcessor
from autopkg.processors.datasets.test_processor.version_1 import (
    SyntheticRasterTestProcessor,
    synthetic_value,
)
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from tests.fixtures.sources import GPPD_COLUMNS, NE2_PIXEL_DEGREES, gppd_rows, ne2_pixel

COG_MEDIATYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


class Run:
    """One processor run: its context and every progress report it made."""

    def __init__(
        self,
        tmp_path: Path,
        boundary: Boundary,
        mirror: str | None,
        osm_database: PostgresSource | None = None,
        clips: ClipStore | None = None,
    ) -> None:
        self.reports: list[tuple[float, str]] = []
        self.ctx = LocalRunContext(
            boundary,
            tmp_path / "scratch",
            tmp_path / "cache",
            mirror=mirror,
            verify=False,
            on_progress=lambda percent, task: self.reports.append((percent, task)),
            osm_database=osm_database,
            clips=clips,
        )

    def percents(self) -> list[float]:
        return [percent for percent, _ in self.reports]


def _centres_inside(dataset: rasterio.io.DatasetReader, boundary: Boundary) -> np.ndarray:
    rows, cols = np.mgrid[0 : dataset.height, 0 : dataset.width]
    xs, ys = rasterio.transform.xy(dataset.transform, rows.ravel(), cols.ravel())
    inside = shapely.contains_xy(boundary.geometry, np.asarray(xs), np.asarray(ys))
    grid: np.ndarray = inside.reshape(dataset.height, dataset.width)
    return grid


def _offset(value: float, origin: float, step: float) -> int:
    """Index of the source pixel edge at ``value``, checking it is on the source grid."""
    index = (value - origin) / step
    assert abs(index - round(index)) < 1e-6, f"{value} is off the source grid"
    return round(index)


def _centre_window(boundary: Boundary, left: float, top: float, step: float) -> tuple[int, ...]:
    """(row0, col0, height, width) of the grid's pixels centred in the boundary's bbox.

    That is the clip engine's crop (autopkg.clip.grid): the boundary's window.
    """
    west, south, east, north = boundary.geometry.bounds
    col0, col1 = math.ceil((west - left) / step - 0.5), math.floor((east - left) / step - 0.5)
    row0, row1 = math.ceil((top - north) / step - 0.5), math.floor((top - south) / step - 0.5)
    return row0, col0, row1 - row0 + 1, col1 - col0 + 1


def _clip_progress(run: Run, clip_task: str) -> list[float]:
    """Check progress runs 0 to 100 without going back; return the clip step's reports."""
    percents = run.percents()
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(percents)
    return [percent for percent, task in run.reports if task == clip_task]


def test_natural_earth_raster_for_ghana(tmp_path: Path, source_mirror: str, gha: Boundary) -> None:
    run = Run(tmp_path, gha, source_mirror)

    outputs = NaturalEarthRasterProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == ["natural_earth_raster-version_1-gha.tif"]
    assert outputs[0].path.parent == run.ctx.scratch
    assert (outputs[0].format, outputs[0].mediatype) == ("tif", COG_MEDIATYPE)
    with rasterio.open(outputs[0].path) as out:
        assert (out.count, out.dtypes, out.crs.to_epsg(), out.nodata) == (
            3, ("uint8",) * 3, 4326, 0,
        )  # fmt: skip
        col0 = _offset(out.transform.c, -180, NE2_PIXEL_DEGREES)
        row0 = _offset(90, out.transform.f, NE2_PIXEL_DEGREES)
        assert out.transform.a == pytest.approx(NE2_PIXEL_DEGREES)
        inside = _centres_inside(out, gha)
        rows, cols = np.mgrid[row0 : row0 + out.height, col0 : col0 + out.width]
        for band in (1, 2, 3):
            data = out.read(band)
            np.testing.assert_array_equal(data[inside], ne2_pixel(rows, cols, band)[inside])
            assert (data[~inside] == 0).all()
    assert (row0, col0, out.height, out.width) == _centre_window(gha, -180, 90, NE2_PIXEL_DEGREES)
    assert inside.sum() > 10_000 and not inside.all()
    clipping = _clip_progress(run, "clipping NE2_50M_SR.tif")
    assert clipping[-1] == 99 and any(40 < percent < 99 for percent in clipping), clipping


def test_wri_powerplants_for_ghana(tmp_path: Path, source_mirror: str, gha: Boundary) -> None:
    run = Run(tmp_path, gha, source_mirror)

    outputs = WriPowerplantsProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == ["wri_powerplants-version_130-gha.gpkg"]
    assert (outputs[0].format, outputs[0].mediatype) == ("gpkg", "application/geopackage+sqlite3")
    expected = {
        row["gppd_idnr"]: row
        for row in gppd_rows()
        if shapely.intersects_xy(gha.geometry, float(row["longitude"]), float(row["latitude"]))
    }
    assert len(expected) >= 5
    info = pyogrio.read_info(outputs[0].path)
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"] in ("Point", "MultiPoint")
    assert set(GPPD_COLUMNS) <= set(info["fields"])
    _, _, geometries, fields = pyogrio.raw.read(outputs[0].path)
    columns = dict(zip(info["fields"], fields, strict=True))
    got = list(columns["gppd_idnr"])
    assert sorted(got) == sorted(expected)
    for index, plant_id in enumerate(got):
        row = expected[plant_id]
        point = shapely.from_wkb(geometries[index])
        assert (point.x, point.y) == (float(row["longitude"]), float(row["latitude"]))
        assert float(columns["capacity_mw"][index]) == float(row["capacity_mw"])
        assert columns["name"][index] == row["name"]
        assert columns["primary_fuel"][index] == row["primary_fuel"]
    # The CSV is scanned, so progress follows the rows read.
    clipping = _clip_progress(run, "clipping global_power_plant_database.csv")
    assert clipping[-1] == 99 and any(40 < percent < 99 for percent in clipping), clipping


def test_test_processor_for_ghana(tmp_path: Path, gha: Boundary) -> None:
    run = Run(tmp_path, gha, None)

    outputs = SyntheticRasterTestProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == ["test_processor-version_1-gha.tif"]
    assert sorted(p.name for p in run.ctx.scratch.iterdir()) == ["test_processor-version_1-gha.tif"]
    west, _, _, north = gha.geometry.bounds
    step = 0.05
    left, top = np.floor(west / step) * step, np.ceil(north / step) * step
    with rasterio.open(outputs[0].path) as out:
        col0 = _offset(out.transform.c, left, step)
        row0 = _offset(top, out.transform.f, step)
        inside = _centres_inside(out, gha)
        rows, cols = np.mgrid[row0 : row0 + out.height, col0 : col0 + out.width]
        data = out.read(1)
        np.testing.assert_array_equal(data[inside], synthetic_value(rows, cols)[inside])
        assert (data[~inside] == out.nodata).all() and out.nodata == 0
    assert (row0, col0, out.height, out.width) == _centre_window(gha, left, top, step)
    assert inside.sum() > 5000
    clipping = _clip_progress(run, "clipping synthetic.tif")
    assert clipping[-1] == 95 and any(30 < percent < 95 for percent in clipping), clipping


def test_test_fail_processor_fails_readably(tmp_path: Path, gha: Boundary) -> None:
    run = Run(tmp_path, gha, None)
    with pytest.raises(ProcessorError) as caught:
        FailingTestProcessor().run(run.ctx)
    assert (
        caught.value.message == "test_fail_processor.version_1 failed on purpose for boundary gha"
    )
    assert run.reports == [(50, "about to fail")]


@pytest.mark.parametrize("processor", [NaturalEarthRasterProcessor, WriPowerplantsProcessor])
def test_sources_are_fetched_once_across_runs(
    tmp_path: Path, source_mirror: str, gha: Boundary, processor: type[Processor]
) -> None:
    first = Run(tmp_path / "one", gha, source_mirror)
    processor().run(first.ctx)
    cached = sorted((tmp_path / "one" / "cache").rglob("*.zip"))
    assert [p.name for p in cached] == [s.filename for s in processor.sources]
    before = cached[0].stat().st_mtime_ns
    second = Run(tmp_path / "one", gha, "http://127.0.0.1:9")  # unreachable: cache only
    second.ctx.scratch.mkdir(exist_ok=True)
    processor().run(second.ctx)
    assert cached[0].stat().st_mtime_ns == before


def test_the_power_plant_zip_is_pinned_to_the_publishers_sha1(
    tmp_path: Path, source_mirror: str, gha: Boundary
) -> None:
    ctx = LocalRunContext(
        gha, tmp_path / "s", tmp_path / "c", mirror=source_mirror, verify=True,
        on_progress=lambda _p, _t: None,
    )  # fmt: skip
    # The stand-in is not the publisher's zip, so the pinned SHA-1 refuses it.
    with pytest.raises(
        SourceError,
        match=r"^the publisher's file global_power_plant_database_v_1_3\.zip could not be "
        r"downloaded intact; .* has sha1 [0-9a-f]{40}, expected "
        r"083f11452efc1ed0e8fb1494f0ce49e5c37718e2\)$",
    ):
        WriPowerplantsProcessor().run(ctx)
