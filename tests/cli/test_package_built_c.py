"""``autopkg package`` with GHS-BUILT-C over both stand-in variants: each publishes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasterio
import shapely

from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    PRODUCTS,
    tile_source,
)
from tests.cli.test_commands import autopkg
from tests.fixtures.manifests import stored_data
from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_tiles import (
    DOCUMENTED,
    DRIFTED,
    TileVariant,
    equator_area,
    make_built_c_tiles,
)

BUILT_C = "jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun"


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both variants served over HTTP, by variant name."""
    documented = make_built_c_tiles(tmp_path_factory.mktemp("documented"), [equator_area()])
    drifted = make_built_c_tiles(tmp_path_factory.mktemp("drifted"), [], DRIFTED)
    with serve_directory(documented) as one, serve_directory(drifted) as other:
        yield {DOCUMENTED.name: one, DRIFTED.name: other}


@pytest.mark.parametrize(
    ("variant", "boundary"), [(DOCUMENTED, "equator"), (DRIFTED, "fji")], ids=["documented", "fji"]
)
def test_both_variants_publish(
    mirrors: dict[str, str], tmp_path: Path, variant: TileVariant, boundary: str
) -> None:
    env = {
        **os.environ,
        "AUTOPKG_DATA_DIR": str(tmp_path / "data"),
        "AUTOPKG_SOURCE_MIRROR": mirrors[variant.name],
        "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
        "AUTOPKG_LOG_LEVEL": "WARNING",
    }
    if boundary == "equator":
        area = tmp_path / "equator.geojson"
        feature = {
            "type": "Feature",
            "properties": {"code": "equator", "label": "Wide last column"},
            "geometry": shapely.geometry.mapping(equator_area().geometry),
        }
        area.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        loaded = autopkg(
            env, "boundaries", "load", str(area), "--name-column", "code",
            "--long-name-column", "label",
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr

    built = autopkg(env, "package", boundary, "-p", BUILT_C)

    assert built.returncode == 0, built.stdout + built.stderr
    assert autopkg(env, "packages", "validate", boundary).returncode == 0
    package = tmp_path / "data" / "packages" / boundary
    manifest = json.loads((package / "datapackage.json").read_text())
    sides = 2 if boundary == "fji" else 1
    assert len(stored_data(manifest)) == len(PRODUCTS) * sides
    for resource in stored_data(manifest):
        grid = resource["autopkg:grid"]
        assert grid["transform"][0] == variant.pixel
        assert grid["bands"] == [{"data_type": variant.dtype, "nodata": variant.nodata}]
        with rasterio.open(package / resource["path"]) as out:
            assert (out.read(1) != out.nodata).any()
    provenance = json.loads((package / "provenance.json").read_text())
    sources = provenance["processors"][BUILT_C]["sources"]
    missing = sorted(s["filename"] for s in sources if "missing" in s)
    if boundary == "fji":
        assert missing == sorted(tile_source(p, "R11_C1").filename for p in PRODUCTS)
        assert (
            "WARNING" in built.stderr and "differ from what the processor assumed" in built.stderr
        )
    else:
        assert missing == [] and "differ from" not in built.stderr
    # Both need the wide last column: Fiji's east side, and the area past 1000 km in it.
    wide = tile_source("MSZ", "R12_C36" if boundary == "fji" else "R10_C36").filename
    assert any(s["filename"] == wide and s["size"] > 0 for s in sources)
