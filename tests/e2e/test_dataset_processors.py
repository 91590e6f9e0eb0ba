"""Dataset processors through a real server, for a boundary across the antimeridian."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import ServeProcess
from tests.fixtures.manifests import stored_data
from tests.fixtures.stac import validate_stac

pytestmark = pytest.mark.slow

#: Files each processor publishes for Fiji: Mollweide rasters come in two sides. STORM
#: is left out to keep the run short: its files take ISIMIP's path through publishing.
FILES_FOR_FIJI = {
    "natural_earth_vector.version_1": 1,
    "jrc_ghsl_population.r2022_epoch2020_1km": 2,
    "gridfinder.version_1": 4,
    "isimp_drought.version_1": 245,
}


@pytest.fixture(scope="module")
def fiji(server: ServeProcess) -> dict[str, Any]:
    """Run every dataset processor for Fiji; return the finished job."""
    response = server.post(
        "/v1/jobs", json={"boundary_name": "fji", "processors": list(FILES_FOR_FIJI)}
    )
    assert response.status_code == 202, response.text
    return server.wait_for_job(response.json()["job_id"], timeout=240)


def test_every_processor_succeeds_and_publishes_its_files(
    fiji: dict[str, Any], server: ServeProcess
) -> None:
    states = {p["processor_name"]: p["job_status"] for p in fiji["job_group_processors"]}
    assert states == dict.fromkeys(FILES_FOR_FIJI, "SUCCESS"), fiji
    manifest = server.get("/packages/fji/datapackage.json").json()
    counts = Counter(resource["autopkg:processor"] for resource in stored_data(manifest))
    assert counts == FILES_FOR_FIJI
    estimated = {
        p["processor_name"]: p["job_estimate"]["files"] for p in fiji["job_group_processors"]
    }
    assert estimated == FILES_FOR_FIJI
    paths = [resource["path"] for resource in stored_data(manifest)]
    assert (
        "datasets/jrc_ghsl_population/r2022_epoch2020_1km/data/"
        "jrc_ghsl_population-r2022_epoch2020_1km-west-fji.tif"
    ) in paths
    longest = max(paths, key=len).rsplit("/", 1)[-1]
    assert longest.startswith("isimp_drought-version_1-lange2020_") and len(longest) > 140
    for resource in stored_data(manifest):
        assert resource["hash"].startswith("sha256:") and resource["bytes"] > 0
        expected = ("gpkg", "application/geopackage+sqlite3")
        if resource["path"].endswith(".tif"):
            expected = ("tif", "image/tiff; application=geotiff; profile=cloud-optimized")
        assert (resource["format"], resource["mediatype"]) == expected


def test_manifest_validates_and_pages_name_the_crs(
    fiji: dict[str, Any], server: ServeProcess
) -> None:
    manifest = server.data_dir / "packages" / "fji" / "datapackage.json"
    frictionless = Path(sys.executable).with_name("frictionless")
    checked = subprocess.run(
        [str(frictionless), "validate", str(manifest)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    page = server.get("/packages/fji/datasets/jrc_ghsl_population/r2022_epoch2020_1km/index.html")
    assert page.status_code == 200 and "ESRI:54009" in page.text


def test_every_file_records_its_crs_and_the_catalogue_is_valid_stac(
    fiji: dict[str, Any], server: ServeProcess
) -> None:
    manifest = server.get("/packages/fji/datapackage.json").json()
    crs = Counter(
        (resource["autopkg:processor"], resource["autopkg:crs"])
        for resource in stored_data(manifest)
    )
    assert crs == {
        ("natural_earth_vector.version_1", "EPSG:4326"): 1,
        ("jrc_ghsl_population.r2022_epoch2020_1km", "ESRI:54009"): 2,
        ("gridfinder.version_1", "EPSG:4326"): 2,
        ("gridfinder.version_1", "ESRI:54009"): 2,
        ("isimp_drought.version_1", "EPSG:4326"): 245,
    }
    collection = server.get("/packages/fji/stac/collection.json").json()
    validate_stac(collection)
    hrefs = [link["href"] for link in collection["links"] if link["rel"] == "item"]
    assert len(hrefs) == len(FILES_FOR_FIJI)
    for href in hrefs:
        item = server.get(f"/packages/fji/stac/{href.removeprefix('./')}").json()
        validate_stac(item)
        data = [a for a in item["assets"].values() if a["roles"] == ["data"]]
        assert len(data) == FILES_FOR_FIJI[item["id"]]
