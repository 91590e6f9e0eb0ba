"""Pixel comparison of two clips of the same source, whatever their windows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray


@dataclass(frozen=True)
class Comparison:
    """How two clips agree: pixels holding data in both, and pixels that differ."""

    with_data: int
    differing: int


def _offset(clip: rasterio.io.DatasetReader, source: rasterio.io.DatasetReader) -> tuple[int, int]:
    """Source (row, column) of the clip's top-left pixel."""
    col, row = ~source.transform * (clip.transform.c, clip.transform.f)
    return round(row), round(col)


def _differs(a: NDArray[np.generic], b: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Element-wise inequality where NaN equals NaN."""
    unequal: NDArray[np.bool_] = a != b
    if a.dtype.kind == "f":
        unequal &= ~(np.isnan(a) & np.isnan(b))
    return unequal


def _is_nodata(values: NDArray[np.generic], nodata: float) -> NDArray[np.bool_]:
    if np.isnan(nodata):
        missing: NDArray[np.bool_] = np.isnan(values)
        return missing
    result: NDArray[np.bool_] = values == nodata
    return result


def compare(ours: Path, theirs: Path, source: Path) -> Comparison:
    """Compare two single-band clips of ``source`` pixel by pixel on the source grid.

    Pixels both cover must be equal; pixels only one covers must be nodata (0 when a
    file declares none, which is what gdalwarp fills with). Global geographic sources
    wrap in longitude, so Fiji's clip running past 180° lines up with GDAL's 360° one.
    """
    with rasterio.open(source) as src, rasterio.open(ours) as a, rasterio.open(theirs) as b:
        period = round(360 / src.transform.a) if src.crs.is_geographic else None
        (a_row, a_col), (b_row, b_col) = _offset(a, src), _offset(b, src)
        data_a, data_b = a.read(1), b.read(1)
        fill_a = 0 if a.nodata is None else a.nodata
        fill_b = 0 if b.nodata is None else b.nodata
    rows = b_row - a_row + np.arange(data_b.shape[0])
    cols = b_col - a_col + np.arange(data_b.shape[1])
    if period is not None:
        cols %= period
    row_in = (rows >= 0) & (rows < data_a.shape[0])
    col_in = (cols >= 0) & (cols < data_a.shape[1])
    shared_b = data_b[np.ix_(row_in, col_in)]
    shared_a = data_a[np.ix_(rows[row_in], cols[col_in])]
    differing = int(_differs(shared_a, shared_b).sum())
    covered = np.zeros(data_a.shape, dtype=bool)
    covered[np.ix_(rows[row_in], cols[col_in])] = True
    differing += int((~_is_nodata(data_a[~covered], fill_a)).sum())
    outside_b = ~np.outer(row_in, col_in)
    differing += int((~_is_nodata(data_b[outside_b], fill_b)).sum())
    with_data = int((~_is_nodata(shared_a, fill_a)).sum())
    return Comparison(with_data=with_data, differing=differing)
