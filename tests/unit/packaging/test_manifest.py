"""Building, merging and viewing the stored datapackage.json."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import shapely

from autopkg.domain.sources import FetchedSource, Source
from autopkg.errors import AutopkgError
from autopkg.packaging.inputs import run_inputs
from autopkg.packaging.manifest import (
    RESOURCE_NAME_PATTERN,
    SCHEMA_URL,
    Resource,
    client_view,
    file_resource,
    is_current,
    load_manifest,
    manifest_bytes,
    merge,
    to_json,
    with_preview,
)
from tests.unit.packaging.factories import CC_BY, GHANA, ODBL, TIFF, make_metadata

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
T0 = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)


def raster_resource(file_name: str, size: int = 10, digest: str = "ab" * 32) -> Resource:
    return file_resource(
        RASTER, file_name, format="GeoTIFF", mediatype=TIFF, size=size, sha256=digest
    )


def vector_resource(file_name: str) -> Resource:
    return file_resource(
        VECTOR,
        file_name,
        format="GeoPackage",
        mediatype="application/geopackage+sqlite3",
        size=7,
        sha256="cd" * 32,
        title="Vector file",
    )


def test_file_resource_describes_one_file() -> None:
    assert to_json(raster_resource("test_raster-version_1-gha.tif")) == {
        "name": "test_raster-version_1-gha.tif",
        "path": "datasets/test_raster/version_1/data/test_raster-version_1-gha.tif",
        "type": "file",
        "title": "Test_Raster Data",
        "description": "test_raster clipped to the boundary",
        "format": "GeoTIFF",
        "mediatype": TIFF,
        "bytes": 10,
        "hash": "sha256:" + "ab" * 32,
        "licenses": [CC_BY.model_dump()],
        "sources": [
            {
                "title": "Test_Raster Data",
                "path": "https://example.org/test_raster",
                "author": "Test Author",
                "citation": "Author, T. (version_1) test_raster. https://example.org/test_raster",
            }
        ],
        "autopkg:processor": "test_raster.version_1",
    }


def test_merge_into_nothing_builds_a_v2_package() -> None:
    manifest = merge(
        None, GHANA, RASTER, [raster_resource("test_raster-version_1-gha.tif")], now=T0
    )
    stored = to_json(manifest)
    assert stored["$schema"] == SCHEMA_URL
    assert stored["name"] == "gha"
    assert stored["title"] == "Ghana data package"
    assert stored["created"] == "2024-05-01T12:30:05Z"
    assert stored["licenses"] == [CC_BY.model_dump()]
    assert [r.name for r in manifest.resources] == ["test_raster-version_1-gha.tif"]


def test_merge_keeps_other_processors_and_unions_licences() -> None:
    first = merge(None, GHANA, RASTER, [raster_resource("test_raster-version_1-gha.tif")], now=T0)
    both = merge(first, GHANA, VECTOR, [vector_resource("test_vector-version_2-gha.gpkg")])
    assert [r.processor for r in both.resources] == [
        "test_raster.version_1",
        "test_vector.version_2",
    ]
    assert to_json(both)["licenses"] == [CC_BY.model_dump(), ODBL.model_dump()]
    assert both.created == "2024-05-01T12:30:05Z"
    assert len(first.resources) == 1


def test_rerunning_a_processor_replaces_all_its_resources() -> None:
    old = [
        raster_resource("test_raster-version_1-a-gha.tif"),
        raster_resource("test_raster-version_1-b-gha.tif"),
    ]
    manifest = merge(None, GHANA, RASTER, old, now=T0)
    manifest = merge(manifest, GHANA, VECTOR, [vector_resource("test_vector-version_2-gha.gpkg")])
    new = [raster_resource("test_raster-version_1-c-gha.tif", size=99)]
    manifest = merge(manifest, GHANA, RASTER, new)
    assert [(r.path.rsplit("/", 1)[1], r.bytes) for r in manifest.resources] == [
        ("test_raster-version_1-c-gha.tif", 99),
        ("test_vector-version_2-gha.gpkg", 7),
    ]


def test_licences_of_replaced_processors_disappear() -> None:
    manifest = merge(None, GHANA, VECTOR, [vector_resource("test_vector-version_2-gha.gpkg")])
    relicensed = make_metadata("test_vector", "version_2", license=CC_BY)
    resource = file_resource(
        relicensed,
        "test_vector-version_2-gha.gpkg",
        format="GeoPackage",
        mediatype="application/geopackage+sqlite3",
        size=7,
        sha256="cd" * 32,
    )
    assert to_json(merge(manifest, GHANA, relicensed, [resource]))["licenses"] == [
        CC_BY.model_dump()
    ]


def test_colliding_resource_names_are_made_unique() -> None:
    # "a" version "v1" with sub "x" and "a-v1" version "x" both name a file a-v1-x-gha.tif.
    first, second = make_metadata("a", "v1"), make_metadata("a-v1", "x")
    manifest = None
    for metadata in (first, second):
        resource = file_resource(
            metadata, "a-v1-x-gha.tif", format="GeoTIFF", mediatype=TIFF, size=1, sha256="0" * 64
        )
        manifest = merge(manifest, GHANA, metadata, [resource])
    assert manifest is not None
    assert [(r.name, r.path) for r in manifest.resources] == [
        ("a-v1-x-gha.tif-2", "datasets/a-v1/x/data/a-v1-x-gha.tif"),
        ("a-v1-x-gha.tif", "datasets/a/v1/data/a-v1-x-gha.tif"),
    ]
    assert all(re.fullmatch(RESOURCE_NAME_PATTERN, r.name) for r in manifest.resources)
    assert (
        file_resource(first, "A-v1-X-gha.TIF", format="", mediatype="", size=0, sha256="").name
        == "a-v1-x-gha.tif"
    )


def test_merge_refuses_resources_of_another_processor() -> None:
    with pytest.raises(ValueError, match=re.escape("test_vector-version_2-gha.gpkg")):
        merge(None, GHANA, RASTER, [vector_resource("test_vector-version_2-gha.gpkg")])


def test_is_current_only_when_every_input_matches() -> None:
    fetched = [FetchedSource("https://example.org/a.zip", "a.zip", 3, "ab" * 32)]
    inputs = run_inputs(GHANA.geometry, "test_raster.version_1", {"year": 2020}, fetched)
    resource = file_resource(
        RASTER,
        "test_raster-version_1-gha.tif",
        format="GeoTIFF",
        mediatype=TIFF,
        size=10,
        sha256="ab" * 32,
        inputs=inputs,
    )
    manifest = merge(None, GHANA, RASTER, [resource])
    request = {"geometry": GHANA.geometry, "options": {"year": 2020}, "pinned": ()}
    assert is_current(manifest, "test_raster.version_1", **request)
    assert not is_current(manifest, "test_raster.version_2", **request)
    assert not is_current(None, "test_raster.version_1", **request)
    other_area = {**request, "geometry": shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])}
    assert not is_current(manifest, "test_raster.version_1", **other_area)
    other_options = {**request, "options": {"year": 2030}}
    assert not is_current(manifest, "test_raster.version_1", **other_options)
    pinned_same = Source("https://example.org/a.zip", "a.zip", sha256="AB" * 32)
    pinned_other = Source("https://example.org/a.zip", "a.zip", sha256="cd" * 32)
    assert is_current(manifest, "test_raster.version_1", **{**request, "pinned": (pinned_same,)})
    assert not is_current(
        manifest, "test_raster.version_1", **{**request, "pinned": (pinned_other,)}
    )
    without_inputs = merge(None, GHANA, RASTER, [raster_resource("test_raster-version_1-gha.tif")])
    assert not is_current(without_inputs, "test_raster.version_1", **request)


def test_client_view_groups_files_per_processor_version() -> None:
    manifest = merge(
        None,
        GHANA,
        RASTER,
        [
            raster_resource("test_raster-version_1-a-gha.tif", size=10, digest="01" * 32),
            raster_resource("test_raster-version_1-b-gha.tif", size=32, digest="02" * 32),
        ],
        now=T0,
    )
    manifest = merge(manifest, GHANA, VECTOR, [vector_resource("test_vector-version_2-gha.gpkg")])
    for package_url in ["http://h/packages/gha", "http://h/packages/gha/"]:
        view = client_view(manifest, package_url)
        stored = to_json(manifest)
        assert {k: view[k] for k in ("name", "title", "created", "licenses", "$schema")} == {
            k: stored[k] for k in ("name", "title", "created", "licenses", "$schema")
        }
        raster, vector = view["resources"]
        assert raster == {
            "name": "test_raster",
            "version": "version_1",
            "path": [
                "http://h/packages/gha/datasets/test_raster/version_1/data/"
                "test_raster-version_1-a-gha.tif",
                "http://h/packages/gha/datasets/test_raster/version_1/data/"
                "test_raster-version_1-b-gha.tif",
            ],
            "bytes": 42,
            "hashes": ["sha256:" + "01" * 32, "sha256:" + "02" * 32],
            "format": "GeoTIFF",
            "description": "test_raster clipped to the boundary",
            "licenses": [CC_BY.model_dump()],
            "sources": [
                {
                    "title": "Test_Raster Data",
                    "path": "https://example.org/test_raster",
                    "author": "Test Author",
                    "citation": (
                        "Author, T. (version_1) test_raster. https://example.org/test_raster"
                    ),
                }
            ],
        }
        assert (vector["name"], vector["version"], vector["bytes"]) == (
            "test_vector",
            "version_2",
            7,
        )
        assert vector["licenses"] == [ODBL.model_dump()]
    assert len(manifest.resources) == 3


#: A package as an earlier autopkg wrote it (no version, no inputs, no CRS), with keys
#: this one does not know at every level, some among the known ones.
EARLIER: dict[str, Any] = {
    "$schema": SCHEMA_URL,
    "name": "gha",
    "title": "Ghana data package",
    "description": "Global datasets clipped to the boundary of Ghana (gha) by autopkg.",
    "created": "2023-01-02T03:04:05Z",
    "x-publisher": {"note": None},
    "licenses": [CC_BY.model_dump()],
    "resources": [
        {
            "name": "old-version_1-gha.tif",
            "path": "datasets/old/version_1/data/old-version_1-gha.tif",
            "type": "file",
            "title": "Old data",
            "format": "GeoTIFF",
            "mediatype": TIFF,
            "bytes": 3,
            "hash": "sha256:" + "ab" * 32,
            "licenses": [{**CC_BY.model_dump(), "x-note": "kept"}],
            "sources": [
                {"title": "Old data", "version": "2", "path": "https://example.org/old", "x-id": 7}
            ],
            "autopkg:legacy": {"anything": [1, None, "x"]},
            "autopkg:processor": "old.version_1",
            "autopkg:grid": {
                "shape": [1, 2],
                "transform": [1, 0, 0.5, 0, -1, 0],
                "bands": [{"data_type": "uint8", "x-scale": 1.0}],
            },
        }
    ],
}


def stored_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()


def test_an_earlier_manifest_reads_and_writes_back_byte_for_byte() -> None:
    manifest = load_manifest(stored_bytes(EARLIER), "gha/datapackage.json")
    assert manifest.version is None and manifest.resources[0].grid is not None
    assert manifest.resources[0].grid.shape == (1, 2)
    assert manifest_bytes(manifest) == stored_bytes(EARLIER)


def test_merging_keeps_other_processors_unknown_keys() -> None:
    earlier = load_manifest(stored_bytes(EARLIER), "gha/datapackage.json")
    merged = to_json(
        merge(earlier, GHANA, RASTER, [raster_resource("test_raster-version_1-gha.tif")])
    )
    assert merged["resources"][0] == EARLIER["resources"][0]
    assert merged["created"] == EARLIER["created"]


def test_keys_added_later_are_written_where_they_always_were() -> None:
    located = raster_resource("test_raster-version_1-gha.tif").model_copy(
        update={"crs": "EPSG:4326"}
    )
    resource = with_preview(located, size=1, sha256="cd" * 32, legend={})
    stamped = merge(None, GHANA, RASTER, [resource], now=T0).model_copy(
        update={"version": "1.0.0", "created": "2024-05-02T00:00:00Z"}
    )
    stored = to_json(stamped)
    assert list(stored) == [
        "$schema",
        "name",
        "title",
        "description",
        "version",
        "created",
        "licenses",
        "resources",
    ]
    assert list(stored["resources"][0])[-4:] == [
        "sources",
        "autopkg:processor",
        "autopkg:crs",
        "autopkg:preview",
    ]
    assert list(stored["resources"][0]["autopkg:preview"]) == [
        "path",
        "mediatype",
        "bytes",
        "hash",
        "legend",
    ]


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (b"[1, 2]", "gha/datapackage.json is not a JSON object; run 'autopkg packages rebuild'"),
        (b"{not json", "gha/datapackage.json is not a JSON object"),
        (
            stored_bytes({**EARLIER, "resources": [{"name": "a", "path": "a", "bytes": 1}]}),
            "gha/datapackage.json is not a valid manifest (1 problems; at resources.0.hash: "
            "Field required); run 'autopkg packages rebuild'",
        ),
        (
            stored_bytes({**EARLIER, "licenses": "CC-BY-4.0"}),
            "at licenses: Input should be a valid tuple",
        ),
    ],
)
def test_a_malformed_manifest_is_refused_saying_where(stored: bytes, message: str) -> None:
    with pytest.raises(AutopkgError, match=re.escape(message)):
        load_manifest(stored, "gha/datapackage.json")
