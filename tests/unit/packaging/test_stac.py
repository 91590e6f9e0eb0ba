"""The STAC catalogue of a package: valid offline, describing the files, opened by pystac."""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pystac
import rasterio
from shapely.geometry import mapping

from autopkg.packaging.archive import package_archive
from autopkg.packaging.publish import rebuild_manifest, validate_package
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.fixtures.stac import validate_stac
from tests.fixtures.standin_rasters import GHSL_POP_NODATA
from tests.unit.packaging.conftest import Hosted
from tests.unit.packaging.real_packages import PLANTS, POPULATION, RELIEF, Outputs, publish_all

CORE = "https://schemas.stacspec.org/v1.1.0"
EXTENSIONS = {
    name: f"https://stac-extensions.github.io/{name}/{version}/schema.json"
    for name, version in [
        ("file", "v2.1.0"),
        ("projection", "v2.0.0"),
        ("raster", "v1.1.0"),
        ("scientific", "v1.0.0"),
    ]
}
ITEMS = [
    "stac/jrc_ghsl_population-r2022_epoch2020_1km.json",
    "stac/natural_earth_raster-version_1.json",
    "stac/wri_powerplants-version_130.json",
]


def stored_json(storage: Storage, key: str) -> dict[str, Any]:
    data = storage.get_bytes(key)
    assert data is not None, f"{key} is missing"
    value: dict[str, Any] = json.loads(data)
    return value


def test_every_document_is_valid_against_the_stac_schemas(
    storage: Storage, outputs: Outputs
) -> None:
    publish_all(storage, outputs)
    b = outputs.boundary.name

    keys = storage.list_keys(f"{b}/stac/")

    assert keys == [f"{b}/stac/collection.json", *(f"{b}/{item}" for item in ITEMS)]
    assert validate_stac(stored_json(storage, keys[0])) == [
        f"{CORE}/collection-spec/json-schema/collection.json"
    ]
    rasters = [
        f"{CORE}/item-spec/json-schema/item.json",
        *(EXTENSIONS[n] for n in ("file", "projection", "raster", "scientific")),
    ]
    assert sorted(validate_stac(stored_json(storage, keys[1]))) == sorted(rasters)
    assert sorted(validate_stac(stored_json(storage, keys[2]))) == sorted(rasters)
    plants = stored_json(storage, keys[3])
    assert sorted(validate_stac(plants)) == sorted(
        [
            f"{CORE}/item-spec/json-schema/item.json",
            *(EXTENSIONS[n] for n in ("file", "projection", "scientific")),
        ]
    )


def test_the_item_describes_the_dataset_and_its_files(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs)
    b = outputs.boundary.name
    manifest = stored_manifest(storage, b)
    provenance = stored_json(storage, f"{b}/provenance.json")["processors"]

    item = stored_json(storage, f"{b}/{ITEMS[0]}")

    metadata = POPULATION.metadata
    assert item["id"] == metadata.id
    assert item["geometry"] == json.loads(json.dumps(mapping(outputs.boundary.geometry)))
    west, south, east, north = item["bbox"]
    if b == "fji":
        assert west > 170 and east < -170, "across the antimeridian, west > east"
    else:
        assert [west, south, east, north] == list(outputs.boundary.geometry.bounds)
    assert item["properties"] == {
        "title": metadata.data_title,
        "description": metadata.description,
        "license": metadata.data_license.name,
        "sci:citation": metadata.data_citation,
        # The dataset's DOI, from its structured citation (its origin URL is a web page).
        "sci:doi": "10.2905/D6D86A90-4351-4508-99C1-CB074B022C4A",
        "providers": [
            {
                "name": metadata.data_author,
                "roles": ["producer", "licensor"],
                "url": metadata.data_origin_url,
            }
        ],
        "datetime": provenance[metadata.id]["published_at"],
    }
    files = [r for r in stored_data(manifest) if r["autopkg:processor"] == metadata.id]
    assert len(files) == (2 if b == "fji" else 1)
    expected_assets = {}
    for resource in files:
        name = resource["path"].rsplit("/", 1)[-1]
        data = b"".join(storage.iter_chunks(f"{b}/{resource['path']}"))
        with rasterio.MemoryFile(data) as memory, memory.open() as raster:
            expected_assets[name] = {
                "href": f"../{resource['path']}",
                "type": resource["mediatype"],
                "title": resource["title"],
                "roles": ["data"],
                "file:size": resource["bytes"],
                "file:checksum": "1220" + resource["hash"].removeprefix("sha256:"),
                "proj:code": "ESRI:54009",
                "proj:shape": [raster.height, raster.width],
                "proj:transform": list(raster.transform)[:6],
                "proj:bbox": list(raster.bounds),
                "raster:bands": [{"data_type": "float32", "nodata": GHSL_POP_NODATA}],
            }
        preview = resource["autopkg:preview"]
        expected_assets[f"{name}.preview"] = {
            "href": f"../{preview['path']}",
            "type": "image/png",
            "title": f"Preview of {name}",
            "roles": ["thumbnail", "overview"],
            "file:size": preview["bytes"],
            "file:checksum": "1220" + preview["hash"].removeprefix("sha256:"),
        }
    assert item["assets"] == expected_assets
    assets = stored_json(storage, f"{b}/{ITEMS[2]}")["assets"]
    (plants,) = [asset for key, asset in assets.items() if not key.endswith(".preview")]
    assert plants["proj:code"] == "EPSG:4326"
    assert "raster:bands" not in plants and "proj:shape" not in plants


