"""Preview PNGs of real GeoTIFFs and GeoPackages: sizes, colours and pixels."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds, rowcol
from shapely.geometry import LineString, MultiPolygon, Point, box

import autopkg.packaging.preview as preview_module
from autopkg.packaging.preview import (
    BOUNDARY_COLOUR,
    FEATURE_COLOUR,
    OUTLINE_COLOUR,
    RAMP,
    Preview,
    render_preview,
    render_raster,
    render_vector,
)
from tests.unit.packaging.factories import GHANA, GPKG, TIFF, make_metadata, write_geopackage
from tests.unit.packaging.factories import write_geotiff as geotiff

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector")
CLEAR = (0, 0, 0, 0)


def rgba(colour: str) -> tuple[int, int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255


def pixels(preview: Preview) -> np.ndarray:
    """The preview decoded again: (rows, columns, 4), after checking the PNG header."""
    assert preview.png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack(">IIBB", preview.png[16:26])
    assert (width, height, depth, colour_type) == (preview.width, preview.height, 8, 6)
    with MemoryFile(preview.png) as memory, memory.open() as png:
        assert (png.driver, png.count) == ("PNG", 4)
        return np.moveaxis(png.read(), 0, -1)


def at(image: np.ndarray, row: int, col: int) -> tuple[int, ...]:
    return tuple(int(v) for v in image[row, col])


def test_one_band_is_stretched_on_the_ramp_and_nodata_is_clear(tmp_path: Path) -> None:
    values = np.zeros((1, 4, 8), dtype=np.float32)
    values[0, :, 4:] = 10
    values[0, 0, 0] = -9999
    preview = render_raster(geotiff(tmp_path, RASTER, values, nodata=-9999).path)
    assert (preview.width, preview.height) == (512, 256)
    assert preview.legend == {
        "type": "linear",
        "band": 1,
        "min": 0.0,
        "max": 10.0,
        "colours": list(RAMP),
        "stretch": [2.0, 98.0],
    }
    image = pixels(preview)
    # Each cell is enlarged 64 times: cell (row, col) covers rows 64*row … 64*row + 63.
    assert at(image, 10, 10) == CLEAR
    assert at(image, 63, 63) == CLEAR
    assert at(image, 64, 0) == rgba(RAMP[0])
    assert at(image, 255, 255) == rgba(RAMP[0])
    assert at(image, 0, 256) == rgba(RAMP[-1])
    assert at(image, 255, 511) == rgba(RAMP[-1])


def test_a_large_raster_is_decimated_to_512_pixels(tmp_path: Path) -> None:
    values = np.tile(np.arange(3000, dtype=np.uint16), (1, 1000, 1))
    preview = render_raster(geotiff(tmp_path, RASTER, values).path)
    assert (preview.width, preview.height) == (512, 171)
    assert (preview.legend["min"], preview.legend["max"]) == pytest.approx((60.0, 2940.0), abs=6)
    image = pixels(preview)
    assert at(image, 0, 0) == rgba(RAMP[0])
    assert at(image, 170, 511) == rgba(RAMP[-1])
    assert (image[..., 3] == 255).all()


def test_nan_cells_are_clear_and_a_band_without_data_says_so(tmp_path: Path) -> None:
    values = np.full((1, 2, 2), np.nan, dtype=np.float32)
    values[0, 1, 1] = 3.5
    preview = render_raster(geotiff(tmp_path, RASTER, values, nodata=np.nan, sub="some").path)
    image = pixels(preview)
    assert (preview.width, preview.height) == (512, 512)
    assert at(image, 0, 0) == CLEAR
    assert at(image, 511, 511) == rgba(RAMP[0])
    assert (preview.legend["min"], preview.legend["max"]) == (3.5, 3.5)

    nothing = np.full((1, 2, 2), -1, dtype=np.int16)
    empty = render_raster(geotiff(tmp_path, RASTER, nothing, nodata=-1, sub="none").path)
    assert (empty.legend["min"], empty.legend["max"]) == (None, None)
    assert (pixels(empty) == 0).all()


def test_an_rgb_image_keeps_its_colours(tmp_path: Path) -> None:
    bands = np.array(
        [[[255, 0], [10, 20]], [[0, 255], [30, 40]], [[0, 0], [50, 60]]], dtype=np.uint8
    )
    preview = render_raster(geotiff(tmp_path, RASTER, bands, rgb=True).path)
    assert preview.legend == {"type": "rgb", "bands": [1, 2, 3]}
    image = pixels(preview)
    assert (preview.width, preview.height) == (512, 512)
    assert at(image, 0, 0) == (255, 0, 0, 255)
    assert at(image, 0, 511) == (0, 255, 0, 255)
    assert at(image, 511, 0) == (10, 30, 50, 255)
    assert at(image, 511, 511) == (20, 40, 60, 255)


def test_features_are_drawn_over_the_boundary(tmp_path: Path) -> None:
    road = LineString([(-2.0, 8.0), (0.0, 8.0)])
    plant = Point(0.5, 6.0)
    output = write_geopackage(tmp_path, VECTOR, [road, plant])
    preview = render_vector(output.path, GHANA.geometry)
    assert preview.legend == {
        "type": "features",
        "features": FEATURE_COLOUR,
        "boundary": BOUNDARY_COLOUR,
    }
    # Framed on the boundary (-3.3, 4.7, 1.2, 11.2) plus 2% of its longest side.
    assert (preview.width, preview.height) == (361, 512)
    transform = from_bounds(-3.43, 4.57, 1.33, 11.33, 361, 512)
    image = pixels(preview)
    assert at(image, *rowcol(transform, -1.0, 8.0)) == rgba(FEATURE_COLOUR)
    row, col = rowcol(transform, 0.5, 6.0)
    assert at(image, row, col) == at(image, row, col + 1) == rgba(FEATURE_COLOUR)
    assert at(image, *rowcol(transform, -2.5, 10.0)) == rgba(BOUNDARY_COLOUR)
    assert at(image, *rowcol(transform, -3.3, 6.0)) == rgba(OUTLINE_COLOUR)
    assert at(image, 0, 0) == CLEAR
    assert int((image[..., :3] == rgba(FEATURE_COLOUR)[:3]).all(axis=-1).sum()) < 300


def test_across_the_antimeridian_features_are_drawn_in_the_contiguous_frame(
    tmp_path: Path,
) -> None:
    fiji = MultiPolygon([box(177.0, -19.0, 180.0, -16.0), box(-180.0, -17.0, -179.0, -16.0)])
    output = write_geopackage(tmp_path, VECTOR, [Point(-179.5, -16.5), Point(178.0, -18.0)])
    preview = render_vector(output.path, fiji)
    assert (preview.width, preview.height) == (512, 389)
    transform = from_bounds(176.92, -19.08, 181.08, -15.92, 512, 389)
    image = pixels(preview)
    assert at(image, *rowcol(transform, 180.5, -16.5)) == rgba(FEATURE_COLOUR)
    assert at(image, *rowcol(transform, 178.0, -18.0)) == rgba(FEATURE_COLOUR)
    assert at(image, *rowcol(transform, 180.5, -18.0)) == CLEAR


def test_unreadable_or_other_files_get_no_preview(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    with caplog.at_level(logging.WARNING, logger="autopkg.packaging.preview"):
        assert render_preview(broken, TIFF, GHANA.geometry) is None
        assert render_preview(broken, GPKG, GHANA.geometry) is None
    assert render_preview(table, "text/csv", GHANA.geometry) is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "no preview of broken.tif",
        "no preview of broken.tif",
    ]


def test_a_large_raster_without_overviews_is_not_decoded_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(preview_module, "MAX_DECODED_CELLS", 300 * 200)
    values = np.ones((1, 400, 1200), dtype=np.uint8)
    output = geotiff(tmp_path, RASTER, values)
    with caplog.at_level(logging.WARNING, logger="autopkg.packaging.preview"):
        assert render_preview(output.path, TIFF, GHANA.geometry) is None
    assert caplog.records[0].getMessage() == (
        f"no preview of {output.path.name}: 1200x400 cells without a suitable overview "
        "(480000 cells to decode, more than 60000)"
    )
    with rasterio.open(output.path, "r+") as raster:
        raster.build_overviews([2, 4], Resampling.nearest)
    # The 600 x 200 overview is the one read for a 512 wide preview.
    monkeypatch.setattr(preview_module, "MAX_DECODED_CELLS", 600 * 200)
    preview = render_preview(output.path, TIFF, GHANA.geometry)
    assert preview is not None
    assert (preview.width, preview.height) == (512, 171)
