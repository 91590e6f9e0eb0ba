"""A GeoTIFF's header read where it is served, and how it differs from a processor's prior.

GDAL's ``/vsicurl/`` reads a remote file with byte-range requests: opening a GeoTIFF
reads its header (the first few kilobytes, and the tile index only when pixels are
read), so the grid, pixel type and NoData of a global file are known without
downloading it. A GeoTIFF inside a zip is reached the same way through ``/vsizip/``,
which reads the zip's directory at its end and then the member's first bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import url2pathname

import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioError

from autopkg.domain.facts import SourceFacts
from autopkg.errors import SourceError
from autopkg.processors.fetch import display_url


@dataclass(frozen=True)
class Header:
    """A raster's grid as its file declares it."""

    crs: str | None
    transform: Affine
    width: int
    height: int
    dtype: str
    count: int
    nodata: float | None

    def describe(self) -> str:
        """``7200x3600 px of 0.05 x 0.05 from (-180.0, 90.0), float32, NoData 255, EPSG:4326``."""
        t = self.transform
        nodata = "no NoData" if self.nodata is None else f"NoData {self.nodata:g}"
        bands = f"{self.count} bands, " if self.count != 1 else ""
        return (
            f"{self.width}x{self.height} px of {t.a:g} x {-t.e:g} from ({t.c:g}, {t.f:g}), "
            f"{bands}{self.dtype}, {nodata}, {self.crs or 'no CRS'}"
        )


def read_header(url: str, *, member: str | None = None, timeout: float) -> Header:
    """Read the header of the GeoTIFF at ``url`` (``http(s)://`` or ``file://``).

    ``member`` names the GeoTIFF inside a zip at ``url``.

    Raises:
        SourceError: the file cannot be read as a raster.
    """
    path = url2pathname(urlsplit(url).path) if url.startswith("file://") else f"/vsicurl/{url}"
    if member is not None:
        path = f"/vsizip/{path}/{member}"
    # No directory listing (one request fewer, and none a server may refuse); GDAL
    # retries rate limits and server errors itself, as the probes do.
    options = {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_HTTP_TIMEOUT": str(max(1, round(timeout))),
        "GDAL_HTTP_MAX_RETRY": "2",
        "GDAL_HTTP_RETRY_DELAY": "2",
    }
    try:
        with rasterio.Env(**options), rasterio.open(path) as src:
            crs = src.crs.to_string() if src.crs else None
            return Header(
                crs, src.transform, src.width, src.height, src.dtypes[0], src.count, src.nodata
            )
    except RasterioError as exc:
        reason = str(exc).replace(url, display_url(url))
        raise SourceError(f"not a readable GeoTIFF: {reason}") from None


def differences(header: Header, prior: SourceFacts) -> list[str]:
    """What differs between ``header`` and the grid a processor assumes, in words."""
    found = []
    expected = CRS.from_user_input(prior.crs)
    if header.crs is None or not CRS.from_user_input(header.crs).equals(expected):
        found.append(f"CRS {header.crs or 'none'} (prior {prior.crs})")
    t, p = header.transform, prior.transform
    if not (_close(t.a, p.a) and _close(t.e, p.e)) or (t.b, t.d) != (p.b, p.d):
        found.append(f"resolution {t.a:g} x {-t.e:g} (prior {p.a:g} x {-p.e:g})")
    if not (_close(t.c, p.c) and _close(t.f, p.f)):
        found.append(f"origin ({t.c:g}, {t.f:g}) (prior ({p.c:g}, {p.f:g}))")
    if (header.width, header.height) != (prior.width, prior.height):
        found.append(f"size {header.width}x{header.height} px (prior {prior.width}x{prior.height})")
    if header.dtype != prior.dtype:
        found.append(f"dtype {header.dtype} (prior {prior.dtype})")
    if header.count != prior.count:
        found.append(f"{header.count} bands (prior {prior.count})")
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
