"""Package routes and the package files served under /packages/."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_jobs import submit


def test_unknown_package_is_404(client: TestClient) -> None:
    for name in ("zzz", "%2e%2e", "GHA"):
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
    assert manifest["resources"][0]["hash"] == resource["hashes"][0]


def test_package_files_cannot_escape_the_package_root(client: TestClient) -> None:
    for path in (
        "/packages/../../etc/passwd",
        "/packages/%2e%2e/%2e%2e/etc/passwd",
        "/packages/..%2F..%2Fetc%2Fpasswd",
    ):
        response = client.get(path)
        assert response.status_code == 404, path


def test_whole_package_downloads_as_one_zip(
    client: TestClient, wait_for_job: Callable[..., dict[str, Any]]
) -> None:
    import io
    import zipfile

    wait_for_job(submit(client, "bfa", "test_processor.version_1"))
    response = client.get("/v1/packages/bfa/zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="bfa.zip"' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("bfa/datapackage.json"))
        for resource in manifest["resources"]:
            data = archive.read("bfa/" + resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert {"bfa/index.html", "bfa/license.html", "bfa/provenance.json"} <= names
    assert client.get("/v1/packages/nowhere/zip").status_code == 404
