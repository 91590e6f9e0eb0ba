"""The Natural Earth 1:50m admin-0 boundaries shipped with autopkg."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, Point

from autopkg.boundaries.builtin import builtin_boundaries, get_builtin
from autopkg.errors import NotFoundError
from autopkg.slugs import is_slug


def test_every_country_is_a_valid_multipolygon_with_a_unique_slug() -> None:
    boundaries = builtin_boundaries()
    assert len(boundaries) == 242
    names = [b.name for b in boundaries]
    assert names == sorted(set(names))
    assert all(is_slug(name) and len(name) == 3 for name in names)
    for boundary in boundaries:
        assert isinstance(boundary.geometry, MultiPolygon), boundary.name
        assert boundary.geometry.is_valid and not boundary.geometry.is_empty, boundary.name
        assert boundary.admin_level == 0
        west, south, east, north = boundary.geometry.bounds
        assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90, boundary.name


@pytest.mark.parametrize(
    ("name", "long_name", "point"),
    [
        ("gha", "Ghana", (-1.0, 7.9)),
        ("fra", "France", (2.35, 48.85)),
        ("nor", "Norway", (10.75, 59.91)),
        ("fji", "Fiji", (178.0, -17.8)),
        ("kos", "Kosovo", (21.17, 42.66)),
        ("gbr", "United Kingdom", (-0.13, 51.5)),
    ],
)
def test_known_countries(name: str, long_name: str, point: tuple[float, float]) -> None:
    boundary = get_builtin(name)
    assert boundary.name_long == long_name
    assert boundary.geometry.contains(Point(*point))


def test_fiji_spans_the_antimeridian_as_parts() -> None:
    fiji = get_builtin("fji").geometry
    assert fiji.bounds[0] == -180.0 and fiji.bounds[2] == 180.0
    assert all(part.bounds[2] - part.bounds[0] < 5 for part in fiji.geoms)


def test_no_iso_code_falls_back_to_adm0() -> None:
    names = {b.name for b in builtin_boundaries()}
    assert {"fra", "nor", "kos", "sol", "cyn"} <= names
    assert "-99" not in names


def test_unknown_name_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="'atlantis'"):
        get_builtin("atlantis")


def test_loading_is_cached() -> None:
    first, second = builtin_boundaries(), builtin_boundaries()
    assert first == second and first is not second
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert get_builtin("gha") is next(b for b in first if b.name == "gha")