def test_the_collection_links_every_item(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs)
    b = outputs.boundary.name
    manifest = stored_manifest(storage, b)
    items = [stored_json(storage, f"{b}/{path}") for path in ITEMS]

    collection = stored_json(storage, f"{b}/stac/collection.json")

    assert collection["id"] == b
    assert (collection["title"], collection["description"]) == (
        manifest["title"],
        manifest["description"],
    )
    assert collection["extent"]["spatial"]["bbox"] == [items[0]["bbox"]]
    times = sorted(item["properties"]["datetime"] for item in items)
    assert collection["extent"]["temporal"]["interval"] == [[times[0], times[-1]]]
    # CC-BY-4.0 and CC0-1.0 together are no single SPDX identifier.
    assert collection["license"] == "other"
    links = {(link["rel"], link["href"]) for link in collection["links"]}
    assert {href for rel, href in links if rel == "item"} == {
        f"./{path.removeprefix('stac/')}" for path in ITEMS
    }
    assert {("root", "./collection.json"), ("describedby", "../datapackage.json")} <= links
    assert ("license", "../license.html") in links
    for item in items:
        assert {(link["rel"], link["href"]) for link in item["links"]} >= {
            ("collection", "./collection.json"),
            ("root", "./collection.json"),
        }
        assert all(not link["href"].startswith("/") for link in item["links"])


def test_pystac_opens_the_catalogue_where_it_is_hosted(hosted: Hosted, outputs: Outputs) -> None:
    publish_all(hosted.storage, outputs)
    b = outputs.boundary.name

    collection = pystac.Collection.from_file(f"{hosted.base}/{b}/stac/collection.json")
    items = list(collection.get_items())

    assert collection.id == b
    assert sorted(item.id for item in items) == sorted(
        p.metadata.id for p in (POPULATION, RELIEF, PLANTS)
    )
    checked = 0
    for item in items:
        assert item.get_collection() is not None
        for asset in item.assets.values():
            data = read_href(asset.get_absolute_href() or "")
            assert len(data) == asset.extra_fields["file:size"]
            assert "1220" + hashlib.sha256(data).hexdigest() == asset.extra_fields["file:checksum"]
            checked += 1
    assert checked == 2 * sum(len(files) for files in outputs.files.values())


def test_the_zip_holds_a_catalogue_pystac_opens(tmp_path: Path, outputs: Outputs) -> None:
    storage = LocalFSStorage(tmp_path / "packages")
    publish_all(storage, outputs)
    b = outputs.boundary.name
    archive = package_archive(storage, b)
    zipped = tmp_path / "package.zip"
    zipped.write_bytes(b"".join(archive.chunks))
    with zipfile.ZipFile(zipped) as bundle:
        names = bundle.namelist()
        bundle.extractall(tmp_path / "unzipped")

    assert {f"{b}/stac/collection.json", *(f"{b}/{item}" for item in ITEMS)} <= set(names)
    collection = pystac.Collection.from_file(
        str(tmp_path / "unzipped" / b / "stac/collection.json")
    )
    for item in collection.get_items():
        for asset in item.assets.values():
            href = Path(asset.get_absolute_href() or "")
            assert href.stat().st_size == asset.extra_fields["file:size"]


def test_items_of_removed_datasets_disappear(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs)
    b = outputs.boundary.name
    catalogue = {key: storage.get_bytes(key) for key in storage.list_keys(f"{b}/stac/")}
    lookup = {p.metadata.id: p.metadata for p in (POPULATION, RELIEF, PLANTS)}.get

    rebuild_manifest(storage, outputs.boundary, lookup, lock=threading.Lock())

    assert {key: storage.get_bytes(key) for key in storage.list_keys(f"{b}/stac/")} == catalogue
    for key in storage.list_keys(f"{b}/datasets/wri_powerplants/"):
        storage.delete(key)

    rebuild_manifest(storage, outputs.boundary, lookup, lock=threading.Lock())

    assert storage.list_keys(f"{b}/stac/") == [
        f"{b}/stac/collection.json",
        *(f"{b}/{item}" for item in ITEMS[:2]),
    ]
    links = stored_json(storage, f"{b}/stac/collection.json")["links"]
    assert [link["href"] for link in links if link["rel"] == "item"] == [
        f"./{item.removeprefix('stac/')}" for item in ITEMS[:2]
    ]
    # Only the kept versions that named the files deleted by hand are reported.
    problems = validate_package(storage, b)
    assert problems and all(
        p.startswith("versions/") and "datasets/wri_powerplants/" in p for p in problems
    )


def test_validate_finds_a_missing_edited_or_stray_document(
    storage: Storage, outputs: Outputs
) -> None:
    publish_all(storage, outputs, only=(RELIEF, PLANTS))
    b = outputs.boundary.name
    assert validate_package(storage, b) == []
    item = stored_json(storage, f"{b}/{ITEMS[1]}")
    item["properties"]["title"] = "edited"
    storage.put_bytes(json.dumps(item).encode(), f"{b}/{ITEMS[1]}", "application/json")
    storage.put_bytes(b"{}", f"{b}/stac/gridfinder-version_1.json", "application/json")
    storage.delete(f"{b}/stac/collection.json")

    problems = validate_package(storage, b)

    rebuild = "run 'autopkg packages rebuild'"
    assert problems == [
        f"stac/collection.json: file is missing; {rebuild}",
        f"{ITEMS[1]}: does not describe the manifest; {rebuild}",
        f"stac/gridfinder-version_1.json: not a dataset of the manifest; {rebuild}",
    ]
    storage.put_bytes(b"[", f"{b}/provenance.json", "application/json")
    assert validate_package(storage, b) == [f"{b}/provenance.json is not a JSON object; {rebuild}"]


def read_href(href: str) -> bytes:
    """Read an asset as a STAC client does: a local path or an HTTP URL."""
    if href.startswith("http"):
        response = httpx.get(href, timeout=30)
        assert response.status_code == 200, href
        return response.content
    return Path(href).read_bytes()
