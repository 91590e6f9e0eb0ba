"""Where a published file lies: its CRS and, for a raster, its grid, read from the file.

What is read is recorded on the file's resource in ``datapackage.json`` (``autopkg:crs``,
``autopkg:grid``) and is what the STAC Item of the dataset states (projection and
raster extensions). It is read from the written file itself, never taken from what a
processor says, so the record cannot disagree with the bytes it describes.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import rasterio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from autopkg.domain.outputs import GPKG_MEDIATYPE
from autopkg.packaging.manifest import Band, Grid, Resource

logger = logging.getLogger(__name__)

#: The lowest pyproj identification confidence taken as "this CRS is that code":
#: an authority node in the file gives 100, a definition equal to the code's 90 or more;
#: below that the match is only approximate, and the CRS is written out in full instead.
MIN_CONFIDENCE = 90


@dataclass(frozen=True)
class Georef:
    """A file's CRS (see :func:`crs_text`) and, for a raster, its grid."""

    crs: str
    grid: Grid | None = None

    def on(self, resource: Resource) -> Resource:
        """Return ``resource`` recording this CRS and grid."""
        return resource.model_copy(update={"crs": self.crs, "grid": self.grid})


def read_georef(path: Path, mediatype: str) -> Georef | None:
    """Read the CRS (and the grid of a GeoTIFF) of a written GeoTIFF or GeoPackage.

    Returns:
        ``None`` for other media types, and for a file that cannot be read or has no
        CRS (logged): nothing is recorded rather than something untrue.
    """
    try:
        if _is_raster(mediatype):
            return _raster_georef(path)
        if mediatype == GPKG_MEDIATYPE:
            wkt = pyogrio.read_info(path)["crs"]
            return Georef(crs=crs_text(CRS.from_user_input(wkt))) if wkt else None
    except (RasterioError, DataSourceError, DataLayerError, CRSError) as exc:
        logger.warning("cannot read the CRS of %s: %s", path.name, exc)
    return None


def has_georef(mediatype: str) -> bool:
    """Whether files of ``mediatype`` are read by :func:`read_georef` (GeoTIFF, GeoPackage)."""
    return _is_raster(mediatype) or mediatype == GPKG_MEDIATYPE


def _is_raster(mediatype: str) -> bool:
    return mediatype.startswith("image/tiff")


def crs_text(crs: CRS) -> str:
    """Return ``AUTHORITY:CODE`` (``EPSG:4326``, ``ESRI:54009``) when ``crs`` has one.

    Otherwise the CRS as WKT2 (2019), which still says exactly what it is and which
    GDAL, PROJ and QGIS read as they read a code.
    """
    authority = crs.to_authority(min_confidence=MIN_CONFIDENCE)
    return ":".join(authority) if authority else crs.to_wkt()


def _raster_georef(path: Path) -> Georef | None:
    with warnings.catch_warnings():
        # A raster without georeferencing is reported by its missing CRS instead.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as dataset:
            if dataset.crs is None:
                return None
            crs = CRS.from_user_input(dataset.crs)
            bands = tuple(
                Band(data_type=dtype, nodata=None if nodata is None else _number(nodata))
                for dtype, nodata in zip(dataset.dtypes, dataset.nodatavals, strict=True)
            )
            a, b, c, d, e, f = tuple(dataset.transform)[:6]
            grid = Grid(
                shape=(dataset.height, dataset.width), transform=(a, b, c, d, e, f), bands=bands
            )
    return Georef(crs=crs_text(crs), grid=grid)


def _number(value: float) -> float | int | str:
    """Return a nodata value as JSON allows it: integral floats as ints, NaN as ``"nan"``."""
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return int(value) if float(value).is_integer() else float(value)
