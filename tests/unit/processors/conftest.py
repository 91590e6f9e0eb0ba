"""Fixtures of the processor tests: the stand-in source mirror and a Ghana boundary."""

from __future__ import annotations

from pathlib import Path

import pyogrio.raw
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from autopkg.domain.boundary import Boundary
from tests.fixtures.mirror import source_mirror
from tests.fixtures.sources import source_mirror_root

__all__ = ["source_mirror", "source_mirror_root"]

COUNTRIES_110M = Path(__file__).parents[2] / "fixtures" / "ne_110m_admin_0_countries.zip"


def load_country(iso3: str) -> Boundary:
    """Read one country of the Natural Earth 110m fixture as a Boundary."""
    _, _, geometries, fields = pyogrio.raw.read(
        f"/vsizip/{COUNTRIES_110M}",
        columns=["ISO_A3", "NAME_LONG"],
        where=f"ISO_A3 = '{iso3.upper()}'",
    )
    assert len(geometries) == 1, f"{iso3} is not in the fixture"
    geometry = shapely.from_wkb(geometries[0])
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    return Boundary(
        name=iso3.lower(), name_long=str(fields[1][0]), admin_level=0, geometry=geometry
    )


@pytest.fixture(scope="session")
def gha() -> Boundary:
    """Ghana, from the Natural Earth 1:110m admin-0 fixture."""
    return load_country("gha")


@pytest.fixture(scope="session", params=["gha", "bhs", "fji"])
def country(request: pytest.FixtureRequest) -> Boundary:
    """Ghana (one part), the Bahamas (three parts) and Fiji (across the antimeridian)."""
    return load_country(request.param)
