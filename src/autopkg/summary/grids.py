"""Reading a raster window by window inside an area, within a bounded block budget.

Every statistic of a grid is a sum over its cells whose centre lies inside the area
(the rule the clip uses), so a raster is read in strips of whole block rows, each at
most ``window_cells`` cells (:data:`WINDOW_CELLS` unless told), and only over the rows
and columns of the area's bounds. Geographic grids clipped across ±180° run past 180°
(the clip shifts western parts by 360°), so areas are tested against the parts shifted
by ±360° too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from rasterio.features import geometry_mask
from rasterio.windows import Window, from_bounds
from shapely import affinity
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import boundary_in_crs

#: Cells read at once from one raster by default: 2²¹ (8 MiB of float32, and the cell
#: centres' coordinates beside them).
WINDOW_CELLS = 2**21
_EQUAL_AREA = CRS.from_epsg(6933)
_WGS84 = CRS.from_epsg(4326)


@dataclass
class ReadCounter:
    """How many windows were read from each raster (the benchmark reports it)."""

    windows: dict[str, int] = field(default_factory=dict)

    def add(self, path: str) -> None:
        """Count one window read from ``path``."""
        self.windows[path] = self.windows.get(path, 0) + 1


@dataclass(frozen=True)
class Block:
    """One window of a raster: values, where they hold data, where they count, cell areas.

    ``valid``: not NoData (nor NaN); ``inside``: valid and centred inside the area.
    """

    window: Window
    values: NDArray[Any]
    valid: NDArray[np.bool_]
    inside: NDArray[np.bool_]
    cell_km2: NDArray[np.float64]

    def centres(self, transform: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Coordinates (in the raster's CRS) of the centres of the cells ``inside``."""
        rows, cols = np.nonzero(self.inside)
        rows = rows + self.window.row_off + 0.5
        cols = cols + self.window.col_off + 0.5
        a, b, c, d, e, f = transform[:6]
        return a * cols + b * rows + c, d * cols + e * rows + f


@dataclass(frozen=True)
class Strips:
    """The windows a raster is read in over an area: whole block rows, within the budget."""

    shape: BaseGeometry
    crs: CRS
    windows: tuple[Window, ...]


def area_in_grid(area: MultiPolygon, crs: CRS) -> BaseGeometry:
    """The area in a raster's CRS; in a geographic CRS with copies shifted by ±360°."""
    if crs.is_geographic:
        parts = list(area.geoms)
        shifted = [affinity.translate(p, xoff=dx) for dx in (-360.0, 360.0) for p in parts]
        return MultiPolygon(parts + shifted)
    return boundary_in_crs(area, crs)


