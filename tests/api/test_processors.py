"""Processor routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

METADATA_KEYS = {
    "name",
    "description",
    "version",
    "status",
    "uri",
    "data_author",
    "data_title",
    "data_title_long",
    "data_summary",
    "data_citation",
    "data_license",
    "data_origin_url",
    "data_formats",
}


def test_processor_list_has_the_delivered_processors(client: TestClient) -> None:
    body = client.get("/v1/processors").json()
    ids = {version["name"] for item in body for version in item["versions"]}
    assert {
        "natural_earth_raster.version_1",
        "wri_powerplants.version_130",
        "test_processor.version_1",
        "test_fail_processor.version_1",
    } <= ids
    for item in body:
        for version in item["versions"]:
            # The ancestor's keys, and those added beside them: the options' schema and
            # the group the web page lists the dataset under.
            assert set(version) == METADATA_KEYS | {"options_schema", "data_group"}
            assert version["name"] == f"{item['name']}.{version['version']}"
            assert set(version["data_license"]) == {"name", "path", "title"}


def test_processor_and_version_detail(client: TestClient) -> None:
    body = client.get("/v1/processors/wri_powerplants").json()
    assert body["name"] == "wri_powerplants"
    assert [v["version"] for v in body["versions"]] == ["version_130"]
    version = client.get("/v1/processors/wri_powerplants/version_130").json()
    assert version["data_license"]["name"] == "CC-BY-4.0"
    assert version["uri"].endswith("/v1/processors/wri_powerplants/version_130")
    assert client.get(version["uri"]).json() == version


def test_unknown_processor_is_404(client: TestClient) -> None:
    for path in (
        "/v1/processors/nope",
        "/v1/processors/wri_powerplants/version_999",
        "/v1/processors/..%2Fetc",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "unknown processor" in response.json()["detail"]


def test_every_delivered_dataset_is_in_a_group(client: TestClient) -> None:
    groups = {
        version["name"]: version["data_group"]
        for item in client.get("/v1/processors").json()
        for version in item["versions"]
    }
    assert groups["wri_aqueduct.version_2"] == "hazards"
    assert groups["jrc_ghsl_population.r2022_epoch2020_1km"] == "exposure"
    assert groups["wri_powerplants.version_130"] == "infrastructure"
    assert groups["natural_earth_raster.version_1"] == "basemap"
    # Only test processors are left ungrouped.
    assert {pid for pid, group in groups.items() if group == "other"} == {
        "test_processor.version_1",
        "test_fail_processor.version_1",
    }
