"""Jobs through a real deployment: clipped pixels and plants checked from the outside.

Every test runs twice: embedded (SQLite, local folders, worker threads) and production
(PostGIS, Celery workers over Redis, S3), with the same assertions on the packages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyogrio
import pytest
import shapely
from irv_autopkg_client import Client  # type: ignore[import-untyped]  # the old client ships no types
from shapely.geometry import shape

from tests.e2e.server import ServeProcess
from tests.fixtures.gdal_cli import ogrinfo_messages
from tests.fixtures.sources import GPPD_MEMBER, assert_ne2_clip

pytestmark = pytest.mark.slow

PROCESSORS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
# An admin-1 unit too: its country's units are loaded from the geoBoundaries stand-ins
# by the job that names it.
BOUNDARIES = ["gha", "gmb", "fji", "gha-ashanti"]


@pytest.fixture(scope="module")
def server(deployed: ServeProcess) -> ServeProcess:
    """The deployment's API, in each mode."""
    return deployed


@pytest.fixture(scope="module")
def published(server: ServeProcess) -> dict[str, dict[str, object]]:
    """Submit both processors for three boundaries and wait for every job."""
    jobs = {}
    for boundary in BOUNDARIES:
        response = server.post(
            "/v1/jobs", json={"boundary_name": boundary, "processors": PROCESSORS}
        )
        assert response.status_code == 202, response.text
        jobs[boundary] = response.json()["job_id"]
    return {boundary: server.wait_for_job(job_id) for boundary, job_id in jobs.items()}


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_every_processor_succeeds(published: dict[str, dict[str, Any]], boundary: str) -> None:
    body = published[boundary]
    states = {p["processor_name"]: p["job_status"] for p in body["job_group_processors"]}
    assert states == dict.fromkeys(PROCESSORS, "SUCCESS"), body
    assert body["job_group_percent_complete"] == 100


def _download(server: ServeProcess, boundary: str, target: Path) -> dict[str, Path]:
    client = Client(base_url=server.url + "/v1/")
    assert client.server_liveness() and client.server_readiness()
    assert boundary in [item["boundary_name"] for item in client.extract_list()]
    client.extract_download(boundary, str(target), overwrite=True)
    extract = client.extract(boundary)
    files = {}
    for dataset in extract["datapackage"]["resources"]:
        folder = target / boundary / f"{dataset['name']}_{dataset['version']}"
        for url, expected_hash in zip(dataset["path"], dataset["hashes"], strict=True):
            local = folder / url.split("/")[-1]
            assert "sha256:" + hashlib.sha256(local.read_bytes()).hexdigest() == expected_hash
            files[dataset["name"]] = local
    return files


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_raster_pixels_inside_equal_source_and_outside_are_nodata(
    published: object, server: ServeProcess, tmp_path: Path, boundary: str
) -> None:
    geometry = shape(server.get(f"/v1/boundaries/{boundary}").json()["geometry"])
    tif = _download(server, boundary, tmp_path)["natural_earth_raster"]
    assert_ne2_clip(tif, geometry)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_only_plants_inside_the_boundary_are_published(
    published: object,
    server: ServeProcess,
    tmp_path: Path,
    source_mirror_root: Path,
    boundary: str,
) -> None:
    geometry = shape(server.get(f"/v1/boundaries/{boundary}").json()["geometry"])
    gpkg = _download(server, boundary, tmp_path)["wri_powerplants"]
    (zip_path,) = source_mirror_root.rglob("global_power_plant_database_v_1_3.zip")
    with zipfile.ZipFile(zip_path) as archive:
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open(GPPD_MEMBER), "utf-8")))
    lon = np.array([float(r["longitude"]) for r in rows])
    lat = np.array([float(r["latitude"]) for r in rows])
    expected = {
        r["gppd_idnr"]
        for r, hit in zip(rows, shapely.intersects_xy(geometry, lon, lat), strict=True)
        if hit
    }
    meta, _, wkb, fields = pyogrio.raw.read(gpkg)
    ids = set(fields[list(meta["fields"]).index("gppd_idnr")])
    assert ids == expected
    points = shapely.from_wkb(wkb)
    assert shapely.intersects(geometry.buffer(1e-9), points).all()
    assert "capacity_mw" in meta["fields"] and "primary_fuel" in meta["fields"]


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_manifest_validates_and_files_match(
    published: object, server: ServeProcess, boundary: str, tmp_path: Path
) -> None:
    # The stored manifest, from wherever the package is published (folder or bucket),
    # beside every file it lists, as a user would download them.
    uri = server.get(f"/v1/packages/{boundary}").json()["uri"]
    manifest = tmp_path / boundary / "datapackage.json"
    manifest.parent.mkdir()
    manifest.write_bytes(httpx.get(uri + "datapackage.json", timeout=30).content)
    # Every file: the summary's CSV is validated against its Table Schema too.
    for resource in json.loads(manifest.read_text())["resources"]:
        local = manifest.parent / resource["path"]
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(httpx.get(uri + resource["path"], timeout=30).content)
    frictionless = Path(sys.executable).with_name("frictionless")
    checked = subprocess.run(
        [str(frictionless), "validate", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Debian's GDAL 3.6 (as QGIS 3.22 users have) opens every GeoPackage without a word.
    for gpkg in sorted(manifest.parent.rglob("*.gpkg")):
        assert ogrinfo_messages(gpkg) == "", gpkg.name
    cli = subprocess.run(
        [sys.executable, "-m", "autopkg", "packages", "validate", boundary],
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert f"{boundary}: valid" in cli.stdout
    for page in ("index.html", "license.html", "version.html", "provenance.json"):
        assert httpx.get(uri + page, timeout=30).status_code == 200, page


def test_the_admin_unit_package_credits_geoboundaries(
    published: object, server: ServeProcess
) -> None:
    detail = server.get("/v1/boundaries/gha-ashanti").json()
    assert (detail["admin_level"], detail["parent"]) == (1, "gha")
    uri = server.get("/v1/packages/gha-ashanti").json()["uri"]
    manifest = httpx.get(uri + "datapackage.json", timeout=30).json()
    assert "e0231866" in manifest["sources"][0]["citation"]
    assert detail["edition"]["license"] in {lic["title"] for lic in manifest["licenses"]}
    boundary = httpx.get(uri + "boundary.geojson", timeout=30).json()
    assert boundary["features"][0]["properties"]["edition"] == detail["edition"]
    assert "geoBoundaries" in httpx.get(uri + "CITATION.cff", timeout=30).text
