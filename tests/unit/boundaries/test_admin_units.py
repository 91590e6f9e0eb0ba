"""Admin units as boundaries: slugs, clashes, long names, parents and codes."""

from __future__ import annotations

import shapely
from shapely.geometry import box

from autopkg.boundaries.admin_units import build_units, slug
from autopkg.boundaries.geoboundaries import Release, Unit
from autopkg.domain.boundary import Boundary

COUNTRY = Boundary(
    "zzz", "Zedland", 0, shapely.MultiPolygon([box(0, 0, 10, 10)]),
    codes={"iso3166_1_alpha2": "ZZ"},
)  # fmt: skip
EDITION = {"source": "geoBoundaries gbOpen", "boundary_id": "ZZZ-ADM1-1"}


def _unit(name: str, shape_id: str, geometry: shapely.Geometry, iso: str = "") -> Unit:
    return Unit(name=name, shape_iso=iso, shape_id=shape_id, geometry=geometry)


def test_slugs_fold_accents_and_runs_of_other_characters() -> None:
    assert slug("Région Côtière") == "region-cotiere"
    assert slug("Murang'a") == "murang-a"
    assert slug("  Ñuñoa / Øst  ") == "nunoa-ost"
    assert slug("北京") == "unit"


def test_clashes_are_numbered_in_shape_id_order_and_long_ids_cut_to_fit() -> None:
    long_name = "A" * 80
    level_1 = Release(
        1,
        [
            _unit("North", "9B1", box(0, 5, 5, 10), iso="ZZ-01"),
            _unit("North", "1B9", box(5, 5, 10, 10), iso="XX-02"),
            _unit(long_name, "5B5", box(0, 0, 5, 5), iso="None"),
            _unit(long_name, "6B6", box(5, 0, 10, 5)),
        ],
        EDITION,
    )
    made = {
        b.codes["geoboundaries_shape_id"]: b for b in build_units(COUNTRY, [level_1]).boundaries
    }
    assert made["1B9"].name == "zzz-north" and made["9B1"].name == "zzz-north-2"
    assert made["5B5"].name == "zzz-" + "a" * 59
    assert made["6B6"].name == "zzz-" + "a" * 57 + "-2"
    assert made["9B1"].codes["iso3166_2"] == "ZZ-01"
    assert "iso3166_2" not in made["1B9"].codes  # another country's code
    assert made["9B1"].alt_names == ("ZZ-01",)
    assert made["5B5"].name_long == long_name


def test_admin_2_parents_hold_most_of_the_unit_else_the_country() -> None:
    level_1 = Release(
        1, [_unit("West", "1", box(0, 0, 5, 10)), _unit("East", "2", box(5, 0, 10, 10))], EDITION
    )
    level_2 = Release(
        2,
        [
            _unit("Straddle", "a", box(4, 0, 7, 1)),  # mostly east
            _unit("Offshore", "b", box(20, 20, 21, 21)),
            _unit("Empty", "c", shapely.Polygon()),
        ],
        {**EDITION, "boundary_id": "ZZZ-ADM2-1"},
    )
    report = build_units(COUNTRY, [level_2, level_1])
    parents = {b.name: b.parent for b in report.boundaries if b.admin_level == 2}
    assert parents == {"zzz-east-straddle": "zzz-east", "zzz-offshore": "zzz"}
    assert len(report.skipped) == 1 and "'Empty'" in report.skipped[0]
