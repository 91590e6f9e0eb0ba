"""The boundary value: a named area, shared by the database, processors and the clip engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import MultiPolygon


@dataclass(frozen=True)
class Boundary:
    """A named area: slug ``name``, English ``name_long`` and a WGS84 MultiPolygon.

    ``alt_names`` are other names people search for it by (formal or former names,
    other spellings, codes); they are searched, never shown. ``parent`` is the id of
    the unit that holds it (a country for an admin-1 unit), ``codes`` its codes in
    other registers (``iso3166_2``, ``geoboundaries_shape_id``…) and ``edition`` where
    its geometry came from (source, release, licence, the file's sha256); all three
    are empty for areas people drew or uploaded. ``admin_level`` is 0 for a country,
    1 or 2 for the units below it and ``None`` for areas without one (drawn, uploaded,
    buffered).
    """

    name: str
    name_long: str
    admin_level: int | None
    geometry: MultiPolygon
    alt_names: tuple[str, ...] = ()
    parent: str | None = None
    codes: dict[str, str] = field(default_factory=dict, hash=False)
    edition: dict[str, str] = field(default_factory=dict, hash=False)


#: The administrative levels a boundary may have: countries and the two below them.
ADMIN_LEVELS = (0, 1, 2)


def admin_level_of(value: Any) -> int | None:
    """The level ``value`` (``2``, ``"2"``, ``" 2 "``) names, or ``None`` for anything else.

    Files and old packages write levels as text, and an empty text for none.
    """
    text = str(value).strip() if value is not None else ""
    return int(text) if text in {str(level) for level in ADMIN_LEVELS} else None
