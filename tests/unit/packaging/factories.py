"""Metadata, boundaries and output files for the packaging tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.transform import from_bounds
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.outputs import OutputFile

CC_BY = License(
    name="CC-BY-4.0",
    path="https://creativecommons.org/licenses/by/4.0/",
    title="Creative Commons Attribution 4.0",
)
ODBL = License(
    name="ODbL-1.0",
    path="https://opendatacommons.org/licenses/odbl/1-0/",
    title="Open Data Commons Open Database License 1.0",
)
GHANA = Boundary("gha", "Ghana", 0, MultiPolygon([box(-3.3, 4.7, 1.2, 11.2)]))
TIFF = "image/tiff; application=geotiff"
GPKG = "application/geopackage+sqlite3"


def make_metadata(
    name: str, version: str = "version_1", license: License = CC_BY, summary: str = ""
) -> Metadata:
    """Metadata of a made-up processor ``name.version``."""
    return Metadata(
        name=name,
        version=version,
        description=f"{name} clipped to the boundary",
        data_author="Test Author",
        data_title=f"{name.title()} Data",
        data_title_long=f"The {name} global dataset",
        data_summary=summary or f"Summary of **{name}**.",
        data_citation=f"Author, T. ({version}) {name}. https://example.org/{name}",
        data_license=license,
        data_origin_url=f"https://example.org/{name}",
        data_formats=("GeoTIFF",),
    )


def write_output(
    folder: Path,
    metadata: Metadata,
    content: bytes,
    *,
    sub: str | None = None,
    ext: str = "tif",
    boundary: Boundary = GHANA,
) -> OutputFile:
    """Write ``content`` to a correctly named output file in ``folder``."""
    parts = [metadata.name, metadata.version, *([sub] if sub else []), boundary.name]
    path = folder / f"{'-'.join(parts)}.{ext}"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if ext == "tif":
        return OutputFile(path=path, format="GeoTIFF", mediatype=TIFF)
    return OutputFile(path=path, format="GeoPackage", mediatype=GPKG)


def sha256(data: bytes) -> str:
    """The manifest form of a hash."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def output_name(metadata: Metadata, sub: str | None, ext: str, boundary: Boundary = GHANA) -> str:
    """The file name a processor gives an output."""
    return "-".join([metadata.name, metadata.version, *([sub] if sub else []), boundary.name]) + (
        f".{ext}"
    )


def write_geotiff(
    folder: Path,
    metadata: Metadata,
    bands: np.ndarray,
    *,
    sub: str | None = None,
    nodata: float | None = None,
    bounds: tuple[float, float, float, float] = (-3.3, 4.7, 1.2, 11.2),
    rgb: bool = False,
) -> OutputFile:
    """Write ``bands`` (bands, rows, columns) as a tiled GeoTIFF in EPSG:4326."""
    count, height, width = bands.shape
    path = folder / output_name(metadata, sub, "tif")
    folder.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype=bands.dtype,
        crs="EPSG:4326",
        transform=from_bounds(*bounds, width, height),
        nodata=nodata,
        **({"photometric": "RGB"} if rgb else {}),
    ) as out:
        out.write(bands)
    return OutputFile(path=path, format="GeoTIFF", mediatype=TIFF)


def write_geopackage(
    folder: Path, metadata: Metadata, geometries: list[BaseGeometry], *, sub: str | None = None
) -> OutputFile:
    """Write ``geometries`` (EPSG:4326) as one GeoPackage layer without attributes."""
    path = folder / output_name(metadata, sub, "gpkg")
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {g.geom_type for g in geometries}
    pyogrio.raw.write(
        path,
        geometry=np.array(shapely.to_wkb(geometries), dtype=object),
        field_data=[],
        fields=[],
        crs="EPSG:4326",
        driver="GPKG",
        geometry_type=kinds.pop() if len(kinds) == 1 else "Unknown",
    )
    return OutputFile(path=path, format="GeoPackage", mediatype=GPKG)
