"""Simplified boundaries for the map: small, cached, revalidated, and never the full polygons."""

from __future__ import annotations

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from autopkg.runtime import Runtime


def test_all_boundaries_come_simplified_and_small(client: TestClient, runtime: Runtime) -> None:
    response = client.get("/v1/boundaries/simplified", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 250_000
    assert len(response.content) < 600_000
    collection = response.json()
    listed = {b["name"] for b in client.get("/v1/boundaries").json()}
    assert {f["id"] for f in collection["features"]} == listed
    by_name = {f["id"]: f for f in collection["features"]}
    assert by_name["civ"]["properties"] == {"name": "civ", "name_long": "Côte d'Ivoire"}
    full = shape(client.get("/v1/boundaries/rus").json()["geometry"])
    light = shape(by_name["rus"]["geometry"])
    assert len(shapely.get_coordinates(light)) < len(shapely.get_coordinates(full)) / 2
    assert light.symmetric_difference(full).area < full.area * 0.01
    assert not shape(by_name["vat"]["geometry"]).is_empty


def test_the_layer_is_revalidated_and_follows_uploads(client: TestClient) -> None:
    first = client.get("/v1/boundaries/simplified", headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    assert "content-encoding" not in first.headers
    unchanged = client.get("/v1/boundaries/simplified", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    square = [[[60, -60], [61, -60], [61, -59], [60, -59], [60, -60]]]
    upload = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "map-test", "name_long": "Map test"},
                "geometry": {"type": "Polygon", "coordinates": square},
            }
        ],
    }
    assert client.post("/v1/boundaries", json=upload).status_code == 200
    changed = client.get("/v1/boundaries/simplified", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "map-test" in {f["id"] for f in changed.json()["features"]}


def test_one_boundary_simplified(client: TestClient) -> None:
    feature = client.get("/v1/boundaries/GHA/simplified").json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == "gha"
    assert shape(feature["geometry"]).contains(shapely.Point(-1.0, 7.9))
    missing = client.get("/v1/boundaries/atlantis/simplified")
    assert missing.status_code == 404
    assert "atlantis" in missing.json()["detail"]
