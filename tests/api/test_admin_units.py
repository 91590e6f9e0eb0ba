"""Admin-1 and admin-2 units from geoBoundaries stand-ins, on SQLite and PostGIS.

The stand-ins (Ghana with its admin-1 file behind a Git LFS pointer, Fiji across ±180°
on the newer host and without admin-2) are served by a real HTTP mirror that counts
requests, so loading once is proven by the publisher's own request log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from autopkg.api.app import create_app
from autopkg.boundaries.admin_units import slug
from autopkg.boundaries.builtin import get_builtin
from autopkg.db import boundaries as boundary_repo
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.processors.fetch import mirror_relpath
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings, wait_until_complete
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.postgres import postgis_database
from tests.fixtures.races import race
from tests.fixtures.sources import assert_ne2_clip
from tests.fixtures.standin_geoboundaries import (
    API_ROOT,
    BROKEN_NAME,
    GITHUB,
    MEDIA,
    GeoBoundariesMirror,
    Written,
    geoboundaries_mirror,
)

__all__ = ["geoboundaries_mirror"]

GHA_API = mirror_relpath(f"{API_ROOT}/GHA/ADM1/index.json")


@pytest.fixture
def written(geoboundaries_mirror: GeoBoundariesMirror) -> dict[str, Written]:
    return geoboundaries_mirror.written


@pytest.fixture
def mirror(geoboundaries_mirror: GeoBoundariesMirror) -> tuple[str, RequestLog]:
    return geoboundaries_mirror.url, geoboundaries_mirror.log


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'units.sqlite'}"
        return
    with postgis_database() as url:
        yield url


def _runtime(tmp_path: Path, database_url: str, mirror: str) -> Runtime:
    return open_runtime(
        make_settings(tmp_path / "data", database_url=database_url, source_mirror=mirror)
    )


@pytest.fixture
def runtime(tmp_path: Path, database_url: str, mirror: tuple[str, RequestLog]) -> Iterator[Runtime]:
    rt = _runtime(tmp_path, database_url, mirror[0])
    yield rt
    rt.database.dispose()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, EmbeddedExecutor(runtime, workers=2))) as test_client:
        yield test_client


def _expected_adm1_ids(written: Written, iso3: str) -> dict[str, str]:
    """shapeID -> id as the contract makes them, recomputed from the file."""
    ids: dict[str, str] = {}
    for feature in sorted(written.features[1], key=lambda f: f["properties"]["shapeID"]):
        base = f"{iso3.lower()}-{slug(feature['properties']['shapeName'])}"
        name, number = base, 1
        while name in ids.values():
            number += 1
            name = f"{base}-{number}"
        ids[feature["properties"]["shapeID"]] = name
    return ids


def test_children_load_once_with_ids_codes_and_edition(
    client: TestClient, written: dict[str, Written], mirror: tuple[str, RequestLog]
) -> None:
    log = mirror[1]
    before = log.hits[f"/{GHA_API}"]
    response = client.get("/v1/boundaries/GHA/children")
    assert response.status_code == 200, response.text
    ghana = written["GHA"]
    ids = _expected_adm1_ids(ghana, "GHA")
    assert {"gha-northern", "gha-northern-2", "gha-region-cotiere"} <= set(ids.values())
    children = response.json()
    assert {c["name"] for c in children} == set(ids.values())
    assert {c["admin_level"] for c in children} == {1}
    assert client.get("/v1/boundaries/gha/children").json() == children
    assert log.hits[f"/{GHA_API}"] == before + 1
    # The admin-1 file was a Git LFS pointer: its content came from the media host.
    path = "releaseData/gbOpen/GHA/ADM1/geoBoundaries-GHA-ADM1.geojson"
    assert log.hits[f"/{mirror_relpath(f'{MEDIA}/{path}')}"] >= 1

    for feature in ghana.features[1]:
        properties = feature["properties"]
        detail = client.get(f"/v1/boundaries/{ids[properties['shapeID']]}").json()
        assert detail["admin_level"] == 1
        assert detail["parent"] == "gha"
        assert detail["name_long"] == properties["shapeName"]
        assert detail["codes"]["geoboundaries_shape_id"] == properties["shapeID"]
        assert detail["codes"]["geoboundaries_boundary_id"] == ghana.boundary_id[1]
        iso = properties["shapeISO"]
        if iso.startswith("GH-"):
            assert detail["codes"]["iso3166_2"] == iso
        else:
            assert "iso3166_2" not in detail["codes"]
        assert detail["edition"] == {
            "source": "geoBoundaries gbOpen",
            "boundary_id": ghana.boundary_id[1],
            "build_date": "Dec 12, 2023",
            "boundary_source": "Stand-in Statistical Service",
            "license": "Public Domain",
            "url": f"{GITHUB}/{path}",
            "sha256": ghana.sha256[1],
        }
        published = shape(feature["geometry"])
        assert shape(detail["geometry"]).symmetric_difference(published).area < 1e-9
    # The map of every country does not draw the units; the list names them.
    drawn = {f["id"] for f in client.get("/v1/boundaries/simplified").json()["features"]}
    assert "gha" in drawn and not drawn & set(ids.values())
    listed = {b["name"] for b in client.get("/v1/boundaries").json()}
    assert set(ids.values()) <= listed
    country = client.get("/v1/boundaries/gha").json()
    assert country["admin_level"] == 0
    assert country["parent"] is None
    assert country["codes"] == {"iso3166_1_alpha3": "GHA", "iso3166_1_alpha2": "GH"}
    assert country["edition"]["source"] == "Natural Earth"


def test_admin2_parents_hold_most_of_their_area_and_the_broken_unit_is_skipped(
    client: TestClient, written: dict[str, Written], caplog: pytest.LogCaptureFixture
) -> None:
    level_1 = client.get("/v1/boundaries/gha/children").json()
    assert any(BROKEN_NAME in record.getMessage() for record in caplog.records)
    parents = {c["name"]: shape(client.get(f"/v1/boundaries/{c['name']}").json()["geometry"])
               for c in level_1}  # fmt: skip
    seen = 0
    for parent, parent_geometry in parents.items():
        for child in client.get(f"/v1/boundaries/{parent}/children").json():
            assert child["admin_level"] == 2
            assert child["name"].startswith(f"{parent}-district-")
            detail = client.get(f"/v1/boundaries/{child['name']}").json()
            assert detail["parent"] == parent
            geometry = shape(detail["geometry"])
            # The parent holds more of it than any other admin-1 unit.
            mine = shapely.intersection(geometry, parent_geometry).area
            assert all(
                shapely.intersection(geometry, other).area <= mine for other in parents.values()
            )
            assert detail["edition"]["license"] == "CC BY 3.0 IGO"
            seen += 1
    published = [
        f for f in written["GHA"].features[2] if f["properties"]["shapeName"] != BROKEN_NAME
    ]
    assert seen == len(published)
    assert client.get("/v1/boundaries/search", params={"name": "folded"}).json() == []
    assert client.get(f"/v1/boundaries/{child['name']}/children").json() == []


def test_search_ranks_levels_filters_and_finds_points(client: TestClient) -> None:
    client.get("/v1/boundaries/gha/children")
    found = client.get("/v1/boundaries/search", params={"name": "northern"}).json()
    names = [f["name"] for f in found]
    levels = [client.get(f"/v1/boundaries/{n}").json()["admin_level"] for n in names]
    # Countries first (Northern Cyprus…), then admin-1 units, then admin-2 units (found
    # by their ids, which hold their parent's).
    assert levels == sorted(levels) and levels[0] == 0 and "cyn" in names
    by_level = {level: [n for n, lv in zip(names, levels, strict=True) if lv == level]
                for level in (1, 2)}  # fmt: skip
    assert by_level[1] == ["gha-northern", "gha-northern-2"]
    assert by_level[2] and all(n.startswith("gha-northern-") for n in by_level[2])
    only_2 = client.get("/v1/boundaries/search", params={"name": "northern", "admin_level": 2})
    assert [f["name"] for f in only_2.json()] == by_level[2]
    # Accent- and case-free, and by ISO 3166-2 code.
    assert client.get("/v1/boundaries/search", params={"name": "COTIERE"}).json()[0] == {
        "name": "gha-region-cotiere",
        "name_long": "Région Côtière",
        "admin_level": 1,
        "parent": "gha",
    }
    point = client.get("/v1/boundaries/search", params={"latitude": 7.5, "longitude": -1.5})
    at_point = [f["name"] for f in point.json()]
    assert at_point[0] == "gha"
    assert len(at_point) == 3
    assert at_point[1] == "gha-ashanti" and at_point[2].startswith("gha-ashanti-district-")
    level_1 = client.get(
        "/v1/boundaries/search", params={"latitude": 7.5, "longitude": -1.5, "admin_level": 1}
    )
    assert [f["name"] for f in level_1.json()] == ["gha-ashanti"]


def test_a_country_across_the_antimeridian_without_admin_2(
    client: TestClient, written: dict[str, Written]
) -> None:
    children = client.get("/v1/boundaries/fji/children").json()
    assert len(children) == len(written["FJI"].features[1])
    across = [shape(client.get(f"/v1/boundaries/{c['name']}").json()["geometry"]) for c in children]
    assert any(g.bounds[0] < -179 and g.bounds[2] > 179 for g in across)
    fiji = get_builtin("fji").geometry
    assert abs(shapely.union_all(across).area - fiji.area) < 1e-6
    for child in children:
        assert client.get(f"/v1/boundaries/{child['name']}/children").json() == []
        edition = client.get(f"/v1/boundaries/{child['name']}").json()["edition"]
        assert edition["url"].startswith("https://www.geoboundaries-dev.org/")
        assert edition["sha256"] == written["FJI"].sha256[1]


def test_twenty_concurrent_first_requests_load_once(
    tmp_path: Path, database_url: str, mirror: tuple[str, RequestLog]
) -> None:
    url, log = mirror
    # Two runtimes stand for two processes: their own engines and source caches, so only
    # the database's lock stands between them (each one's threads also queue on its own).
    runtimes = [_runtime(tmp_path / str(i), database_url, url) for i in range(2)]
    clients = [TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1))) for rt in runtimes]
    before = log.hits[f"/{GHA_API}"]
    try:
        for test_client in clients:
            test_client.__enter__()
        answers = race(
            *(lambda c=clients[i % 2]: c.get("/v1/boundaries/gha/children") for i in range(20))
        )
    finally:
        for test_client in clients:
            test_client.__exit__(None, None, None)
    assert {a.status_code for a in answers} == {200}
    assert len({json.dumps(a.json()) for a in answers}) == 1
    # The publisher was asked once, although each runtime has its own source cache.
    assert log.hits[f"/{GHA_API}"] == before + 1
    with runtimes[0].database.read_session() as session:
        assert boundary_repo.loaded_levels(session, country="gha") == {"1", "2"}
    for rt in runtimes:
        rt.database.dispose()


def test_offline_is_503_naming_the_url_and_the_country_still_works(
    tmp_path: Path, database_url: str, mirror: tuple[str, RequestLog]
) -> None:
    (tmp_path / "empty-mirror").mkdir()
    with serve_directory(tmp_path / "empty-mirror", failures={f"/{GHA_API}": 503}) as url:
        rt = _runtime(tmp_path, database_url, url)
        with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=1))) as offline:
            response = offline.get("/v1/boundaries/gha/children")
            assert response.status_code == 503
            detail = response.json()["detail"]
            assert f"{API_ROOT}/GHA/ADM1/index.json" in detail
            assert "AUTOPKG_SOURCE_MIRROR" in detail and url in detail
            assert offline.get("/v1/boundaries/gha").status_code == 200
            assert offline.get("/v1/boundaries/gha-northern").status_code == 503
    rt.database.dispose()
    # Nothing was stored: back online, the units load.
    online = _runtime(tmp_path, database_url, mirror[0])
    with TestClient(create_app(online, EmbeddedExecutor(online, workers=1))) as back:
        assert back.get("/v1/boundaries/gha-northern").json()["parent"] == "gha"
    online.database.dispose()


def _job(client: TestClient, boundary: str) -> dict[str, Any]:
    response = client.post(
        "/v1/jobs",
        json={"boundary_name": boundary, "processors": ["natural_earth_raster.version_1"]},
    )
    assert response.status_code == 202, response.text
    return wait_until_complete(client, response.json()["job_id"], timeout=120)


def test_jobs_on_unloaded_units_publish_data_clipped_to_them(
    client: TestClient, tmp_path: Path
) -> None:
    for unit in ("gha-ashanti", "gha-ashanti-district-2"):
        done = _job(client, unit)
        assert done["job_group_outcome"] == "SUCCESS", done
        geometry = shape(client.get(f"/v1/boundaries/{unit}").json()["geometry"])
        package = client.get(f"/v1/packages/{unit}").json()
        (url,) = package["datapackage"]["resources"][0]["path"]
        tif = tmp_path / f"{unit}.tif"
        tif.write_bytes(client.get(url).content)
        assert_ne2_clip(tif, geometry)
        boundary = client.get(package["uri"] + "boundary.geojson").json()
        properties = boundary["features"][0]["properties"]
        assert properties["admin_level"] in (1, 2)
        assert properties["parent"].startswith("gha")
        assert properties["edition"]["source"] == "geoBoundaries gbOpen"
        _assert_credits_geoboundaries(client, package["uri"], properties["edition"]["license"])


def _assert_credits_geoboundaries(client: TestClient, uri: str, licence: str) -> None:
    manifest = client.get(uri + "datapackage.json").json()
    (source,) = manifest["sources"]
    assert "10.1371/journal.pone.0231866" in source["citation"]
    assert source["path"] == "https://www.geoboundaries.org"
    assert licence in {item.get("title") for item in manifest["licenses"]}
    for name in ("CITATION.cff", "citation.bib", "index.html", "license.html"):
        text = client.get(uri + name).text
        assert "geoBoundaries" in text, name
    assert "Runfola" in client.get(uri + "CITATION.cff").text
    assert "e0231866" in client.get(uri + "citation.bib").text
    assert licence in client.get(uri + "license.html").text
