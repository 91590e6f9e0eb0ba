"""Package routes and the package files served under /packages/."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.packaging.summary import data_resources
from autopkg.runtime import Runtime, open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings


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
    assert data_resources(manifest)[0]["hash"] == resource["hashes"][0]
    (file,) = package["files"]
    preview = file.pop("preview")
    assert file == {
        "processor": "test_processor.version_1",
        "name": "test_processor-version_1-ben.tif",
        "url": url,
        "bytes": len(data),
        "hash": resource["hashes"][0],
        "format": "tif",
    }
    assert preview["url"] == (
        "http://testserver/packages/ben/datasets/test_processor/version_1/previews/"
        "test_processor-version_1-ben.tif.png"
    )
    png = client.get(preview["url"]).content
    assert png.startswith(b"\x89PNG") and len(png) == preview["bytes"]
    assert preview["legend"]["type"] == "linear"
    assert preview["legend"] == data_resources(manifest)[0]["autopkg:preview"]["legend"]


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
    data_files = {"bfa/" + resource["path"] for resource in data_resources(manifest)}
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
        "bfa/boundary.geojson",
        "bfa/stac/collection.json",
        "bfa/stac/test_processor-version_1.json",
        "bfa/datasets/test_processor/version_1/index.html",
        "bfa/datasets/test_processor/version_1/license.html",
        "bfa/datasets/test_processor/version_1/previews/test_processor-version_1-bfa.tif.png",
        "bfa/summary/summary.csv",
        "bfa/summary/summary.parquet",
    }
    for resource in data_resources(manifest):
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
        with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as app_client:
            response = app_client.get("/packages/gha/")
            assert response.status_code == (200 if served else 404)
            assert (response.text == "<p>gha</p>") is served
