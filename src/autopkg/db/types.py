"""Column types that work on SQLite (plain WKB) and PostGIS (typed geometry)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class MultiPolygonType(TypeDecorator[BaseGeometry]):
    """A WGS84 MultiPolygon: ``geometry(MULTIPOLYGON, 4326)`` on PostGIS, WKB elsewhere."""

    impl = LargeBinary
    cache_ok = True
    # GeoAlchemy2's PostgreSQL table events read these from the column type to add the
    # GiST index; without them the lookup falls through to the blob implementation.
    spatial_index = True
    use_N_D_index = False
    use_typmod = None

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        """Use PostGIS's geometry type on PostgreSQL and a blob anywhere else.

        GeoAlchemy2's PostgreSQL table events call this with no dialect only to ask
        whether the column is a raster; a blob answers that correctly.
        """
        if dialect is None:
            return LargeBinary()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        """Serialise a shapely geometry for the database."""
        if value is None:
            return None
        wkb = shapely.to_wkb(value)
        if dialect.name == "postgresql":
            return WKBElement(wkb, srid=4326)
        return wkb

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        """Turn the stored value back into a shapely geometry."""
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        return shapely.from_wkb(bytes(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC everywhere and returned timezone-aware.

    SQLite keeps no offset, so normalising on the way in keeps string comparisons in
    SQL (lease expiry) correct on both databases.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC."""
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach the UTC offset again."""
        return value.replace(tzinfo=UTC) if value is not None else None
