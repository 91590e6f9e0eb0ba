"""Boundary look-ups and loading, in one transaction each."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from autopkg.boundaries import simplify
from autopkg.boundaries.custom import polygons_geometry
from autopkg.boundaries.geojson import Rings, UploadFeature, UploadFeatureCollection, polygons_of
from autopkg.boundaries.limits import RepairBudget, check_area, check_counts
from autopkg.boundaries.loader import LoadReport, read_boundaries, validate_rows
from autopkg.db import boundaries as boundary_repo
from autopkg.domain.boundary import Boundary
from autopkg.errors import InvalidInputError, NotFoundError, UnprocessableError
from autopkg.runtime import Runtime
from autopkg.services import admin_units
from autopkg.slugs import canonical_name, is_slug

# A name is shown on pages and maps, and a NUL would cut it short in C libraries (GDAL).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def list_boundaries(rt: Runtime, *, include_custom: bool = False) -> list[tuple[str, str]]:
    """``(name, name_long)`` of every boundary, by accent-free long name.

    Custom areas are listed only with ``include_custom``.
    """
    with rt.database.read_session() as session:
        return boundary_repo.list_names(session, include_custom=include_custom)


def get_boundary(rt: Runtime, name: str) -> Boundary:
    """Return one boundary (the name is case-insensitive: ``GHA`` is ``gha``).

    A unit id (``ken-nairobi``) of a country whose admin units were never loaded
    loads them first.

    Raises:
        NotFoundError: no boundary has this name.
        SourceUnavailableError: the units had to be loaded and could not be fetched.
    """
    found = None
    name = canonical_name(name)
    if is_slug(name):
        found = _stored(rt, name)
        if found is None and admin_units.load_unit_on_demand(rt, name):
            found = _stored(rt, name)
    if found is None:
        raise NotFoundError(f"unknown boundary: {name[:80]!r}")
    return found


def _stored(rt: Runtime, name: str) -> Boundary | None:
    with rt.database.read_session() as session:
        return boundary_repo.get(session, name=name)


def boundaries_version(rt: Runtime, *, include_custom: bool = True) -> int:
    """A number every process sees change as soon as a boundary write commits.

    Without ``include_custom``, writes of custom areas alone leave it unchanged.
    """
    with rt.database.read_connection() as connection:
        return boundary_repo.version(connection, include_custom=include_custom)


@dataclass(frozen=True)
class MapLayer:
    """Every listed boundary, simplified, as GeoJSON bytes (plain and gzipped)."""

    etag: str
    body: bytes
    gzipped: bytes


# The last layer built, by database and the listed boundaries' version: building it
# takes about half a second, so it is rebuilt only when a boundary other than a custom
# area was written. The database is part of the key because a process may hold more
# than one runtime (the tests, a CLI beside a server), whose counters can agree.
_layers: dict[tuple[str, int], MapLayer] = {}
_layers_lock = threading.Lock()


def map_layer(rt: Runtime) -> MapLayer:
    """The simplified boundaries for a map, rebuilt only when the boundaries changed."""
    with rt.database.read_session() as session:
        # Read before the boundaries: a write committed in between makes the layer
        # newer than its key, never older, and the next request rebuilds it.
        key = (rt.database.url, boundary_repo.version(session, include_custom=False))
        with _layers_lock:
            if key not in _layers:
                body = simplify.feature_collection(boundary_repo.listed_boundaries(session))
                etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
                _layers.clear()
                _layers[key] = MapLayer(etag=etag, body=body, gzipped=simplify.gzipped(body))
            return _layers[key]


def boundary_children(rt: Runtime, name: str) -> list[boundary_repo.Found]:
    """The units a boundary holds (next level).

    Raises:
        NotFoundError: no boundary has this name.
        SourceUnavailableError: its country's units could not be fetched.
    """
    return admin_units.children(rt, get_boundary(rt, name))


def simplified_boundary(rt: Runtime, name: str) -> dict[str, Any]:
    """One boundary (custom areas too) as a simplified GeoJSON Feature.

    Raises:
        NotFoundError: no boundary has this name.
    """
    return simplify.feature(get_boundary(rt, name))


def search_boundaries(
    rt: Runtime,
    *,
    name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    include_custom: bool = False,
    admin_level: int | None = None,
) -> list[boundary_repo.Found]:
    """Search by name (case- and accent-insensitive, alternative names too) or by a point.

    Custom areas are left out unless ``include_custom``; with ``admin_level``, only
    boundaries of that level are found.

    Raises:
        InvalidInputError: neither a name nor a complete coordinate pair was given.
    """
    with rt.database.read_session() as session:
        if name is not None and name.strip():
            return boundary_repo.search_by_name(
                session, text=name.strip(), include_custom=include_custom, admin_level=admin_level
            )
        if latitude is not None and longitude is not None:
            return boundary_repo.search_by_point(
                session,
                longitude=longitude,
                latitude=latitude,
                include_custom=include_custom,
                admin_level=admin_level,
            )
    raise InvalidInputError("search needs name=… or both latitude=… and longitude=…")


def load_boundary_file(
    rt: Runtime, path: Path, *, name_column: str, long_name_column: str
) -> LoadReport:
    """Read, validate and upsert boundaries from a file; return what was kept and rejected."""
    report = read_boundaries(path, name_column=name_column, long_name_column=long_name_column)
    with rt.database.session() as session:
        boundary_repo.upsert(session, report.boundaries)
    return report


def upload_boundaries(
    rt: Runtime, collection: UploadFeatureCollection, *, name_column: str, long_name_column: str
) -> LoadReport:
    """Validate, repair and upsert the features of an uploaded GeoJSON FeatureCollection.

    Rows are validated as ``autopkg boundaries load`` validates a file's, within the
    area limits: parts, rings and vertices of all features together (collections
    flattened) before any geometry is built, the repair of invalid geometries bounded
    by ``AUTOPKG_MAX_REPAIR_VERTICES``, then the area of what was kept.

    Raises:
        LimitExceededError: the features together have too many parts, rings or
            vertices, or too large an area.
        UnprocessableError: a name holds a control character, or no feature was
            accepted (the message gives the first rejections).
        InvalidInputError: no feature has a property the columns name.
    """
    limits = rt.area_limits
    features = collection.features
    polygons = [polygons_of(feature) for feature in features]
    check_counts([rings for found in polygons for rings in found], limits)
    properties = [feature.properties or {} for feature in features]
    for column in dict.fromkeys((name_column, long_name_column)):
        _require_property(properties, column)
    for row, values in enumerate(properties, start=1):
        for column in (name_column, long_name_column):
            value = values.get(column)
            if isinstance(value, str) and _CONTROL.search(value):
                raise UnprocessableError(
                    f"feature {row}: property {column!r} contains a control character"
                )
    rows = [
        (values.get(name_column), values.get(long_name_column), None, _geometry(feature, found))
        for feature, values, found in zip(features, properties, polygons, strict=True)
    ]
    report = validate_rows(rows, repair_budget=RepairBudget(limits.max_repair_vertices))
    check_area([boundary.geometry for boundary in report.boundaries], limits)
    if not report.boundaries:
        reasons = "; ".join(f"row {row}: {reason}" for row, reason in report.rejected[:5])
        raise UnprocessableError(f"no boundary loaded: {reasons or 'the collection is empty'}")
    with rt.database.session() as session:
        boundary_repo.upsert(session, report.boundaries)
    return report


def _require_property(properties: list[dict[str, Any]], column: str) -> None:
    if properties and not any(column in values for values in properties):
        found = sorted({key for values in properties for key in values})
        raise InvalidInputError(
            f"no feature has a property {column[:100]!r}; the features' properties: "
            + (", ".join(found[:50]) or "none")
        )


def _geometry(feature: UploadFeature, polygons: list[Rings]) -> BaseGeometry | None:
    """The feature's polygons as one geometry; a non-polygonal one as an empty shape of
    its type, which the row validation refuses by that type."""
    if polygons:
        return polygons_geometry(polygons)
    if feature.geometry is None:
        return None
    return shapely.from_wkt(f"{feature.geometry.type.upper()} EMPTY")
