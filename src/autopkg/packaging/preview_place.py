"""Where a file's preview picture lies on a map, so a web map can lay it over the area.

A raster's preview covers exactly its grid (``autopkg:grid``, in ``autopkg:crs``); a
vector preview is framed on the boundary with a margin
(:func:`~autopkg.packaging.preview.vector_frame`). Both are given as
``[west, south, east, north]`` in WGS84 degrees, east of west even across the
antimeridian (Fiji: 177..180.2), as web maps place an image by its corners. A picture
in another CRS (Mollweide) is only approximately in place once stretched over those
corners: it is a quicklook, not the data.
"""

from __future__ import annotations

import math

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError
from shapely.geometry import MultiPolygon

from autopkg.errors import ClipError
from autopkg.packaging.manifest import Resource
from autopkg.packaging.preview import vector_frame
from autopkg.packaging.stac_item import grid_bbox

_WGS84 = CRS.from_epsg(4326)
Bounds = tuple[float, float, float, float]


def preview_bounds(resource: Resource, boundary: MultiPolygon) -> Bounds | None:
    """The WGS84 corners of ``resource``'s preview, or ``None`` when they are not known.

    ``None`` for a file without a preview or a recorded CRS, or whose extent does not
    transform to longitude and latitude.
    """
    preview, crs, grid = resource.preview, resource.crs, resource.grid
    if preview is None or crs is None:
        return None
    try:
        if preview.legend.get("type") == "features":
            _, extent, _ = vector_frame(boundary, crs)
        elif grid is not None:
            west, south, east, north = grid_bbox(
                list(grid.shape), [float(v) for v in grid.transform]
            )
            extent = (west, south, east, north)
        else:
            return None
        return _in_wgs84(extent, CRS.from_user_input(crs))
    except (ClipError, CRSError, ProjError, ValueError):
        return None


def _in_wgs84(extent: Bounds, crs: CRS) -> Bounds | None:
    if crs.equals(_WGS84, ignore_axis_order=True):
        # Kept as placed: longitudes beyond 180 are the contiguous parts of a wrap.
        return extent
    transformer = Transformer.from_crs(crs, _WGS84, always_xy=True)
    west, south, east, north = transformer.transform_bounds(*extent, densify_pts=21)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    # pyproj gives west > east for an extent across the antimeridian.
    return (west, south, east + 360.0 if east < west else east, north)
