"""Typed GeoJSON for areas arriving in requests (custom areas, boundary uploads).

The models are geojson-pydantic's with stricter positions: every coordinate must be a
JSON number (a string such as ``"1.5"`` is refused, not converted), finite, and a
WGS84 longitude/latitude within ±180/±90. Validating a request therefore refuses bad
coordinates before any geometry is built, and the schema documents it in OpenAPI.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import geojson_pydantic
from pydantic import (
    AfterValidator,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from autopkg.errors import UnprocessableError

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]


def _lon_lat(position: list[float]) -> list[float]:
    longitude, latitude = position[0], position[1]
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        raise ValueError(
            f"[{longitude}, {latitude}] is not a WGS84 longitude/latitude within ±180/±90"
        )
    return position


#: ``[longitude, latitude]`` or ``[longitude, latitude, altitude]`` (altitude is dropped).
Position = Annotated[
    list[Number],
    Field(
        min_length=2,
        max_length=3,
        description="[longitude, latitude(, altitude)]: WGS84 degrees within ±180/±90",
    ),
    AfterValidator(_lon_lat),
]


def _closed(ring: list[list[float]]) -> list[list[float]]:
    # Checked here, before geojson-pydantic's own check, to say what a ring must be in
    # words rather than as a list length.
    if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
        raise PydanticCustomError(
            "ring_not_closed",
            "a ring must be closed: at least 4 positions, the last the same as the first "
            "(this one has {count}{ending})",
            {"count": len(ring), "ending": "" if len(ring) < 4 else ", ending elsewhere"},
        )
    return ring


Ring = Annotated[
    list[Position],
    Field(description="A closed ring: at least 4 positions, the last the same as the first."),
    AfterValidator(_closed),
]
Rings = Annotated[list[Ring], Field(min_length=1)]


class PolygonGeometry(geojson_pydantic.Polygon):
    """A GeoJSON Polygon in WGS84: an exterior ring, then any holes, each closed."""

    # Stricter than geojson-pydantic's positions (which accept "1.5" and NaN).
    coordinates: Rings  # type: ignore[assignment]


class MultiPolygonGeometry(geojson_pydantic.MultiPolygon):
    """A GeoJSON MultiPolygon in WGS84."""

    coordinates: list[Rings]  # type: ignore[assignment]


AreaGeometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]
#: Geometries enclosing no area are accepted here so that an upload reports their
#: features as rejected rows instead of refusing the whole collection.
AnyGeometry = Annotated[
    Union[  # a forward reference (the collection, which nests) cannot join a | union
        PolygonGeometry,
        MultiPolygonGeometry,
        geojson_pydantic.Point,
        geojson_pydantic.MultiPoint,
        geojson_pydantic.LineString,
        geojson_pydantic.MultiLineString,
        "GeometryCollectionGeometry",
    ],
    Field(discriminator="type"),
]


class GeometryCollectionGeometry(geojson_pydantic.GeometryCollection):
    """A GeoJSON GeometryCollection whose polygons are validated like any others."""

    geometries: list[AnyGeometry]  # type: ignore[assignment]


GeometryCollectionGeometry.model_rebuild()


class AreaFeature(geojson_pydantic.Feature[AreaGeometry, dict[str, Any]]):
    """A GeoJSON Feature whose geometry is a (Multi)Polygon."""


class AreaFeatureCollection(geojson_pydantic.FeatureCollection[AreaFeature]):
    """A GeoJSON FeatureCollection of (Multi)Polygon features, taken together as one area."""


class UploadFeature(geojson_pydantic.Feature[AnyGeometry, dict[str, Any]]):
    """A boundary to upload: its properties name it; a geometry without area is rejected."""


class UploadFeatureCollection(geojson_pydantic.FeatureCollection[UploadFeature]):
    """A GeoJSON FeatureCollection of boundaries to add or replace."""


#: A custom area: a (Multi)Polygon, a Feature of one, or a FeatureCollection of them.
Area = Annotated[
    PolygonGeometry | MultiPolygonGeometry | AreaFeature | AreaFeatureCollection,
    Field(discriminator="type"),
]
_AREA = TypeAdapter[Any](Area)


def parse_area(value: object) -> Any:
    """Validate a custom area given as plain JSON data (the OGC execute inputs).

    Returns:
        The typed area (one of the members of :data:`Area`).

    Raises:
        UnprocessableError: the value is not a polygonal GeoJSON area with valid
            coordinates (the message names the first problems).
    """
    try:
        return _AREA.validate_python(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:3]
        )
        raise UnprocessableError(f"boundary: {problems}") from None


def polygons_of(area: Any) -> list[Rings]:
    """Return the rings of every polygon in ``area``, a member of :data:`Area` or an upload
    feature's geometry (``None`` and non-polygonal geometries give no polygons).

    GeometryCollections are flattened, however deeply nested, so that every limit
    counts the polygons inside them like any others.
    """
    if isinstance(area, PolygonGeometry):
        return [area.coordinates]
    if isinstance(area, MultiPolygonGeometry):
        return list(area.coordinates)
    if isinstance(area, geojson_pydantic.GeometryCollection):
        return [rings for member in area.geometries for rings in polygons_of(member)]
    if isinstance(area, geojson_pydantic.Feature):
        return polygons_of(area.geometry)
    if isinstance(area, geojson_pydantic.FeatureCollection):
        return [rings for feature in area.features for rings in polygons_of(feature)]
    return []
