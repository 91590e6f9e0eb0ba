"""Reading boundaries from GeoJSON, GeoPackage or Shapefile files (zipped or not).

Rows are validated one by one: a bad row is rejected with its reason instead of
failing the whole file. Geometries are reprojected to EPSG:4326, repaired and
normalised to MultiPolygons.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from autopkg.boundaries.custom import BUFFER_MARK, CUSTOM_PREFIX, is_reserved
from autopkg.boundaries.limits import RepairBudget
from autopkg.clip.geometry import repair
from autopkg.domain.boundary import Boundary, admin_level_of
from autopkg.errors import ClipError, InvalidInputError, LimitExceededError
from autopkg.slugs import require_slug

_WGS84 = CRS.from_epsg(4326)
_ZIPPED_FORMATS = (".shp", ".gpkg", ".geojson", ".json")
# Coordinates a hair beyond ±180/±90 come from rounding in reprojection, not bad data.
_LON_LAT_LIMITS = (-180.000001, -90.000001, 180.000001, 90.000001)
_POLYGONAL = ("Polygon", "MultiPolygon", "GeometryCollection")


@dataclass(frozen=True)
class LoadReport:
    """The boundaries read from a file and the rows rejected (1-based row, reason)."""

    boundaries: list[Boundary]
    rejected: list[tuple[int, str]]


def to_multipolygon(geometry: BaseGeometry | None) -> MultiPolygon | None:
    """Return ``geometry`` repaired and as a MultiPolygon, or ``None`` if it has no area.

    The repair is the clip engine's (:func:`autopkg.clip.geometry.repair`), so a
    boundary is stored exactly as it will be clipped.
    """
    if geometry is None or geometry.is_empty:
        return None
    try:
        return repair(geometry)
    except ClipError:
        return None


#: The longest long name a boundary may have, in characters.
MAX_LONG_NAME = 200

#: A row to validate: raw name, raw long name, raw admin level and geometry (WGS84).
Row = tuple[object, object, object, BaseGeometry | None]


def read_boundaries(
    path: Path,
    *,
    name_column: str,
    long_name_column: str,
    admin_level_column: str | None = None,
    layer: str | None = None,
) -> LoadReport:
    """Read and validate boundaries from a vector file (see :func:`validate_rows`).

    ``path`` may be GeoJSON, GeoPackage, a Shapefile, or a ``.zip`` holding exactly
    one of those. Geometries are reprojected to EPSG:4326 (a file without a CRS is
    taken as EPSG:4326); every invalid geometry is repaired (the file is local: its
    owner runs the machine).

    Raises:
        InvalidInputError: if the file is missing or unreadable, has several layers
            and no ``layer`` is given, or lacks a named column (the message lists the
            available columns).
    """
    source = _gdal_path(path)
    try:
        layer = layer or _single_layer(source, path)
        fields = [str(f) for f in pyogrio.read_info(source, layer=layer)["fields"]]
        columns = list(
            dict.fromkeys(c for c in (name_column, long_name_column, admin_level_column) if c)
        )
        for column in (name_column, long_name_column, admin_level_column):
            if column is not None and column not in fields:
                raise InvalidInputError(
                    f"column {column!r} not found in {path.name}; available columns: "
                    + ", ".join(fields)
                )
        meta, _, wkb, values = pyogrio.raw.read(source, layer=layer, columns=columns, force_2d=True)
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidInputError(f"cannot read boundaries from {path.name}: {exc}") from None
    table = dict(zip(meta["fields"], values, strict=True))
    geometries = _to_wgs84(shapely.from_wkb(wkb, on_invalid="ignore"), meta["crs"])
    levels = table[admin_level_column] if admin_level_column else [None] * len(geometries)
    return validate_rows(
        zip(table[name_column], table[long_name_column], levels, geometries, strict=True)
    )


def validate_rows(rows: Iterable[Row], *, repair_budget: RepairBudget | None = None) -> LoadReport:
    """Validate rows of boundaries, keeping the good ones and the reasons for the rest.

    Names are stripped and lowercased, then must be slugs and not reserved (see
    :func:`autopkg.boundaries.custom.is_reserved`); long names must be text of 1 to
    :data:`MAX_LONG_NAME` characters; an admin level is optional (none: empty).
    Geometries are repaired and made MultiPolygons. A row is rejected, with its
    1-based row number and reason, for a bad, reserved or missing name, a missing or
    too long long name, an empty or non-polygonal geometry, coordinates outside
    longitude/latitude range, or a name already used by an earlier row. With a
    ``repair_budget`` (requests), invalid geometries are repaired only while the budget
    lasts and later ones are rejected; without one (local files) every geometry is.
    """
    boundaries: list[Boundary] = []
    rejected: list[tuple[int, str]] = []
    first_rows: dict[str, int] = {}
    for row, (raw_name, raw_long, raw_level, geometry) in enumerate(rows, start=1):
        try:
            name = _name(raw_name)
            first = first_rows.setdefault(name, row)
            if first != row:
                raise InvalidInputError(f"duplicate name {name!r} (first used at row {first})")
            boundaries.append(
                Boundary(
                    name=name,
                    name_long=_long_name(raw_long),
                    admin_level=admin_level_of(_text(raw_level)),
                    geometry=_geometry(geometry, repair_budget),
                )
            )
        except (InvalidInputError, LimitExceededError) as exc:
            rejected.append((row, exc.message))
    return LoadReport(boundaries=boundaries, rejected=rejected)


def _gdal_path(path: Path) -> str:
    """Return the GDAL path of ``path``; a zip is opened at its single dataset inside."""
    if not path.is_file():
        raise InvalidInputError(f"boundary file not found: {path}")
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(_ZIPPED_FORMATS)]
    except zipfile.BadZipFile:
        raise InvalidInputError(f"{path.name} is not a valid zip file") from None
    if len(members) != 1:
        raise InvalidInputError(
            f"{path.name} must hold exactly one .shp, .gpkg or .geojson file, found "
            + (", ".join(members) or "none")
        )
    return f"/vsizip/{path.resolve()}/{members[0]}"


def _single_layer(source: str, path: Path) -> str:
    """Return the only layer of ``source``, refusing files with several layers."""
    layers = [str(row[0]) for row in pyogrio.list_layers(source)]
    if len(layers) != 1:
        raise InvalidInputError(
            f"{path.name} has {len(layers)} layers; choose one of: " + ", ".join(layers)
        )
    return layers[0]


def _to_wgs84(geometries: NDArray[Any], crs: str | None) -> NDArray[Any]:
    """Reproject ``geometries`` to EPSG:4326 (longitude, latitude) unless already there."""
    if crs is None or CRS.from_user_input(crs).equals(_WGS84, ignore_axis_order=True):
        return geometries
    transformer = Transformer.from_crs(CRS.from_user_input(crs), _WGS84, always_xy=True)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected: NDArray[Any] = shapely.transform(geometries, project)
    return projected


def _text(value: Any) -> str:
    """Return a cell as stripped text ('' for null); integral floats lose their '.0'."""
    if isinstance(value, dict | list):
        raise InvalidInputError("names must be text or numbers, not JSON objects or arrays")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _name(value: Any) -> str:
    """Return the lowercased name of a row, or raise with the reason it is refused."""
    name = _text(value).lower()
    if not name:
        raise InvalidInputError("missing name")
    require_slug(name, "name")
    if is_reserved(name):
        raise InvalidInputError(
            f"the name {name!r} is reserved: names starting with {CUSTOM_PREFIX!r} or "
            f"holding {BUFFER_MARK!r} are given by the service to the areas it makes"
        )
    return name


def _long_name(value: Any) -> str:
    """Return the long name of a row, or raise if it is missing."""
    long_name = _text(value)
    if not long_name:
        raise InvalidInputError("missing long name")
    if len(long_name) > MAX_LONG_NAME:
        raise InvalidInputError(
            f"a long name of {len(long_name):,} characters is over the limit of "
            f"{MAX_LONG_NAME} characters"
        )
    return long_name


def _geometry(geometry: BaseGeometry | None, budget: RepairBudget | None) -> MultiPolygon:
    """Return the repaired MultiPolygon of a row, or raise with the reason it is refused."""
    if geometry is None:
        raise InvalidInputError("the feature has no geometry")
    if geometry.geom_type not in _POLYGONAL:
        raise InvalidInputError(
            f"a {geometry.geom_type} encloses no area: a boundary is a Polygon or a MultiPolygon"
        )
    try:
        multi = repair(geometry) if budget is None else budget.repair(geometry)
    except ClipError:
        raise InvalidInputError("the geometry is empty or encloses no area") from None
    west, south, east, north = multi.bounds
    lo_x, lo_y, hi_x, hi_y = _LON_LAT_LIMITS
    if west < lo_x or south < lo_y or east > hi_x or north > hi_y:
        raise InvalidInputError(
            "coordinates outside longitude/latitude range (is the file's CRS declared?)"
        )
    return multi
