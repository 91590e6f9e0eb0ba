"""What the web page's package view reads from ``GET /v1/packages/{b}``: empty files and
where each preview lies on a map (its WGS84 corners)."""

from __future__ import annotations

import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.io import MemoryFile
from shapely.geometry import shape

from tests.api.test_jobs import Waiter, submit

PLANTS = "wri_powerplants.version_130"


def test_a_raster_preview_lies_on_the_files_own_extent(
    client: TestClient, wait_for_job: Waiter
) -> None:
    wait_for_job(submit(client, "nam", "test_processor.version_1"))
    (file,) = client.get("/v1/packages/nam").json()["files"]
    assert file["empty"] is False
    data = client.get(file["url"]).content
    with MemoryFile(data) as memory, memory.open() as raster:
        assert raster.crs == rasterio.crs.CRS.from_epsg(4326)
        expected = list(raster.bounds)
    assert file["preview"]["bounds"] == pytest.approx(expected, abs=1e-9)


def test_an_empty_file_says_so_and_its_preview_frames_the_area(
    client: TestClient, wait_for_job: Waiter
) -> None:
    sea = {
        "type": "Polygon",
        "coordinates": [[[-26, -12], [-24, -12], [-24, -11], [-26, -11], [-26, -12]]],
    }
    job = client.post("/v1/jobs", json={"boundary": sea, "processors": [PLANTS]})
    assert job.status_code == 202, job.text
    name = wait_for_job(job.json()["job_id"])["boundary_name"]
    (file,) = client.get(f"/v1/packages/{name}").json()["files"]
    assert file["empty"] is True
    # The vector preview frames the area with a 2 % margin of its longer side.
    west, south, east, north = shape(sea).bounds
    margin = max(east - west, north - south) * 0.02
    expected = [west - margin, south - margin, east + margin, north + margin]
    assert file["preview"]["bounds"] == pytest.approx(expected, abs=1e-9)
