"""The output grid of a raster clip: a window of the source grid, wrapping in longitude.

A clip never resamples: its output pixels are source pixels. The output grid is the
smallest window of source rows and columns whose pixel centres can fall inside the
boundary. For sources in geographic coordinates whose columns divide 360° exactly the
column axis is treated as periodic, so a window may run past the source's east edge
and continue at its west edge: Fiji is clipped into one ~3° wide grid from 177°E to
180.2°E rather than a 360° one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from affine import Affine
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon

from autopkg.clip.geometry import antimeridian_parts
from autopkg.errors import ClipError

#: How far from a whole number of columns per 360° a geographic grid may be and still be
#: treated as periodic (relative to one column).
_PERIOD_TOLERANCE = 1e-6


@dataclass(frozen=True)
class OutputGrid:
    """Where the clipped raster sits in the source grid.

    ``row_off`` is the source row of output row 0 and ``col_off`` the (possibly
    negative, or past the east edge) source column of output column 0. ``period`` is the
    number of source columns per 360° when the column axis wraps, else ``None``.
    ``boundary`` is the boundary in output coordinates (parts shifted by ±360°).
    """

    row_off: int
    col_off: int
    width: int
    height: int
    transform: Affine
    period: int | None
    boundary: MultiPolygon

    def source_runs(self, start: int, stop: int, src_width: int) -> Iterator[tuple[int, int, int]]:
        """Yield ``(output_column, source_column, count)`` runs for output columns start..stop.

        Each run maps ``count`` consecutive output columns onto consecutive source
        columns; a run ends where the grid wraps at 360°. Output columns with no source
        pixel (past the edge of a regional source) are in no run: they stay nodata.
        """
        column = start
        while column < stop:
            source = self.col_off + column
            if self.period is not None:
                source %= self.period
            run_end = stop
            if self.period is not None:
                run_end = min(stop, column + self.period - source)
            if source < 0:
                column = min(run_end, column - source)
                continue
            if source >= src_width:
                column = run_end
                continue
            run_end = min(run_end, column + src_width - source)
            yield column, source, run_end - column
            column = run_end


def plan_grid(
    boundary: MultiPolygon,
    transform: Affine,
    width: int,
    height: int,
    *,
    geographic: bool,
) -> OutputGrid | None:
    """Return the output grid for ``boundary`` (in the source CRS), or ``None`` if empty.

    ``None`` means no source pixel centre can lie inside the boundary: the boundary is
    outside the source, or smaller than a pixel.

    Raises:
        ClipError: the source grid is rotated or not north-up.
    """
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        raise ClipError("only north-up, unrotated raster grids can be clipped")
    period = _period(transform, width) if geographic else None
    if period is not None:
        placed = [affinity.translate(p, xoff=shift) for p, shift in antimeridian_parts(boundary)]
    else:
        placed = list(boundary.geoms)
    windows = []
    for part in placed:
        window = _centre_window(part, transform)
        if window is None:
            continue
        rows = max(0, window[0]), min(height, window[1])
        cols = _covered_columns(window[2], window[3], width, period)
        if rows[0] < rows[1] and cols is not None:
            windows.append((*rows, *cols))
    if not windows:
        return None
    row_start = min(w[0] for w in windows)
    row_stop = max(w[1] for w in windows)
    col_start = min(w[2] for w in windows)
    col_stop = max(w[3] for w in windows)
    if period is not None:
        col_stop = min(col_stop, col_start + period)
    return OutputGrid(
        row_off=row_start,
        col_off=col_start,
        width=col_stop - col_start,
        height=row_stop - row_start,
        transform=transform @ Affine.translation(col_start, row_start),
        period=period,
        boundary=MultiPolygon(placed),
    )


def wraps(transform: Affine, width: int, *, geographic: bool) -> bool:
    """Whether a grid's columns go round the globe, so that one clip may cross ±180°."""
    return geographic and _period(transform, width) is not None


def _period(transform: Affine, width: int) -> int | None:
    """Columns per 360° if a geographic grid tiles the globe exactly, else ``None``."""
    columns = 360.0 / transform.a
    period = round(columns)
    if period < width or abs(columns - period) > _PERIOD_TOLERANCE:
        return None
    return period


def _covered_columns(
    start: int, stop: int, width: int, period: int | None
) -> tuple[int, int] | None:
    """Narrow columns ``start..stop`` to those holding source pixels (``None``: none).

    On a periodic grid the source's columns repeat every ``period`` columns, so the span
    may cover the source several times over or fall in the gap a regional source leaves.
    """
    if period is None:
        spans = [(max(0, start), min(width, stop))]
    else:
        turns = range(math.floor(start / period), math.floor((stop - 1) / period) + 1)
        spans = [(max(start, t * period), min(stop, t * period + width)) for t in turns]
    spans = [(lo, hi) for lo, hi in spans if lo < hi]
    if not spans:
        return None
    return min(lo for lo, _ in spans), max(hi for _, hi in spans)


def _centre_window(part: Polygon, transform: Affine) -> tuple[int, int, int, int] | None:
    """Rows and columns ``(r0, r1, c0, c1)`` whose pixel centres lie in the part's bounds."""
    west, south, east, north = part.bounds
    col_start = math.ceil((west - transform.c) / transform.a - 0.5)
    col_stop = math.floor((east - transform.c) / transform.a - 0.5) + 1
    row_start = math.ceil((north - transform.f) / transform.e - 0.5)
    row_stop = math.floor((south - transform.f) / transform.e - 0.5) + 1
    if col_start >= col_stop or row_start >= row_stop:
        return None
    return row_start, row_stop, col_start, col_stop
