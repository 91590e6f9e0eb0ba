"""Source fetching against a real HTTP server on loopback: cache, mirror, verify, resume."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors import fetch
from autopkg.processors.digests import parse_checksum
from autopkg.processors.fetch import (
    SourceDigest,
    cache_relpath,
    cached_digest,
    fetch_source,
    mirror_relpath,
    mirror_url,
)
from tests.fixtures.mirror import RequestLog, serve_directory

HOST = "data.example.org"
PAYLOAD = np.random.default_rng(7).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
PAYLOAD_PATH = f"/{HOST}/files/payload.bin"


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inside/data.csv", "a,b\n" + "1,2\n" * 20_000)
    return buffer.getvalue()


GOOD_ZIP = _zip_bytes()


def _corrupt(data: bytes) -> bytes:
    # Flip bytes in the middle of the compressed member: the directory still parses,
    # the member's data no longer matches its CRC.
    middle = len(data) // 3
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


@dataclass
class Publisher:
    """A served folder standing in for a mirror of ``https://HOST/...``."""

    root: Path
    url: str
    log: RequestLog


def _publisher(root: Path, chunk_delay: float = 0.0) -> Iterator[Publisher]:
    folder = root / HOST / "files"
    folder.mkdir(parents=True)
    (folder / "payload.bin").write_bytes(PAYLOAD)
    (folder / "good.zip").write_bytes(GOOD_ZIP)
    (folder / "corrupt.zip").write_bytes(_corrupt(GOOD_ZIP))
    log = RequestLog()
    with serve_directory(root, log=log, chunk_delay=chunk_delay) as url:
        yield Publisher(root, url, log)


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    yield from _publisher(tmp_path / "mirror")


@pytest.fixture
def slow_publisher(tmp_path: Path) -> Iterator[Publisher]:
    # ~46 chunks of 64 KiB at 5 ms: a download lasts long enough for callers to overlap.
    yield from _publisher(tmp_path / "mirror", chunk_delay=0.005)


def source(name: str, **pins: object) -> Source:
    return Source(url=f"https://{HOST}/files/{name}", filename=name, **pins)  # type: ignore[arg-type]


def test_mirror_rule_rewrites_host_and_path() -> None:
    url = "https://naciscdn.org/naturalearth/50m/raster/NE2_50M_SR.zip"
    assert mirror_url(url, None) == url
    assert (
        mirror_url(url, "http://127.0.0.1:9/m/")
        == "http://127.0.0.1:9/m/naciscdn.org/naturalearth/50m/raster/NE2_50M_SR.zip"
    )
    assert mirror_url("https://zenodo.org/r/1/f.zip?download=1", "file:///srv") == (
        "file:///srv/zenodo.org/r/1/f.zip?download=1"
    )
    assert mirror_relpath(url) == PurePosixPath(
        "naciscdn.org/naturalearth/50m/raster/NE2_50M_SR.zip"
    )
    assert cache_relpath(Source(url=url, filename="NE2_50M_SR.zip")) == mirror_relpath(url)


def test_fetch_stores_under_host_and_path_and_downloads_once(
    publisher: Publisher, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    seen: list[float] = []
    first = fetch_source(
        source("payload.bin"), cache, mirror=publisher.url, verify=True, progress=seen.append
    )
    again = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)

    assert first == again == cache / HOST / "files" / "payload.bin"
    assert first.read_bytes() == PAYLOAD
    assert publisher.log.hits[PAYLOAD_PATH] == 1
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2
    assert sorted(p.name for p in first.parent.iterdir()) == [
        "payload.bin",
        "payload.bin.lock",
        "payload.bin.sha256",
    ]


