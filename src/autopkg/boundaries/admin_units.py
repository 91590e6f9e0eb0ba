"""Admin-1 and admin-2 units as boundaries: ids, parents, codes and repaired geometries.

Ids are slugs under the country, ``<iso3>-<admin-1 name>`` and
``<iso3>-<admin-1 name>-<admin-2 name>`` (accents folded to ASCII, ``-`` for runs of
anything else), so they survive releases in which the publisher's own ``shapeID``
changes. Names that clash get ``-2``, ``-3``… in ``shapeID`` order. An admin-2 unit's
parent is the admin-1 unit holding most of its area (publishers' levels rarely nest
exactly along the borders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPolygon

from autopkg.boundaries.geoboundaries import Release, Unit
from autopkg.boundaries.loader import to_multipolygon
from autopkg.boundaries.search import fold
from autopkg.domain.boundary import Boundary

_MAX_ID = 63
_OTHER = re.compile(r"[^a-z0-9]+")
_ISO_3166_2 = re.compile(r"^(?P<country>[A-Z]{2})-[A-Z0-9]{1,3}$")


@dataclass
class UnitsReport:
    """The units made into boundaries, and those skipped with the reason (per level)."""

    boundaries: list[Boundary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def slug(name: str) -> str:
    """``name`` as an id part: ASCII-folded, lowercase, ``-`` between words."""
    ascii_name = fold(name).encode("ascii", "ignore").decode()
    return _OTHER.sub("-", ascii_name).strip("-") or "unit"


def build_units(country: Boundary, releases: list[Release]) -> UnitsReport:
    """Make the units of ``releases`` (admin-1 first) boundaries under ``country``.

    A unit whose geometry cannot be repaired into an area is skipped and reported.
    """
    report = UnitsReport()
    taken: set[str] = set()
    level_1: list[Boundary] = []
    for release in sorted(releases, key=lambda r: r.level):
        repaired: list[tuple[Unit, MultiPolygon]] = []
        for unit in sorted(release.units, key=lambda u: u.shape_id):
            geometry = to_multipolygon(unit.geometry)
            if geometry is None:
                report.skipped.append(
                    f"ADM{release.level} {unit.name!r} (shapeID {unit.shape_id}): its "
                    "geometry is empty or cannot be repaired into an area"
                )
                continue
            repaired.append((unit, geometry))
        parents = (
            [country.name] * len(repaired)
            if release.level == 1
            else _parents(country, level_1, [geometry for _, geometry in repaired])
        )
        made = [
            Boundary(
                name=_unique_id(f"{parent}-{slug(unit.name)}", taken),
                name_long=unit.name or unit.shape_id,
                admin_level=release.level,
                geometry=geometry,
                alt_names=tuple(c for c in (_iso_3166_2(unit, country),) if c),
                parent=parent,
                codes=_codes(unit, country, release),
                edition=release.edition,
            )
            for (unit, geometry), parent in zip(repaired, parents, strict=True)
        ]
        if release.level == 1:
            level_1 = made
        report.boundaries.extend(made)
    return report


def _parents(
    country: Boundary, level_1: list[Boundary], geometries: list[MultiPolygon]
) -> list[str]:
    """For each geometry, the admin-1 unit holding most of it (else the country)."""
    tree = shapely.STRtree([unit.geometry for unit in level_1])
    parents = []
    for geometry in geometries:
        best, best_area = country.name, 0.0
        for index in sorted(int(i) for i in tree.query(geometry, predicate="intersects")):
            area = shapely.intersection(geometry, level_1[index].geometry).area
            if area > best_area:
                best, best_area = level_1[index].name, area
        parents.append(best)
    return parents


def _unique_id(base: str, taken: set[str]) -> str:
    """``base`` (cut to fit an id), or with ``-2``, ``-3``… when already taken."""
    number = 1
    while True:
        suffix = "" if number == 1 else f"-{number}"
        candidate = base[: _MAX_ID - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        number += 1


def _iso_3166_2(unit: Unit, country: Boundary) -> str | None:
    """The unit's ISO 3166-2 code, when ``shapeISO`` is one of its country's."""
    found = _ISO_3166_2.fullmatch(unit.shape_iso.upper())
    alpha_2 = country.codes.get("iso3166_1_alpha2")
    if found is None or (alpha_2 is not None and found["country"] != alpha_2):
        return None
    return unit.shape_iso.upper()


def _codes(unit: Unit, country: Boundary, release: Release) -> dict[str, str]:
    codes = {
        "iso3166_2": _iso_3166_2(unit, country),
        "geoboundaries_shape_id": unit.shape_id,
        "geoboundaries_boundary_id": release.edition.get("boundary_id"),
    }
    return {key: value for key, value in codes.items() if value}
