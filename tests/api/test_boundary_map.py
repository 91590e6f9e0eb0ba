"""Simplified boundaries for the map: small, cached, revalidated, and never the full polygons."""

from __future__ import annotations

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from autopkg.boundaries.simplify import MAP_MAX_PARTS, MAP_MAX_VERTICES
from autopkg.runtime import Runtime
from tests.fixtures.areas import comb, polygon, upload_of


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
    assert by_name["civ"]["properties"] == {
        "name": "civ",
        "name_long": "Côte d'Ivoire",
        "admin_level": 0,
        "parent": None,
    }
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


def test_the_map_draws_a_bounded_share_of_each_boundary(client: TestClient) -> None:
    # 30,000 parts took 21.8 s at every rebuild of the layer, and simplifying a comb
    # costs time growing with the square of its vertices: each boundary's share of the
    # layer is bounded in parts (the largest kept) and in vertices (else its hull).
    small = [shapely.box(-30 + i * 0.2, -50, -29.9 + i * 0.2, -49.9) for i in range(100)]
    tiny = [shapely.box(-30 + i * 0.02, -45, -29.99 + i * 0.02, -44.99) for i in range(500)]
    large = shapely.box(-5, -50, -4, -49)
    parts = shapely.MultiPolygon([*tiny, *small, large])
    teeth = comb(4000)
    upload = upload_of(shapely.geometry.mapping(parts), polygon(teeth), name_long="Bounded")
    upload["features"][0]["properties"]["name"] = "many-parts"
    upload["features"][1]["properties"]["name"] = "comb-map"
    loaded = client.post("/v1/boundaries", json=upload)
    assert loaded.status_code == 200, loaded.text
    layer = client.get("/v1/boundaries/simplified").json()
    by_name = {f["id"]: shape(f["geometry"]) for f in layer["features"]}
    drawn = by_name["many-parts"]
    assert shapely.get_num_geometries(drawn) == MAP_MAX_PARTS
    assert drawn.contains(shapely.Point(-4.5, -49.5))
    assert all(drawn.intersects(part) for part in small)
    assert sum(drawn.intersects(part) for part in tiny) == MAP_MAX_PARTS - 101
    hull = by_name["comb-map"]
    assert len(teeth) > MAP_MAX_VERTICES
    assert shapely.equals(hull, shapely.box(10, 0, 11, 1))
    alone = shape(client.get("/v1/boundaries/comb-map/simplified").json()["geometry"])
    assert shapely.equals(alone, hull)
