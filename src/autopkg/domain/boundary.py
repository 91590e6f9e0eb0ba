"""The boundary value: a named area, shared by the database, processors and the clip engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import MultiPolygon


@dataclass(frozen=True)
class Boundary:
    """A named area: slug ``name``, English ``name_long`` and a WGS84 MultiPolygon.

    ``alt_names`` are other names people search for it by (formal or former names,
    other spellings, codes); they are searched, never shown. ``parent`` is the id of
    the unit that holds it (a country for an admin-1 unit), ``codes`` its codes in
    other registers (``iso3166_2``, ``geoboundaries_shape_id``…) and ``edition`` where
    its geometry came from (source, release, licence, the file's sha256); all three
    are empty for areas people drew or uploaded.
    """

    name: str
    name_long: str
    admin_level: str
    geometry: MultiPolygon
    alt_names: tuple[str, ...] = ()
    parent: str | None = None
    codes: dict[str, str] = field(default_factory=dict, hash=False)
    edition: dict[str, str] = field(default_factory=dict, hash=False)