def strips(
    dataset: Any,
    area: MultiPolygon,
    within: tuple[int, int, int, int] | None = None,
    window_cells: int = WINDOW_CELLS,
) -> Strips:
    """The strips of ``dataset`` over the area's bounds (and ``within`` rows and columns
    ``(r0, r1, c0, c1)``, when given), each at most ``window_cells`` cells (or one block
    row, when a block row is more)."""
    crs = CRS.from_user_input(dataset.crs)
    shape = area_in_grid(area, crs)
    bounds = _covered(dataset, shape)
    if bounds is not None and within is not None:
        bounds = (
            max(bounds[0], within[0]),
            min(bounds[1], within[1]),
            max(bounds[2], within[2]),
            min(bounds[3], within[3]),
        )
    if bounds is None or bounds[1] <= bounds[0] or bounds[3] <= bounds[2]:
        return Strips(shape, crs, ())
    row0, row1, col0, col1 = bounds
    block_rows = dataset.block_shapes[0][0] if dataset.block_shapes else 1
    width = col1 - col0
    strip = max(block_rows, (window_cells // max(width, 1)) // block_rows * block_rows)
    return Strips(
        shape,
        crs,
        tuple(Window(col0, top, width, min(strip, row1 - top)) for top in range(row0, row1, strip)),
    )


@dataclass(frozen=True)
class Frame:
    """What a window of a grid is, whatever file on the grid is read there: which cells
    are centred inside the area, and each row's cell area (km², a column)."""

    in_area: NDArray[np.bool_]
    cell_km2: NDArray[np.float64]

    @classmethod
    def of(cls, dataset: Any, window: Window, layout: Strips) -> Frame:
        """The frame of ``window`` (one of ``layout``'s) on the grid of ``dataset``."""
        shape = (int(window.height), int(window.width))
        outside = geometry_mask(
            [layout.shape], out_shape=shape, transform=dataset.window_transform(window)
        )
        return cls(~outside, row_areas_km2(dataset, window, layout.crs))


def read_block(
    dataset: Any,
    window: Window,
    layout: Strips,
    counter: ReadCounter | None = None,
    frame: Frame | None = None,
) -> Block:
    """Read one window of band 1 of ``dataset`` (one of ``layout``'s).

    ``frame``: the window's frame when already known (files on one grid share it).
    """
    values = dataset.read(1, window=window)
    if counter is not None:
        counter.add(dataset.name)
    valid = np.ones(values.shape, dtype=bool)
    if dataset.nodata is not None:
        valid &= values != dataset.nodata
    if np.issubdtype(values.dtype, np.floating):
        valid &= np.isfinite(values)
    frame = frame or Frame.of(dataset, window, layout)
    return Block(window, values, valid, valid & frame.in_area, frame.cell_km2)


def blocks(
    dataset: Any,
    area: MultiPolygon,
    counter: ReadCounter | None = None,
    window_cells: int = WINDOW_CELLS,
) -> Iterator[Block]:
    """Yield the windows of band 1 of ``dataset`` that meet ``area``, strip by strip
    (each at most ``window_cells`` cells, as :func:`strips` cuts them).

    Cells whose value is NoData (or NaN) or whose centre is outside the area are not
    ``inside``. Cell areas are exact for geographic grids (each row's cells measured on
    an equal-area projection of the ellipsoid) and the grid's own cell size otherwise
    (exact for an equal-area CRS such as Mollweide).
    """
    layout = strips(dataset, area, window_cells=window_cells)
    for window in layout.windows:
        yield read_block(dataset, window, layout, counter)


def row_areas_km2(dataset: Any, window: Window, crs: CRS) -> NDArray[np.float64]:
    """The area of one cell of each row of ``window``, as a column to broadcast (km²)."""
    a, _, _, _, e, f = dataset.transform[:6]
    if not crs.is_geographic:
        return np.full((int(window.height), 1), abs(a * e) / 1e6)
    edges = f + e * (window.row_off + np.arange(int(window.height) + 1))
    to_equal_area = Transformer.from_crs(_WGS84, _EQUAL_AREA, always_xy=True)
    _, y = to_equal_area.transform(np.zeros_like(edges), np.clip(edges, -90, 90))
    x0, _ = to_equal_area.transform(0.0, 0.0)
    x1, _ = to_equal_area.transform(abs(a), 0.0)
    areas: NDArray[np.float64] = np.abs(np.diff(np.asarray(y, dtype=np.float64)))
    column: NDArray[np.float64] = (areas * (abs(x1 - x0) / 1e6)).reshape(-1, 1)
    return column


def _covered(dataset: Any, shape: BaseGeometry) -> tuple[int, int, int, int] | None:
    """Rows and columns ``(r0, r1, c0, c1)`` of the raster inside the shape's bounds."""
    if shape.is_empty:
        return None
    left, bottom, right, top = shapely.bounds(shape).tolist()
    window = from_bounds(left, bottom, right, top, transform=dataset.transform)
    row0 = max(0, int(np.floor(window.row_off)))
    col0 = max(0, int(np.floor(window.col_off)))
    row1 = min(dataset.height, int(np.ceil(window.row_off + window.height)))
    col1 = min(dataset.width, int(np.ceil(window.col_off + window.width)))
    if row1 <= row0 or col1 <= col0:
        return None
    return row0, row1, col0, col1


def open_raster(path: str) -> Any:
    """Open a raster for reading (a rasterio dataset)."""
    return rasterio.open(path)
