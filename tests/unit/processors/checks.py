"""Checks shared by the processor tests: clipped pixels against a generator's values or a mask."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.features import geometry_mask
from rasterio.windows import Window, from_bounds
from shapely.geometry.base import BaseGeometry

Values = Callable[[np.ndarray, np.ndarray], np.ndarray]


def check_clipped_pixels(
    path: Path,
    boundary: BaseGeometry,
    value: Values,
    source: Affine,
    *,
    nodata: float,
    tolerance: float = 1e-9,
    period: int | None = None,
) -> int:
    """Compare a clipped raster with the generator's values; return the pixels inside.

    The output grid must be ``source`` shifted by whole pixels. A pixel whose centre is
    inside ``boundary`` (lon/lat) by more than ``tolerance`` degrees must hold
    ``value(row, col)`` of its source pixel; one outside by more than that is nodata.
    Centres are taken back to lon/lat from the file's CRS. ``period`` is the number of
    source columns per 360° of a geographic grid (columns past its east edge wrap).
    """
    with rasterio.open(path) as out:
        data = out.read(1)
        ot, crs = out.transform, out.crs
        assert out.nodata == nodata or (np.isnan(out.nodata) and np.isnan(nodata))
    assert (ot.a, ot.e) == (source.a, source.e)
    col_shift, row_shift = (ot.c - source.c) / source.a, (ot.f - source.f) / source.e
    assert abs(col_shift - round(col_shift)) < 1e-6 and abs(row_shift - round(row_shift)) < 1e-6
    rows, cols = np.indices(data.shape)
    xs, ys = ot.c + (cols + 0.5) * ot.a, ot.f + (rows + 0.5) * ot.e
    if crs.is_geographic:
        lon, lat = (xs + 180) % 360 - 180, ys
    else:
        back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon, lat = back.transform(xs, ys)
    inner = shapely.contains_xy(boundary.buffer(-tolerance), lon, lat)
    outer = shapely.contains_xy(boundary.buffer(tolerance), lon, lat)
    src_rows, src_cols = rows + round(row_shift), cols + round(col_shift)
    if period is not None:
        src_cols = src_cols % period
    expected = value(src_rows[inner], src_cols[inner])
    np.testing.assert_array_equal(data[inner], expected)
    outside = data[~outer]
    assert (np.isnan(outside) if np.isnan(nodata) else outside == nodata).all()
    return int(inner.sum())


def check_against_mask(output: Path, source: str | Path, boundary: BaseGeometry) -> int:
    """Compare a clipped raster with a mask of ``source`` made here; return the pixels inside.

    The reference is computed independently of the clip engine: the boundary (lon/lat)
    is densified to 0.1° and projected into the source's CRS with pyproj, and rasterio
    rasterises it over the output's window of the source (a pixel is inside when its
    centre is). The output must be a window of the source's grid (its CRS, pixel size,
    type and bands, a whole-pixel offset) holding the source's pixels inside and its
    NoData elsewhere, and no source pixel inside the boundary may lie outside the window.
    An output with nothing inside (no overlap) must be all NoData.
    """
    with rasterio.open(source) as src, rasterio.open(output) as out:
        got, fill = out.read(), out.nodata
        local = _in_crs(boundary, src.crs)
        reach = _inside(local, src, _bounds_window(local, src))
        assert fill is not None
        if not reach:
            assert _is_fill(got, fill).all()
            return 0
        assert CRS.from_user_input(out.crs) == CRS.from_user_input(src.crs)
        assert (out.dtypes, out.count) == (src.dtypes, src.count)
        ot, st = out.transform, src.transform
        assert (ot.a, ot.b, ot.d, ot.e) == (st.a, st.b, st.d, st.e)
        col, row = ~st @ (ot.c, ot.f)
        assert abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6
        window = Window(round(col), round(row), out.width, out.height)
        expected = src.read(window=window)
        inside = geometry_mask(
            [local], out_shape=(out.height, out.width), transform=ot, invert=True
        )
    np.testing.assert_array_equal(got[:, inside], expected[:, inside])
    assert _is_fill(got[:, ~inside], fill).all()
    assert int(inside.sum()) == reach, "source pixels inside the boundary were left out"
    return int(inside.sum())


def _in_crs(boundary: BaseGeometry, crs: object) -> BaseGeometry:
    target = CRS.from_user_input(crs)
    if target.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return boundary
    to_crs = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    dense = shapely.segmentize(boundary, 0.1)
    return shapely.transform(
        dense, lambda xy: np.column_stack(to_crs.transform(xy[:, 0], xy[:, 1]))
    )


def _bounds_window(local: BaseGeometry, src: rasterio.DatasetReader) -> Window:
    """The source's pixels under the boundary's bounding box (one pixel of margin)."""
    west, south, east, north = local.bounds
    box = from_bounds(west, south, east, north, transform=src.transform)
    col0, row0 = math.floor(box.col_off) - 1, math.floor(box.row_off) - 1
    col1 = math.ceil(box.col_off + box.width) + 1
    row1 = math.ceil(box.row_off + box.height) + 1
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, src.width), min(row1, src.height)
    return Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))


def _inside(local: BaseGeometry, src: rasterio.DatasetReader, window: Window) -> int:
    """How many source pixels of ``window`` have their centre inside ``local``."""
    if window.width == 0 or window.height == 0:
        return 0
    mask = geometry_mask(
        [local],
        out_shape=(int(window.height), int(window.width)),
        transform=src.window_transform(window),
        invert=True,
    )
    return int(mask.sum())


def _is_fill(values: np.ndarray, fill: float) -> np.ndarray:
    filled: np.ndarray = np.isnan(values) if np.isnan(fill) else values == fill
    return filled
