"""Checks shared by the processor tests: clipped pixels against a generator's values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer
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
