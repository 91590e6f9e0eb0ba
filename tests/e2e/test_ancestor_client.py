"""The ancestor's published Python client, unchanged, against a real server."""

from __future__ import annotations

from irv_autopkg_client import Client  # type: ignore[import-untyped]  # the old client ships no types
from shapely.geometry import Point, shape

from tests.e2e.server import ServeProcess


def test_every_read_of_the_client_works(server: ServeProcess) -> None:
    client = Client(base_url=server.url + "/v1/")
    assert client.server_liveness() is True
    assert client.server_readiness() is True
    names = {item["name"] for item in client.boundary_list()}
    assert {"gha", "fji", "fra"} <= names
    assert client.boundary("gha")["name_long"] == "Ghana"
    assert shape(client.boundary_geometry("gha")).contains(Point(-1.0, 7.9))
    # A long name starting with the text ranks before one merely containing it.
    assert [b["name"] for b in client.boundary_search(name="ghan")] == ["gha", "afg"]
    # The ancestor's two keys, and the level and parent the client passes through.
    assert client.boundary_search(latitude=7.9, longitude=-1.0) == [
        {"name": "gha", "name_long": "Ghana", "admin_level": 0, "parent": None}
    ]
    datasets = client.dataset_list()
    assert "wri_powerplants.version_130" in datasets
    assert "natural_earth_raster.version_1" in datasets
    plants = client.dataset("wri_powerplants.version_130")
    assert plants["data_license"]["name"] == "CC-BY-4.0"
    assert plants["version"] == "version_130"