def test_pinned_size_and_checksum_are_accepted_when_right(
    publisher: Publisher, tmp_path: Path
) -> None:
    pinned = source("payload.bin", size=len(PAYLOAD), sha256=PAYLOAD_SHA.upper())
    path = fetch_source(pinned, tmp_path / "cache", mirror=publisher.url, verify=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PAYLOAD_SHA


@pytest.mark.parametrize(
    ("pins", "expected"),
    [
        ({"sha256": "0" * 64}, f"has sha256 {PAYLOAD_SHA}, expected {'0' * 64}"),
        ({"size": 12345}, f"has {len(PAYLOAD)} bytes, expected 12345"),
    ],
)
def test_mismatch_is_a_source_error_and_leaves_nothing(
    publisher: Publisher, tmp_path: Path, pins: dict[str, object], expected: str
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(SourceError) as caught:
        fetch_source(source("payload.bin", **pins), cache, mirror=publisher.url, verify=True)
    assert f"{publisher.url}{PAYLOAD_PATH}" in caught.value.message
    assert expected in caught.value.message
    assert sorted(p.name for p in (cache / HOST / "files").iterdir()) == ["payload.bin.lock"]


def test_verify_false_skips_pins(publisher: Publisher, tmp_path: Path) -> None:
    wrong = source("payload.bin", size=1, sha256="0" * 64)
    path = fetch_source(wrong, tmp_path / "cache", mirror=publisher.url, verify=False)
    assert path.read_bytes() == PAYLOAD


@pytest.mark.parametrize("verify", [True, False])
def test_corrupt_zip_is_rejected_whatever_verify_says(
    publisher: Publisher, tmp_path: Path, verify: bool
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(
        SourceError, match=r"corrupt\.zip is a corrupt zip archive: member 'inside/data\.csv'"
    ):
        fetch_source(source("corrupt.zip"), cache, mirror=publisher.url, verify=verify)
    assert not (cache / HOST / "files" / "corrupt.zip").exists()
    assert not (cache / HOST / "files" / "corrupt.zip.part").exists()
    good = fetch_source(source("good.zip"), cache, mirror=publisher.url, verify=verify)
    assert good.read_bytes() == GOOD_ZIP


def test_truncated_zip_is_rejected(publisher: Publisher, tmp_path: Path) -> None:
    (publisher.root / HOST / "files" / "cut.zip").write_bytes(GOOD_ZIP[:-100])
    with pytest.raises(SourceError, match=r"cut\.zip is not a readable zip archive"):
        fetch_source(source("cut.zip"), tmp_path / "cache", mirror=publisher.url, verify=False)


def test_partial_download_is_resumed_with_a_range_request(
    publisher: Publisher, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    part = cache / HOST / "files" / "payload.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:1_234_567])
    seen: list[float] = []

    path = fetch_source(
        source("payload.bin", sha256=PAYLOAD_SHA),
        cache,
        mirror=publisher.url,
        verify=True,
        progress=seen.append,
    )

    assert path.read_bytes() == PAYLOAD
    assert publisher.log.ranges == [(PAYLOAD_PATH, "bytes=1234567-")]
    assert publisher.log.hits[PAYLOAD_PATH] == 1
    assert not part.exists()
    assert seen[0] > 1_234_567 / len(PAYLOAD) - 0.01 and seen[-1] == 1.0


def test_complete_partial_file_is_finished_without_a_body(
    publisher: Publisher, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    part = cache / HOST / "files" / "payload.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD)
    path = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)
    assert path.read_bytes() == PAYLOAD
    assert publisher.log.ranges == [(PAYLOAD_PATH, f"bytes={len(PAYLOAD)}-")]


def test_oversized_partial_file_restarts_from_zero(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    part = cache / HOST / "files" / "payload.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * (len(PAYLOAD) + 10))
    path = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)
    assert path.read_bytes() == PAYLOAD
    assert publisher.log.hits[PAYLOAD_PATH] == 2


def test_resumed_garbage_fails_the_checksum_then_downloads_cleanly(
    publisher: Publisher, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    part = cache / HOST / "files" / "payload.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 1000)
    pinned = source("payload.bin", sha256=PAYLOAD_SHA)
    with pytest.raises(SourceError, match="has sha256"):
        fetch_source(pinned, cache, mirror=publisher.url, verify=True)
    assert not part.exists()
    assert fetch_source(pinned, cache, mirror=publisher.url, verify=True).read_bytes() == PAYLOAD


def test_concurrent_threads_download_once(slow_publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    barrier = threading.Barrier(6)
    lookups: list[bool] = []

    def fetch(_: int) -> Path:
        barrier.wait()
        return fetch_source(
            source("payload.bin"),
            cache,
            mirror=slow_publisher.url,
            verify=True,
            on_lookup=lookups.append,
        )

    with ThreadPoolExecutor(6) as pool:
        paths = set(pool.map(fetch, range(6)))

    assert paths == {cache / HOST / "files" / "payload.bin"}
    assert slow_publisher.log.hits[PAYLOAD_PATH] == 1
    # One miss (the download); the callers that waited for it found it cached.
    assert sorted(lookups) == [False, True, True, True, True, True]
    assert paths.pop().read_bytes() == PAYLOAD


def test_concurrent_processes_download_once(slow_publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    job = partial(
        fetch_source, source("payload.bin"), cache, mirror=slow_publisher.url, verify=True
    )
    with ProcessPoolExecutor(3, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(job) for _ in range(3)]
        paths = {future.result(timeout=60) for future in futures}

    assert paths == {cache / HOST / "files" / "payload.bin"}
    assert slow_publisher.log.hits[PAYLOAD_PATH] == 1


def test_http_error_is_a_source_error_naming_the_url(publisher: Publisher, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        fetch_source(source("missing.zip"), tmp_path / "cache", mirror=publisher.url, verify=True)
    assert caught.value.message == (
        f"could not download {publisher.url}/{HOST}/files/missing.zip: HTTP 404 Not Found"
    )
    assert caught.value.__context__ is None


def test_unreachable_server_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.01)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mirror = f"http://127.0.0.1:{port}"
    with pytest.raises(SourceError, match=f"could not download {mirror}/{HOST}/files/a.zip: "):
        fetch_source(source("a.zip"), tmp_path / "cache", mirror=mirror, verify=True, timeout=5)


class _Flaky(ThreadingHTTPServer):
    """Serves PAYLOAD, failing the first requests: HTTP 503s, then a body cut short."""

    def __init__(self, statuses: list[int], cut_after: int | None) -> None:
        self.statuses = statuses
        self.cut_after = cut_after
        self.requests: list[str | None] = []
        super().__init__(("127.0.0.1", 0), _FlakyHandler)


class _FlakyHandler(BaseHTTPRequestHandler):
    server: _Flaky

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        wanted = self.headers.get("Range")
        self.server.requests.append(wanted)
        if self.server.statuses:
            self.send_error(self.server.statuses.pop(0))
            return
        start = int(wanted.removeprefix("bytes=").rstrip("-")) if wanted else 0
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(PAYLOAD) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.end_headers()
        body = PAYLOAD[start:]
        if self.server.cut_after is not None:
            body, self.server.cut_after = body[: self.server.cut_after], None
            self.close_connection = True
        self.wfile.write(body)


@contextmanager
def _flaky(statuses: list[int], cut_after: int | None = None) -> Iterator[_Flaky]:
    server = _Flaky(statuses, cut_after)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_transient_failures_are_retried_and_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.01)
    with _flaky([503, 429], cut_after=2_000_000) as server:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        path = fetch_source(source("payload.bin"), tmp_path / "cache", mirror=mirror, verify=True)
    assert path.read_bytes() == PAYLOAD
    # Two refusals, a body cut after 2 MB (1 MiB of it stored: writes go by the MiB),
    # then the rest asked for with a Range.
    assert server.requests == [None, None, None, f"bytes={2**20}-"]


def test_lasting_failures_give_up_after_the_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.01)
    with _flaky([503] * 10) as server:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(SourceError, match=r"payload\.bin: HTTP 503 Service Unavailable$"):
            fetch_source(source("payload.bin"), tmp_path / "cache", mirror=mirror, verify=True)
    assert len(server.requests) == fetch.ATTEMPTS


def test_one_attempt_gives_up_at_the_first_transient_failure(tmp_path: Path) -> None:
    # What an estimate asks for: a person is waiting, so no backoff.
    with _flaky([503] * 10) as server:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(SourceError, match=r"payload\.bin: HTTP 503 Service Unavailable$"):
            fetch_source(
                source("payload.bin"), tmp_path / "cache", mirror=mirror, verify=True, attempts=1
            )
    assert len(server.requests) == 1


def test_a_client_error_is_not_retried(tmp_path: Path) -> None:
    with _flaky([403] * 10) as server:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(SourceError, match="HTTP 403 Forbidden"):
            fetch_source(source("payload.bin"), tmp_path / "cache", mirror=mirror, verify=True)
    assert len(server.requests) == 1


PAYLOAD_SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


def test_a_checksum_names_its_algorithm(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pinned = source("payload.bin", checksum=f"SHA1:{PAYLOAD_SHA1.upper()}")
    path = fetch_source(pinned, cache, mirror=publisher.url, verify=True)
    assert path.with_name("payload.bin.sha1").read_text() == PAYLOAD_SHA1
    assert cached_digest(path) == SourceDigest(len(PAYLOAD), PAYLOAD_SHA)
    fetch_source(pinned, cache, mirror=publisher.url, verify=True)
    assert publisher.log.hits[PAYLOAD_PATH] == 1

    wrong = source("payload.bin", checksum="sha1:" + "0" * 40)
    with pytest.raises(SourceError) as caught:
        fetch_source(wrong, tmp_path / "other", mirror=publisher.url, verify=True)
    assert caught.value.message.endswith(f"has sha1 {PAYLOAD_SHA1}, expected {'0' * 40}")
    # Cached bytes that no longer match the pin are fetched again, and refused.
    with pytest.raises(SourceError, match="has sha1"):
        fetch_source(wrong, cache, mirror=publisher.url, verify=True)
    assert publisher.log.hits[PAYLOAD_PATH] == 3
    assert fetch_source(wrong, cache, mirror=publisher.url, verify=False).read_bytes() == PAYLOAD


@pytest.mark.parametrize("checksum", ["sha1", "crc32:00000000", "sha1:abc", "md5:" + "g" * 32])
def test_malformed_checksums_are_refused(checksum: str) -> None:
    with pytest.raises(SourceError, match="is not <algorithm>:<hex digest>"):
        parse_checksum(checksum)


def test_credentials_in_the_mirror_url_never_reach_the_message(
    publisher: Publisher, tmp_path: Path
) -> None:
    mirror = publisher.url.replace("http://", "http://reader:s3cret@")
    with pytest.raises(SourceError) as caught:
        fetch_source(source("missing.zip"), tmp_path / "cache", mirror=mirror, verify=True)
    assert "s3cret" not in caught.value.message
    assert f"{publisher.url}/{HOST}/files/missing.zip" in caught.value.message


def test_file_mirror_is_copied(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    mirror = publisher.root.as_uri()
    path = fetch_source(
        source("payload.bin", sha256=PAYLOAD_SHA), cache, mirror=mirror, verify=True
    )
    assert path.read_bytes() == PAYLOAD
    with pytest.raises(SourceError, match="not found in the mirror"):
        fetch_source(source("missing.zip"), cache, mirror=mirror, verify=True)


@pytest.mark.parametrize(
    ("url", "filename"),
    [
        (f"https://{HOST}/files/../../../etc/passwd", "passwd"),
        (f"https://{HOST}/files/%2e%2e/x.zip", "x.zip"),
        (f"https://{HOST}/a%2Fb/x.zip", "x.zip"),
        (f"https://{HOST}//x.zip", "x.zip"),
        (f"https://{HOST}/files/x.zip", "../x.zip"),
        (f"https://{HOST}/files/x.zip", "sub/x.zip"),
        (f"https://{HOST}/files/x.zip", ".."),
        (f"https://{HOST}/files/x.zip", ""),
        ("https://../files/x.zip", "x.zip"),
        (f"https://user:pw@{HOST}/x.zip", "x.zip"),
        ("ftp://example.org/x.zip", "x.zip"),
        ("/etc/passwd", "passwd"),
    ],
)
def test_urls_and_filenames_that_escape_the_cache_are_refused(
    tmp_path: Path, url: str, filename: str
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(SourceError, match=r"unsafe path segment|unsupported source URL"):
        fetch_source(
            Source(url=url, filename=filename), cache, mirror="http://127.0.0.1:9", verify=True
        )
    assert not cache.exists()


def test_each_cached_file_records_its_size_and_sha256(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)
    assert cached_digest(path) == SourceDigest(size=len(PAYLOAD), sha256=PAYLOAD_SHA)


def test_a_truncated_cached_file_is_fetched_again(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)
    path.write_bytes(PAYLOAD[:1000])
    with pytest.raises(SourceError, match="changed after it was fetched"):
        cached_digest(path)
    again = fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True)
    assert again.read_bytes() == PAYLOAD
    assert publisher.log.hits[PAYLOAD_PATH] == 2


def test_a_file_cached_without_a_record_gets_one(publisher: Publisher, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = cache / HOST / "files" / "payload.bin"
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD)
    assert fetch_source(source("payload.bin"), cache, mirror=publisher.url, verify=True) == path
    assert publisher.log.hits[PAYLOAD_PATH] == 0
    assert cached_digest(path).sha256 == PAYLOAD_SHA
