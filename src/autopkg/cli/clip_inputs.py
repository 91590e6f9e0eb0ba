"""What ``autopkg clip`` checks before any work: the source's kind, the output's
format, the layer and the boundary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from rasterio.errors import RasterioError
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import repair
from autopkg.errors import ClipError, InvalidInputError, NotFoundError

RASTER_SUFFIXES = (".tif", ".tiff")
VECTOR_SUFFIXES = {".gpkg": "GPKG", ".parquet": "GeoParquet", ".geoparquet": "GeoParquet"}


def detect_format(src: Path) -> str:
    """Return ``raster`` or ``vector`` for what GDAL recognises ``src`` as.

    Raises:
        ClipError: ``src`` is missing, or GDAL reads it as neither.
    """
    if not src.exists():
        raise ClipError(f"no such file: {src}")
    try:
        with rasterio.open(src):
            return "raster"
    except RasterioError:
        pass
    try:
        pyogrio.list_layers(src)
    except (DataSourceError, DataLayerError):
        raise ClipError(f"{src} is neither a raster nor a vector file GDAL can read") from None
    return "vector"


def check_raster_output(output: Path) -> None:
    """Refuse an output name that says anything but GeoTIFF: a raster becomes a COG.

    Raises:
        InvalidInputError: the suffix is not ``.tif`` or ``.tiff``.
    """
    if output.suffix.lower() not in RASTER_SUFFIXES:
        raise InvalidInputError(
            f"a raster is written as a Cloud Optimized GeoTIFF: --output must end in .tif "
            f"or .tiff, not {output.name!r}"
        )


def vector_driver(output: Path) -> str:
    """The vector output format named by the output's suffix: GeoPackage or GeoParquet.

    Raises:
        InvalidInputError: any other suffix (``.tif`` included).
    """
    suffix = output.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        return VECTOR_SUFFIXES[suffix]
    raise InvalidInputError(
        f"a vector layer is written as GeoPackage or GeoParquet: --output must end in .gpkg "
        f"or .parquet, not {output.name!r}"
    )


def pick_layer(src: Path, layer: str | None) -> tuple[str, list[str]]:
    """Return the layer to clip (``layer``, else the first) and every layer of ``src``.

    Raises:
        InvalidInputError: ``src`` has no layer called ``layer`` (the message lists them).
        ClipError: GDAL cannot read ``src`` as a vector file.
    """
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(src)]
    except (DataSourceError, DataLayerError) as exc:
        raise ClipError(f"cannot read vector file {src}: {exc}") from None
    if layer is None:
        return layers[0], layers
    if layer not in layers:
        listed = ", ".join(layers)
        raise InvalidInputError(f"no layer {layer!r} in {src.name}; its layers: {listed}")
    return layer, layers


def boundary_geometry(boundary: str, loaded: Callable[[str], BaseGeometry]) -> BaseGeometry:
    """Resolve ``--boundary``: inline GeoJSON, a vector file, else a loaded boundary's name.

    Inline GeoJSON is a Polygon, MultiPolygon, Feature or FeatureCollection in WGS84. A
    file's features are merged into one boundary, reprojected to EPSG:4326 when it
    declares another CRS. ``loaded`` looks a name up among the loaded boundaries.

    Raises:
        UnprocessableError: inline GeoJSON that is not a polygonal area.
        InvalidInputError: inline text that is not JSON.
        ClipError: the file cannot be read or holds no polygon.
        NotFoundError: neither a file nor a loaded boundary of that name.
    """
    text = boundary.strip()
    if text.startswith("{"):
        # The request models load only for inline GeoJSON: a file or a name needs none.
        from autopkg.boundaries.custom import area_geometry
        from autopkg.boundaries.geojson import parse_area

        return repair(area_geometry(parse_area(_json(text))))
    path = Path(boundary)
    if path.is_file():
        return _file_geometry(path)
    try:
        return loaded(text)
    except NotFoundError:
        raise NotFoundError(
            f"--boundary {text[:80]!r} is neither a loaded boundary (see autopkg boundaries "
            "list), a file, nor inline GeoJSON"
        ) from None


def _json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        raise InvalidInputError(f"--boundary is not valid JSON: {exc}") from None


def _file_geometry(path: Path) -> BaseGeometry:
    try:
        meta, _, wkb, _ = pyogrio.raw.read(path, columns=[])
    except (DataSourceError, DataLayerError) as exc:
        raise ClipError(f"cannot read boundary file {path}: {exc}") from None
    geometries = shapely.from_wkb(wkb)
    geometries = geometries[~shapely.is_missing(geometries)]
    if meta["crs"] is not None:
        geometries = shapely.transform(geometries, _to_lon_lat(CRS.from_user_input(meta["crs"])))
    return repair(shapely.union_all(geometries))


def _to_lon_lat(crs: CRS) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """A coordinate function for ``shapely.transform`` from ``crs`` to EPSG:4326."""
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return project
