"""Package versions: each publication is one, and replaced files stay readable."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types

from autopkg.packaging.publish import (
    publish_processor,
    rebuild_manifest,
    validate_package,
)
from autopkg.storage.base import Storage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.unit.packaging.factories import GHANA, ODBL, make_metadata, sha256, write_output

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
DATA = "datasets/test_raster/version_1/data"
A, B, C = (f"{DATA}/test_raster-version_1-{sub}-gha.tif" for sub in "abc")


def kept(storage: Storage, version: str) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(
        storage.get_bytes(f"gha/versions/{version}/datapackage.json") or b""
    )
    return manifest


def readable(storage: Storage, manifest: dict[str, Any]) -> dict[str, str]:
    """Each data file the manifest names, hashed from storage as the package root serves it."""
    return {
        r["path"]: sha256(b"".join(storage.iter_chunks(f"gha/{r['path']}")))
        for r in stored_data(manifest)
    }


def test_each_publication_is_a_version_and_replaced_files_stay_readable(
    storage: Storage, tmp_path: Path
) -> None:
    lock = threading.Lock()
    first = [
        write_output(tmp_path / "1", RASTER, b"raster-a", sub="a"),
        write_output(tmp_path / "1", RASTER, b"raster-b", sub="b"),
    ]
    publish_processor(storage, GHANA, RASTER, first, lock=lock)
    v1 = stored_manifest(storage, "gha")
    publish_processor(
        storage, GHANA, VECTOR, [write_output(tmp_path / "1", VECTOR, b"v", ext="gpkg")], lock=lock
    )
    v2 = stored_manifest(storage, "gha")
    # Only added files: a minor version; v1 is kept as it was, nothing copied.
    assert (v1["version"], v2["version"]) == ("1.0.0", "1.1.0")
    # The summary is derived from the data files: a kept version names those only.
    assert kept(storage, "1.0.0") == {**v1, "resources": stored_data(v1)}
    assert storage.list_keys("gha/versions/") == ["gha/versions/1.0.0/datapackage.json"]

    # A re-run: file a gets other bytes, b is gone, c is new.
    rerun = [
        write_output(tmp_path / "2", RASTER, b"raster-A", sub="a"),
        write_output(tmp_path / "2", RASTER, b"raster-c", sub="c"),
    ]
    publish_processor(storage, GHANA, RASTER, rerun, lock=lock)
    v3 = stored_manifest(storage, "gha")
    assert v3["version"] == "2.0.0"
    assert v3["created"] >= v2["created"]
    assert readable(storage, v3) == {
        A: sha256(b"raster-A"),
        C: sha256(b"raster-c"),
        "datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg": sha256(b"v"),
    }
    # Both kept versions name the old a and b where they now are, with their own bytes.
    moved = {f"versions/1.1.0/{A}": sha256(b"raster-a"), f"versions/1.1.0/{B}": sha256(b"raster-b")}
    assert readable(storage, kept(storage, "1.0.0")) == moved
    assert readable(storage, kept(storage, "1.1.0")) == {
        **moved,
        "datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg": sha256(b"v"),
    }
    for version in ("1.0.0", "1.1.0"):
        manifest = kept(storage, version)
        assert all(
            r["hash"] == readable(storage, manifest)[r["path"]] for r in manifest["resources"]
        )
    assert validate_package(storage, "gha") == []

    # The versions page links each kept manifest, newest first.
    page = (storage.get_bytes("gha/version.html") or b"").decode()
    assert "This is version 2.0.0 of the package" in page
    links = ['<a href="versions/1.1.0/datapackage.json">1.1.0</a>', '<a href="versions/1.0.0/']
    assert page.index(links[0]) < page.index(links[1])
    # The citation files cite the package at its version.
    cff = yaml.safe_load(storage.get_bytes("gha/CITATION.cff") or b"")
    assert (cff["version"], cff["date-released"]) == ("2.0.0", v3["created"][:10])
    csl = json.loads(storage.get_bytes("gha/citation.json") or b"")
    assert (csl[0]["id"], csl[0]["version"]) == ("gha", "2.0.0")


def test_a_rebuild_and_an_identical_rerun_are_patch_versions(
    storage: Storage, tmp_path: Path
) -> None:
    lock = threading.Lock()
    outputs = [write_output(tmp_path, RASTER, b"raster-a", sub="a")]
    publish_processor(storage, GHANA, RASTER, outputs, lock=lock)
    publish_processor(storage, GHANA, RASTER, outputs, lock=lock)
    assert stored_manifest(storage, "gha")["version"] == "1.0.1"
    rebuilt = rebuild_manifest(storage, GHANA, {RASTER.id: RASTER}.get, lock=lock)
    assert rebuilt.version == "1.0.2"
    # Nothing was replaced, so no file was copied: only the two kept manifests.
    assert storage.list_keys("gha/versions/") == [
        "gha/versions/1.0.0/datapackage.json",
        "gha/versions/1.0.1/datapackage.json",
    ]
    assert validate_package(storage, "gha") == []


def test_validate_checks_the_kept_versions(storage: Storage, tmp_path: Path) -> None:
    lock = threading.Lock()
    publish_processor(
        storage, GHANA, RASTER, [write_output(tmp_path / "1", RASTER, b"one", sub="a")], lock=lock
    )
    publish_processor(
        storage, GHANA, RASTER, [write_output(tmp_path / "2", RASTER, b"two", sub="a")], lock=lock
    )
    assert validate_package(storage, "gha") == []
    storage.put_bytes(b"ONE", f"gha/versions/1.0.0/{A}", "image/tiff")
    storage.put_bytes(b"left over", "gha/versions/1.0.0/notes.txt", "text/plain")
    digest = hashlib.sha256(b"ONE").hexdigest()
    assert validate_package(storage, "gha") == [
        f"versions/1.0.0/datapackage.json: versions/1.0.0/{A}: file sha256 is {digest}, "
        f"manifest says {sha256(b'one')}",
        "versions/1.0.0/notes.txt: file is not in any kept version's manifest",
    ]


def test_a_rerun_after_a_file_was_deleted_by_hand_still_publishes(
    storage: Storage, tmp_path: Path
) -> None:
    lock = threading.Lock()
    first = [
        write_output(tmp_path / "1", RASTER, b"raster-a", sub="a"),
        write_output(tmp_path / "1", RASTER, b"raster-b", sub="b"),
    ]
    publish_processor(storage, GHANA, RASTER, first, lock=lock)
    storage.delete(f"gha/{B}")
    rerun = [write_output(tmp_path / "2", RASTER, b"raster-A", sub="a")]
    publish_processor(storage, GHANA, RASTER, rerun, lock=lock)
    assert stored_manifest(storage, "gha")["version"] == "2.0.0"
    # a was kept; b could not be (it was gone), so version 1.0.0 still names it where
    # it was, and validate says that version has lost it.
    assert kept(storage, "1.0.0")["resources"][0]["path"] == f"versions/1.0.0/{A}"
    assert kept(storage, "1.0.0")["resources"][1]["path"] == B
    assert validate_package(storage, "gha") == [
        f"versions/1.0.0/datapackage.json: {B}: file is missing"
    ]
