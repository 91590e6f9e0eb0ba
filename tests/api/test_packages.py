"""Package routes and the package files served under /packages/."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings
from tests.fixtures.manifests import stored_data


def test_unknown_package_is_404(client: TestClient) -> None:
    for name in ("zzz", "%2e%2e", "ZZZ"):
        response = client.get(f"/v1/packages/{name}")
        assert response.status_code == 404
        assert "no package" in response.json()["detail"]


def test_package_client_view_links_download_with_matching_hashes(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "ben", "test_processor.version_1"))
    listing = client.get("/v1/packages").json()
    assert {"boundary_name": "ben", "uri": "http://testserver/packages/ben/"} in listing
    package = client.get("/v1/packages/ben").json()
    assert package["boundary_name"] == "ben"
    assert package["uri"] == "http://testserver/packages/ben/"
    assert package["boundary"]["name_long"] == "Benin"
    (resource,) = package["datapackage"]["resources"]
    assert resource["name"] == "test_processor"
    assert resource["version"] == "version_1"
    (url,) = resource["path"]
    assert url == (
        "http://testserver/packages/ben/datasets/test_processor/version_1/data/"
        "test_processor-version_1-ben.tif"
    )
    data = client.get(url).content
    assert resource["bytes"] == len(data)
    assert resource["hashes"] == ["sha256:" + hashlib.sha256(data).hexdigest()]
    manifest = client.get(package["uri"] + "datapackage.json").json()
    assert stored_data(manifest)[0]["hash"] == resource["hashes"][0]
    (file,) = package["files"]
    preview = file.pop("preview")
    assert file == {
        "processor": "test_processor.version_1",
        "name": "test_processor-version_1-ben.tif",
        "url": url,
        "bytes": len(data),
        "hash": resource["hashes"][0],
        "format": "tif",
        "empty": False,
    }
    assert preview["url"] == (
        "http://testserver/packages/ben/datasets/test_processor/version_1/previews/"
        "test_processor-version_1-ben.tif.png"
    )
    png = client.get(preview["url"]).content
    assert png.startswith(b"\x89PNG") and len(png) == preview["bytes"]
    assert preview["legend"]["type"] == "linear"
    assert preview["legend"] == stored_data(manifest)[0]["autopkg:preview"]["legend"]


def test_package_files_cannot_escape_the_package_root(client: TestClient) -> None:
    for path in (
        "/packages/../../etc/passwd",
        "/packages/%2e%2e/%2e%2e/etc/passwd",
        "/packages/..%2F..%2Fetc%2Fpasswd",
    ):
        response = client.get(path)
        assert response.status_code == 404, path


def test_whole_package_downloads_as_one_zip(
    client: TestClient, runtime: Runtime, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "bfa", "test_processor.version_1"))
    folder = runtime.settings.packages_root / "bfa"
    data = folder / "datasets/test_processor/version_1/data"
    (data / "stray.tif").write_bytes(b"not in the manifest")
    (folder / "notes.txt").write_text("not a page")
    (data / "linked.tif").symlink_to("/etc/passwd")
    (folder / "datasets/test_processor/version_1/readme.html").symlink_to("/etc/hostname")

    response = client.get("/v1/packages/bfa/zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="bfa.zip"' in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        manifest = json.loads(archive.read("bfa/datapackage.json"))
        members = {name: archive.read(name) for name in names}
    assert manifest == client.get("/packages/bfa/datapackage.json").json()
    data_files = {"bfa/" + resource["path"] for resource in stored_data(manifest)}
    assert data_files == {
        "bfa/datasets/test_processor/version_1/data/test_processor-version_1-bfa.tif"
    }
    assert names == data_files | {
        "bfa/datapackage.json",
        "bfa/index.html",
        "bfa/license.html",
        "bfa/version.html",
        "bfa/provenance.json",
        "bfa/CITATION.cff",
        "bfa/citation.bib",
        "bfa/citation.json",
        "bfa/boundary.geojson",
        "bfa/stac/collection.json",
        "bfa/stac/test_processor-version_1.json",
        "bfa/datasets/test_processor/version_1/index.html",
        "bfa/datasets/test_processor/version_1/license.html",
        "bfa/datasets/test_processor/version_1/previews/test_processor-version_1-bfa.tif.png",
        "bfa/summary/summary.csv",
        "bfa/summary/summary.parquet",
    }
    for resource in stored_data(manifest):
        member = members["bfa/" + resource["path"]]
        assert resource["hash"] == "sha256:" + hashlib.sha256(member).hexdigest()
        assert resource["bytes"] == len(member)
    assert members["bfa/index.html"] == (folder / "index.html").read_bytes()
    downloads = runtime.settings.processing_root / "downloads"
    assert not downloads.exists() or not any(downloads.iterdir())
    assert client.get("/v1/packages/nowhere/zip").status_code == 404


def test_a_package_folder_url_serves_its_index_page(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "mwi", "test_processor.version_1"))
    uri = client.get("/v1/packages/mwi").json()["uri"]
    page = client.get(uri)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == client.get(uri + "index.html").text
    without_slash = client.get(uri.rstrip("/"), follow_redirects=False)
    assert without_slash.status_code in (301, 307)
    assert without_slash.headers["location"].endswith("/packages/mwi/")


def test_packages_route_follows_its_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    hosted = open_runtime(
        make_settings(
            tmp_path_factory.mktemp("hosted"), packages_host_url="http://self:8000/packages"
        )
    )
    off = open_runtime(make_settings(tmp_path_factory.mktemp("off"), serve_packages=False))
    for rt, served in ((hosted, True), (off, False)):
        folder = rt.settings.packages_root / "gha"
        folder.mkdir(parents=True)
        (folder / "index.html").write_text("<p>gha</p>")
        # Only what a manifest names is served (the empty package still has its pages).
        (folder / "datapackage.json").write_text('{"resources": []}')
        with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as app_client:
            response = app_client.get("/packages/gha/")
            assert response.status_code == (200 if served else 404)
            assert (response.text == "<p>gha</p>") is served


def test_package_files_are_only_what_the_manifest_names(
    client: TestClient,
    runtime: Runtime,
    wait_for_job: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    wait_for_job(submit(client, "cmr", "test_processor.version_1"))
    folder = runtime.settings.packages_root / "cmr"
    dataset = folder / "datasets/test_processor/version_1"
    data_file = dataset / "data/test_processor-version_1-cmr.tif"
    named = client.get("/packages/cmr/datasets/test_processor/version_1/data/" + data_file.name)
    assert named.status_code == 200 and named.content == data_file.read_bytes()

    (folder / ".env").write_text("SECRET=1")
    (dataset / "data/.hidden.tif").write_bytes(b"hidden")
    (dataset / "data/stray.tif").write_bytes(b"not in the manifest")
    (dataset / "data/alias.tif").symlink_to(data_file)
    (folder / "stac").rename(folder / "stac-real")
    (folder / "stac").symlink_to(folder / "stac-real")
    # A hard link gives a file outside the package a name the manifest lists.
    outside = tmp_path / "outside.html"
    outside.write_text("not published")
    (folder / "version.html").unlink()
    (folder / "version.html").hardlink_to(outside)
    for path in (
        ".env",
        "datasets/test_processor/version_1/data/.hidden.tif",
        "datasets/test_processor/version_1/data/stray.tif",
        "datasets/test_processor/version_1/data/alias.tif",
        "stac/collection.json",
        "stac-real/collection.json",
        "version.html",
        "datasets/test_processor/",
        "datasets/test_processor/version_1/data/",
    ):
        response = client.get(f"/packages/cmr/{path}")
        assert response.status_code == 404, path
        assert response.json() == {"detail": f"no such resource: /packages/cmr/{path}"}
    assert client.get("/packages/cmr/license.html").status_code == 200
    assert client.get("/packages/cmr/").text == (folder / "index.html").read_text()


def test_package_files_answer_one_range_or_the_whole_file(
    client: TestClient, runtime: Runtime, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "cmr", "test_processor.version_1"))
    whole = (runtime.settings.packages_root / "cmr/datapackage.json").read_bytes()
    url = "/packages/cmr/datapackage.json"

    one = client.get(url, headers={"Range": "bytes=10-29"})
    assert one.status_code == 206
    assert one.content == whole[10:30]
    assert one.headers["content-range"] == f"bytes 10-29/{len(whole)}"
    assert int(one.headers["content-length"]) == 20

    for ranges in ("bytes=0-9, 20-29", "bytes=0-9,5-40", "bytes=-5, 0-0"):
        several = client.get(url, headers={"Range": ranges})
        assert several.status_code == 200, ranges
        assert several.content == whole
        assert int(several.headers["content-length"]) == len(whole)


def test_ids_are_case_free_on_every_route(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    wait_for_job(submit(client, "GNB", "test_processor.version_1"))
    for route in ("/v1/packages/{}", "/v1/boundaries/{}", "/v1/boundaries/{}/simplified"):
        upper, lower = client.get(route.format("GNB")), client.get(route.format("gnb"))
        assert upper.status_code == 200, route
        assert upper.json() == lower.json(), route
    upper, lower = client.get("/v1/packages/GNB/zip"), client.get("/v1/packages/gnb/zip")
    assert upper.status_code == 200
    assert 'filename="gnb.zip"' in upper.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(upper.content)) as archive:
        assert "gnb/datapackage.json" in archive.namelist()
    assert len(upper.content) == len(lower.content)
    listed = client.get("/v1/jobs", params={"boundary_name": "GNB"}).json()["jobs"]
    assert {job["boundary_name"] for job in listed} == {"gnb"}
    for route in ("/v1/processors/{}", "/v1/processors/{}/version_1"):
        upper, lower = (
            client.get(route.format("TEST_PROCESSOR")),
            client.get(route.format("test_processor")),
        )
        assert upper.status_code == 200, route
        assert upper.json() == lower.json(), route


def test_processor_ids_are_case_free_in_submissions(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    body = {
        "boundary_name": "LSO",
        "processors": ["TEST_PROCESSOR.Version_1"],
        "options": {"Test_Processor.VERSION_1": {}},
    }
    job = wait_for_job(client.post("/v1/jobs", json=body).json()["job_id"])
    assert job["job_group_outcome"] == "SUCCESS"
    assert [p["processor_name"] for p in job["job_group_processors"]] == [
        "test_processor.version_1"
    ]
    ogc = client.post(
        "/ogc/processes/Test_Processor.Version_1/execution",
        json={"inputs": {"boundary_name": "lso"}},
    )
    assert ogc.status_code == 201, ogc.text
    status = wait_for_job(ogc.json()["jobID"])
    assert [p["processor_name"] for p in status["job_group_processors"]] == [
        "test_processor.version_1"
    ]


def test_files_a_later_version_replaced_are_served_at_their_kept_paths(
    tmp_path: Path,
) -> None:
    from autopkg.packaging.publish import publish_processor
    from autopkg.storage.localfs import LocalFSStorage
    from tests.unit.packaging.factories import GHANA, make_metadata, write_output

    runtime = open_runtime(make_settings(tmp_path / "data"))
    assert isinstance(runtime.storage, LocalFSStorage)
    raster = make_metadata("test_raster")
    lock = threading.Lock()
    for run, content in (("1", b"first bytes"), ("2", b"second bytes")):
        output = write_output(tmp_path / run, raster, content, sub="a")
        publish_processor(runtime.storage, GHANA, raster, [output], lock=lock)
    path = "datasets/test_raster/version_1/data/test_raster-version_1-a-gha.tif"
    with TestClient(create_app(runtime, EmbeddedExecutor(runtime, workers=1))) as client:
        assert client.get(f"/packages/gha/{path}").content == b"second bytes"
        kept = client.get("/packages/gha/versions/1.0.0/datapackage.json")
        assert kept.status_code == 200
        (resource,) = kept.json()["resources"]
        assert resource["path"] == f"versions/1.0.0/{path}"
        old = client.get(f"/packages/gha/{resource['path']}")
        assert old.status_code == 200 and old.content == b"first bytes"
        assert hashlib.sha256(old.content).hexdigest() == resource["hash"].removeprefix("sha256:")
        for refused in ("versions/9.9.9/datapackage.json", "versions/1.0.0/index.html",
                        f"versions/1.0.0/{path}.stray"):  # fmt: skip
            assert client.get(f"/packages/gha/{refused}").status_code == 404, refused
