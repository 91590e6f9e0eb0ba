"""The HTML pages: every link resolves on storage, sizes are human, content is escaped."""

from __future__ import annotations

import dataclasses
import posixpath
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autopkg.packaging.manifest import file_resource, merge
from autopkg.packaging.pages import human_size, render_dataset_pages
from autopkg.packaging.publish import publish_processor
from autopkg.storage.localfs import LocalFSStorage
from tests.unit.packaging.factories import GHANA, ODBL, TIFF, make_metadata, write_output

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
PAGES = [
    "gha/index.html",
    "gha/license.html",
    "gha/version.html",
    "gha/datasets/test_raster/version_1/index.html",
    "gha/datasets/test_raster/version_1/license.html",
    "gha/datasets/test_vector/version_2/index.html",
    "gha/datasets/test_vector/version_2/license.html",
]


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(value or "" for name, value in attrs if name == "href")


def links_of(html: str) -> list[str]:
    parser = LinkParser()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalFSStorage:
    scratch = tmp_path_factory.mktemp("scratch")
    storage = LocalFSStorage(tmp_path_factory.mktemp("packages"))
    lock = threading.Lock()
    outputs = [
        write_output(scratch, RASTER, b"r" * 1536, sub="a"),
        write_output(scratch, RASTER, b"r" * 10, sub="b"),
    ]
    publish_processor(storage, GHANA, RASTER, outputs, lock=lock)
    vector = [write_output(scratch, VECTOR, b"v" * (3 * 1024 * 1024), ext="gpkg")]
    publish_processor(storage, GHANA, VECTOR, vector, lock=lock)
    return storage


def page(storage: LocalFSStorage, key: str) -> str:
    return (storage.get_bytes(key) or b"").decode()


@pytest.mark.parametrize("key", PAGES)
def test_every_relative_link_resolves_on_storage(storage: LocalFSStorage, key: str) -> None:
    links = links_of(page(storage, key))
    relative = [link for link in links if not link.startswith("https://")]
    assert relative
    for link in relative:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(key), link))
        assert storage.size(target) is not None, f"{key} links to missing {target}"


def test_index_links_every_file_and_dataset(storage: LocalFSStorage) -> None:
    links = links_of(page(storage, "gha/index.html"))
    data_keys = storage.list_keys("gha/datasets/")
    files = [k.removeprefix("gha/") for k in data_keys if "/data/" in k]
    assert len(files) == 3
    assert set(files) <= set(links)
    assert "datasets/test_raster/version_1/index.html" in links
    assert "datasets/test_vector/version_2/index.html" in links
    html = page(storage, "gha/index.html")
    assert "1.5 KiB" in html
    assert "10 B" in html
    assert "3.0 MiB" in html


def test_dataset_page_links_its_files_relatively(storage: LocalFSStorage) -> None:
    links = links_of(page(storage, "gha/datasets/test_raster/version_1/index.html"))
    assert "data/test_raster-version_1-a-gha.tif" in links
    assert "data/test_raster-version_1-b-gha.tif" in links
    assert "../../../index.html" in links
    assert "https://creativecommons.org/licenses/by/4.0/" in links
    assert not any("test_vector" in link for link in links)


def test_license_page_names_every_licence(storage: LocalFSStorage) -> None:
    html = page(storage, "gha/license.html")
    assert "Creative Commons Attribution 4.0" in html
    assert "Open Data Commons Open Database License 1.0" in html


def test_markdown_is_rendered_and_html_escaped(tmp_path: Path) -> None:
    hostile = make_metadata(
        "test_raster", summary="**bold** <script>alert(1)</script> [x](javascript:alert(1))"
    ).model_copy(update={"description": "<b>desc</b>", "data_origin_url": "javascript:alert(2)"})
    resource = file_resource(
        hostile,
        "test_raster-version_1-gha.tif",
        format="GeoTIFF",
        mediatype=TIFF,
        size=1,
        sha256="0" * 64,
    )
    manifest = merge(None, GHANA, hostile, [resource])
    html = render_dataset_pages(GHANA, manifest, hostile)[
        "datasets/test_raster/version_1/index.html"
    ]
    assert "<strong>bold</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;desc&lt;/b&gt;" in html
    assert "<script>" not in html
    assert "javascript:" not in " ".join(links_of(html))


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 1024**3, "5.0 GiB"),
        (3 * 1024**6, "3072.0 PiB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_the_admin_level_is_stated_only_when_the_boundary_has_one(
    storage: LocalFSStorage, tmp_path: Path
) -> None:
    assert "<code>gha</code> (admin level 0)." in page(storage, "gha/index.html")
    area = dataclasses.replace(GHANA, name="custom-0123456789ab", admin_level=None)
    output = write_output(tmp_path, RASTER, b"r", sub="a", boundary=area)
    publish_processor(storage, area, RASTER, [output], lock=threading.Lock())
    assert "<code>custom-0123456789ab</code>." in page(storage, "custom-0123456789ab/index.html")
