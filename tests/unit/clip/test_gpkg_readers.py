"""GeoPackages the clip engine writes open in older GDALs (and so QGIS) without a warning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shapely.geometry import MultiPolygon

from autopkg.clip import clip_vector
from tests.fixtures.gdal_cli import ogrinfo_messages

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


def test_clipped_geopackages_are_version_1_2(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    for iso3 in ("GHA", "FJI"):
        output = tmp_path / f"{iso3}.gpkg"
        assert clip_vector(lines_gpkg, countries[iso3], output).features > 0
        with sqlite3.connect(output) as db:
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            user_version = db.execute("PRAGMA user_version").fetchone()[0]
        assert (application_id, user_version) == (GPKG_APPLICATION_ID, 10200)
        # Debian's GDAL 3.6 warned on every GeoPackage 1.4 the wheels' GDAL wrote.
        assert ogrinfo_messages(output) == ""


def test_the_older_gdal_does_warn_on_version_1_4(
    lines_gpkg: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    # The check above can fail: the same file stamped 1.4 makes Debian's GDAL warn.
    output = tmp_path / "gha.gpkg"
    clip_vector(lines_gpkg, countries["GHA"], output)
    with sqlite3.connect(output) as db:
        db.execute("PRAGMA user_version = 10400")
    assert "may only be partially supported" in ogrinfo_messages(output)
