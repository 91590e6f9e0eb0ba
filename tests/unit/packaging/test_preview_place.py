"""Where a preview lies on a map: WGS84 corners from a raster's grid or a vector's frame."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box

from autopkg.packaging.manifest import Band, Grid, Preview, Resource
from autopkg.packaging.preview_place import preview_bounds

AREA = MultiPolygon([box(10.0, 0.0, 20.0, 10.0)])
# Fiji's two sides of the antimeridian, as a boundary stores them.
FIJI = MultiPolygon([box(177.0, -19.0, 180.0, -16.0), box(-180.0, -19.0, -179.8, -16.0)])


HASH = "sha256:" + "0" * 64


def resource(legend: str | None, crs: str | None, grid: Grid | None = None) -> Resource:
    preview = Preview(path="p.png", bytes=1, hash=HASH, legend={"type": legend})
    return Resource(
        name="f.tif",
        path="f.tif",
        bytes=1,
        hash=HASH,
        crs=crs,
        grid=grid,
        preview=preview if legend is not None else None,
    )


def grid(west: float, north: float, size: float, rows: int, columns: int) -> Grid:
    band = Band(data_type="float32")
    return Grid(shape=(rows, columns), transform=(size, 0, west, 0, -size, north), bands=(band,))


def test_a_wgs84_raster_lies_on_its_grid_even_past_180() -> None:
    placed = resource("linear", "EPSG:4326", grid(177.0, -16.0, 0.1, 30, 32))
    assert preview_bounds(placed, FIJI) == pytest.approx((177.0, -19.0, 180.2, -16.0))


def test_a_mollweide_raster_is_placed_by_its_corners_in_degrees() -> None:
    to_moll = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)
    west, south, east, north = to_moll.transform_bounds(10.0, 0.0, 20.0, 10.0, densify_pts=21)
    rows, columns = 100, round((east - west) / ((north - south) / 100))
    size = (north - south) / rows
    placed = resource("linear", "ESRI:54009", grid(west, north, size, rows, columns))
    found = preview_bounds(placed, AREA)
    assert found is not None
    # The grid covers the degree box it was made from, give or take a cell.
    assert found == pytest.approx((10.0, 0.0, 20.0, 10.0), abs=0.2)
    assert found[0] <= 10.0 and found[2] >= 19.9


def test_a_vector_preview_frames_the_boundary_with_its_margin() -> None:
    margin = 10.0 * 0.02
    found = preview_bounds(resource("features", "EPSG:4326"), AREA)
    assert found == pytest.approx((10.0 - margin, -margin, 20.0 + margin, 10.0 + margin))
    across = preview_bounds(resource("features", "EPSG:4326"), FIJI)
    assert across is not None and across[0] < 177.0 and across[2] > 180.0


def test_no_corners_without_a_preview_a_crs_or_a_grid() -> None:
    assert preview_bounds(resource(None, "EPSG:4326"), AREA) is None
    assert preview_bounds(resource("linear", None, grid(10, 10, 1, 10, 10)), AREA) is None
    assert preview_bounds(resource("linear", "EPSG:4326"), AREA) is None
    assert preview_bounds(resource("linear", "NOT:A-CRS", grid(10, 10, 1, 10, 10)), AREA) is None
