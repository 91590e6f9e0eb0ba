"""How GeoPackages are written, so that the GIS people use read them without a warning."""

from __future__ import annotations

#: GeoPackage 1.2, the version GDAL up to 3.6 writes itself. GDAL 3.7 and later (the
#: wheels' GDAL) write 1.4 by default, and GDAL 3.6 (Debian 12) and QGIS 3.22 warn on
#: every such file that they do not know its version. Nothing we write needs 1.3 or
#: 1.4 (1.4 adds coordinate epochs for dynamic CRSs; our CRSs are static), so 1.2 is
#: written for the widest reach.
GPKG_VERSION = "1.2"


def dataset_options(driver: str) -> dict[str, str] | None:
    """Return GDAL's dataset creation options for writing ``driver`` (``None``: none)."""
    return {"VERSION": GPKG_VERSION} if driver.upper() == "GPKG" else None
