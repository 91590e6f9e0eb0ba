"""Sources decided at run time: an index, files that may be absent, a database, HEAD refused."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import numpy as np
import psycopg
import pytest
import rasterio
from rasterio.transform import from_origin

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import PostgresSource, RasterPrior, Source, SourceSet
from autopkg.processors.base import EstimateContext, IndexContext, Processor, RunContext
from autopkg.processors.datasets.gri_osm.roads_and_rail_version_1 import (
    GriOsmRoadsAndRailProcessor,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.sources.check import SourceChecker, SourceReport, Status
from autopkg.sources.inventory import IndexFetcher, Needed, needed_sources
from autopkg.sources.mirroring import mirror_sources
from autopkg.sources.probe import probe
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.postgres import HOST, PORT, USER, postgis_database

FOLDER = "https://tiles.example.org/v1"
INDEX = Source(url=f"{FOLDER}/tiles.txt", filename="tiles.txt")
ZIPPED = Source(url=f"{FOLDER}/zipped.zip", filename="zipped.zip")
PRIOR = SourceFacts("EPSG:4326", north_up(0, 10, 0.5), 20, 20, "uint8")


class TiledProcessor(Processor):
    """A processor whose tiles an index names; a tile over the sea is not published."""

    metadata = Metadata(
        name="tiled", version="version_1", description="Tiles.", data_author="Tests",
        data_title="Tiles", data_title_long="Tiles", data_summary="Tiles.",
        data_citation="Tests", data_origin_url="https://tiles.example.org",
        data_license=License(name="CC0-1.0", path="https://example.org", title="CC0"),
        data_formats=("GeoTIFF",),
    )  # fmt: skip
    sources: ClassVar[tuple[Source, ...]] = ()

    def list_sources(self, ctx: IndexContext) -> SourceSet:
        names = ctx.fetch(INDEX).read_text().split()
        tiles = tuple(Source(url=f"{FOLDER}/{name}", filename=name) for name in names)
        return SourceSet(indexes=(INDEX,), listed=tiles, may_be_absent=True)

    def raster_prior(self, source: Source) -> RasterPrior:
        return RasterPrior(PRIOR)

    def estimate(self, ctx: EstimateContext) -> Estimate:
        raise AssertionError("not estimated in these tests")

    def run(self, ctx: RunContext) -> list[OutputFile]:
        raise AssertionError("not run in these tests")


class ZippedProcessor(TiledProcessor):
    """A processor whose one source is a zip holding its GeoTIFF in a folder."""

    def list_sources(self, ctx: IndexContext) -> SourceSet:
        return SourceSet(files=(ZIPPED,))

    def raster_prior(self, source: Source) -> RasterPrior:
        return RasterPrior(PRIOR, "inside/tile.tif")


def _write_tile(path: Path, *, dtype: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff", "width": 20, "height": 20, "count": 1, "dtype": dtype,
        "crs": "EPSG:4326", "transform": from_origin(0, 10, 0.5, 0.5),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.arange(400, dtype=dtype).reshape(1, 20, 20))


@pytest.fixture()
def publisher(tmp_path: Path) -> Path:
    """An index of three tiles: the first as believed, the second absent, the third Float32."""
    root = tmp_path / "publisher"
    (root / mirror_relpath(INDEX.url)).parent.mkdir(parents=True)
    (root / mirror_relpath(INDEX.url)).write_text("a.tif\nsea.tif\nc.tif\n")
    _write_tile(root / mirror_relpath(f"{FOLDER}/a.tif"), dtype="uint8")
    _write_tile(root / mirror_relpath(f"{FOLDER}/c.tif"), dtype="float32")
    return root


def _check(
    tmp_path: Path, processor: Processor, mirror: str | None, *, sample: int = 5, **kw: object
) -> list[SourceReport]:
    ctx = IndexFetcher(tmp_path / "cache", mirror=mirror, verify=True, timeout=5, **kw)  # type: ignore[arg-type]
    with httpx.Client(timeout=5) as client:
        checker = SourceChecker(ctx, client, sample_size=sample, timeout=5)
        return list(checker.check(processor))


@pytest.mark.parametrize("head", [True, False])
def test_listed_files_are_checked_absent_ones_are_no_failure(
    tmp_path: Path, publisher: Path, head: bool
) -> None:
    with serve_directory(publisher, head=head) as url:
        reports = _check(tmp_path, TiledProcessor(), url)
    by_url = {report.source: report for report in reports}
    assert [report.source for report in reports] == [
        INDEX.url,
        f"{FOLDER}/a.tif",
        f"{FOLDER}/sea.tif",
        f"{FOLDER}/c.tif",
    ]
    assert [report.status for report in reports] == [
        Status.OK,
        Status.OK,
        Status.OK,
        Status.CHANGED,
    ]
    # Whether by HEAD or by a one-byte GET, the size is the whole file's.
    size = (publisher / mirror_relpath(f"{FOLDER}/a.tif")).stat().st_size
    assert by_url[f"{FOLDER}/a.tif"].size == size
    assert by_url[f"{FOLDER}/a.tif"].grid == (
        "20x20 px of 0.5 x 0.5 from (0, 10), uint8, no NoData, EPSG:4326"
    )
    assert "HTTP 404" in by_url[f"{FOLDER}/sea.tif"].reason
    assert by_url[f"{FOLDER}/c.tif"].reason == "dtype float32 (prior uint8)"


def test_a_file_changed_since_it_was_cached_is_reported(tmp_path: Path, publisher: Path) -> None:
    tile = Source(url=f"{FOLDER}/a.tif", filename="a.tif")
    with serve_directory(publisher) as url:
        ctx = IndexFetcher(tmp_path / "cache", mirror=url, verify=True, timeout=5)
        held = ctx.fetch(tile).stat().st_size
        _write_tile(publisher / mirror_relpath(tile.url), dtype="uint16")
        reports = _check(tmp_path, TiledProcessor(), url)
    served = (publisher / mirror_relpath(tile.url)).stat().st_size
    (changed,) = [report for report in reports if report.source == tile.url]
    assert changed.status is Status.CHANGED
    assert changed.reason == (
        f"size {served} bytes (the source cache holds {held} bytes from an earlier fetch, "
        "which runs still use); dtype uint16 (prior uint8)"
    )


@pytest.mark.parametrize(("dtype", "status"), [("uint8", Status.OK), ("int16", Status.CHANGED)])
def test_a_geotiff_inside_a_zip_is_read_where_it_is_served(
    tmp_path: Path, dtype: str, status: Status
) -> None:
    root = tmp_path / "publisher"
    _write_tile(tmp_path / "tile.tif", dtype=dtype)
    (root / mirror_relpath(ZIPPED.url)).parent.mkdir(parents=True)
    with zipfile.ZipFile(root / mirror_relpath(ZIPPED.url), "w", zipfile.ZIP_DEFLATED) as z:
        z.write(tmp_path / "tile.tif", "inside/tile.tif")
        z.writestr("inside/README.txt", "a zipped tile")
    log = RequestLog()
    with serve_directory(root, log=log) as url:
        (report,) = _check(tmp_path, ZippedProcessor(), url)
    assert report.status is status
    assert report.grid == f"20x20 px of 0.5 x 0.5 from (0, 10), {dtype}, no NoData, EPSG:4326"
    if status is Status.CHANGED:
        assert report.reason == f"dtype {dtype} (prior uint8)"
    # Read with byte ranges: never the whole zip in one request.
    assert log.ranges and all(header != "bytes=0-" for _, header in log.ranges)


def test_a_sample_of_the_listed_files_is_checked(tmp_path: Path, publisher: Path) -> None:
    with serve_directory(publisher) as url:
        reports = _check(tmp_path, TiledProcessor(), url, sample=2)
    assert [report.source for report in reports] == [
        INDEX.url,
        f"{FOLDER}/a.tif",
        f"{FOLDER}/sea.tif",
    ]


def test_a_plain_path_mirror_is_checked_on_disk(tmp_path: Path, publisher: Path) -> None:
    (publisher / mirror_relpath(f"{FOLDER}/c.tif")).unlink()
    reports = _check(tmp_path, TiledProcessor(), publisher.as_uri())
    assert [report.status for report in reports] == [Status.OK] * 4
    assert reports[1].grid == "20x20 px of 0.5 x 0.5 from (0, 10), uint8, no NoData, EPSG:4326"
    assert reports[3].reason.startswith("not served (HTTP 404)")


def test_an_unreadable_index_is_unreachable(tmp_path: Path, publisher: Path) -> None:
    (publisher / mirror_relpath(INDEX.url)).unlink()
    with serve_directory(publisher) as url:
        (report,) = _check(tmp_path, TiledProcessor(), url)
    assert (report.source, report.status) == ("(index)", Status.UNREACHABLE)
    assert "HTTP 404" in report.reason and "tiles.txt" in report.reason


def test_mirror_stores_every_file_and_skips_absent_ones(tmp_path: Path, publisher: Path) -> None:
    folder = tmp_path / "mirror"
    log = RequestLog()
    with serve_directory(publisher, log=log) as url, httpx.Client(timeout=5) as client:
        ctx = IndexFetcher(folder, mirror=url, verify=True, timeout=5)
        needed = list(needed_sources(TiledProcessor(), ctx))
        started: list[Needed] = []

        def on_file(item: Needed) -> Callable[[float], None]:
            started.append(item)
            return lambda fraction: None

        result = mirror_sources(
            needed, folder, upstream=url, verify=True, timeout=5, client=client, on_file=on_file
        )
    assert started == needed
    assert (result.stored, result.absent, result.failed) == (3, [f"{FOLDER}/sea.tif"], [])
    for name in ("tiles.txt", "a.tif", "c.tif"):
        relpath = mirror_relpath(f"{FOLDER}/{name}")
        assert (folder / relpath).read_bytes() == (publisher / relpath).read_bytes()
    assert not (folder / mirror_relpath(f"{FOLDER}/sea.tif")).exists()
    # The index was fetched once, for the listing, and found complete when mirrored.
    assert log.hits["/tiles.example.org/v1/tiles.txt"] == 1


def test_the_osm_database_is_checked_configured_and_readable(tmp_path: Path) -> None:
    processor = GriOsmRoadsAndRailProcessor()
    (missing,) = _check(tmp_path, processor, None)
    assert (missing.status, missing.source) == (Status.UNREACHABLE, "(database)")
    assert "AUTOPKG_OSM_PGHOST" in missing.reason
    with postgis_database() as url:
        name = url.rsplit("/", 1)[1]
        database = PostgresSource(host=HOST, port=PORT, dbname=name, user=USER)
        (no_table,) = _check(tmp_path, processor, None, osm_database=database)
        with psycopg.connect(host=HOST, port=PORT, dbname=name, user=USER) as connection:
            connection.execute(
                "CREATE TABLE features (geom geometry(Geometry, 4326), properties jsonb)"
            )
        (ready,) = _check(tmp_path, processor, None, osm_database=database)
    assert no_table.status is Status.UNREACHABLE and "features" in no_table.reason
    assert (ready.status, ready.source) == (
        Status.OK, f"postgresql://{HOST}:{PORT}/{name} table features"
    )  # fmt: skip


class _RateLimited(BaseHTTPRequestHandler):
    """Answers 429 to the first ``limited`` requests, then the file's headers."""

    limited = 2
    seen = 0

    def do_HEAD(self) -> None:
        type(self).seen += 1
        if self.seen <= self.limited:
            self.send_response(429)
            self.send_header("Retry-After", "0")
        else:
            self.send_response(200)
            self.send_header("Content-Length", "1234")
            self.send_header("ETag", '"v1"')
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(("limited", "status"), [(2, 200), (3, 429)])
def test_a_rate_limit_is_waited_out_a_few_times(limited: int, status: int) -> None:
    class Handler(_RateLimited):
        """This case's own count."""

    Handler.limited, Handler.seen = limited, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(timeout=5) as client:
            found = probe(client, f"http://127.0.0.1:{server.server_address[1]}/file.tif")
    finally:
        server.shutdown()
        server.server_close()
    assert found.status == status and Handler.seen == 3
    if status == 200:
        assert (found.size, found.etag, found.error) == (1234, '"v1"', None)
    else:
        assert found.error == "HTTP 429 Too Many Requests"
