"""The boundary value object shared by the database, processors and the clip engine."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import MultiPolygon


@dataclass(frozen=True)
class Boundary:
    """A named area: slug ``name``, English ``name_long`` and a WGS84 MultiPolygon.

    ``alt_names`` are other names people search for it by (formal or former names,
    other spellings); they are searched, never shown.
    """

    name: str
    name_long: str
    admin_level: str
    geometry: MultiPolygon
    alt_names: tuple[str, ...] = ()
