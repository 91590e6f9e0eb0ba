"""The contract every Storage backend keeps (run once per backend in ``BACKENDS``)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autopkg.errors import InvalidInputError, NotFoundError
from autopkg.packaging.store import list_packages
from autopkg.storage.base import Storage, StoredFile

BAD_KEYS = [
    "../x",
    "a/../../b",
    "/etc/passwd",
    "a\\b",
    "..\\x",
    "",
    "a//b",
    "a/",
    "./a",
    "a/./b",
    "a/..",
    ".hidden/x",
    "gha/.tmp-abc",
    "gha/data file.tif",
    "gha/\x00x",
]


def test_bytes_round_trip_and_size(storage: Storage) -> None:
    storage.put_bytes(b"hello world", "gha/datasets/p/v/data/a.txt", "text/plain")
    assert storage.get_bytes("gha/datasets/p/v/data/a.txt") == b"hello world"
    assert storage.size("gha/datasets/p/v/data/a.txt") == 11


def test_put_file_copies_and_replaces(storage: Storage, tmp_path: Path) -> None:
    first, second = tmp_path / "first.bin", tmp_path / "second.bin"
    first.write_bytes(bytes(range(256)) * 4096)
    second.write_bytes(b"short")
    storage.put_file(first, "gha/data.bin", "application/octet-stream")
    assert storage.get_bytes("gha/data.bin") == bytes(range(256)) * 4096
    storage.put_file(second, "gha/data.bin", "application/octet-stream")
    assert storage.get_bytes("gha/data.bin") == b"short"
    assert storage.size("gha/data.bin") == 5
    assert first.read_bytes() == bytes(range(256)) * 4096


def test_put_file_reports_the_size_and_sha256_it_wrote(storage: Storage, tmp_path: Path) -> None:
    # Larger than S3's multipart threshold would be slow here; several read chunks are
    # enough to show the digest covers every byte in order.
    payload = np.random.default_rng(3).integers(0, 256, 5 * 2**20 + 17, dtype=np.uint8).tobytes()
    local = tmp_path / "payload.bin"
    local.write_bytes(payload)
    written = storage.put_file(local, "gha/datasets/p/v/data/payload.bin", "application/x-test")
    assert written == StoredFile(size=len(payload), sha256=hashlib.sha256(payload).hexdigest())
    assert storage.get_bytes("gha/datasets/p/v/data/payload.bin") == payload


def test_iter_chunks_streams_in_order(storage: Storage) -> None:
    storage.put_bytes(b"0123456789", "gha/digits", "text/plain")
    assert list(storage.iter_chunks("gha/digits", chunk_size=3)) == [b"012", b"345", b"678", b"9"]
    assert b"".join(storage.iter_chunks("gha/digits")) == b"0123456789"


def test_missing_objects(storage: Storage) -> None:
    assert storage.get_bytes("gha/nothing") is None
    assert storage.size("gha/nothing") is None
    with pytest.raises(NotFoundError):
        storage.iter_chunks("gha/nothing")
    storage.delete("gha/nothing")
    assert storage.list_keys("gha/") == []


def test_delete_removes_only_that_key(storage: Storage) -> None:
    storage.put_bytes(b"a", "gha/a", "text/plain")
    storage.put_bytes(b"b", "gha/b", "text/plain")
    storage.delete("gha/a")
    assert storage.get_bytes("gha/a") is None
    assert storage.list_keys("gha/") == ["gha/b"]


def test_list_keys_is_a_folder_listing(storage: Storage) -> None:
    for key in ["gha/z.txt", "gha/datasets/p/v/data/f.tif", "gha2/a.txt", "gh/a.txt"]:
        storage.put_bytes(key.encode(), key, "text/plain")
    assert storage.list_keys("gha/") == ["gha/datasets/p/v/data/f.tif", "gha/z.txt"]
    assert storage.list_keys("gha/datasets/") == ["gha/datasets/p/v/data/f.tif"]
    assert storage.list_keys("") == [
        "gh/a.txt",
        "gha/datasets/p/v/data/f.tif",
        "gha/z.txt",
        "gha2/a.txt",
    ]
    assert storage.list_keys("ken/") == []
    with pytest.raises(InvalidInputError):
        storage.list_keys("gha")


def test_folders_are_listed_and_a_package_needs_a_manifest(storage: Storage) -> None:
    storage.put_bytes(b"{}", "zmb/datapackage.json", "application/json")
    storage.put_bytes(b"{}", "gha/datapackage.json", "application/json")
    storage.put_bytes(b"x", "ken/datasets/p/v/data/f.tif", "image/tiff")
    storage.put_bytes(b"x", "nga/index.html", "text/html")
    assert storage.list_folders() == ["gha", "ken", "nga", "zmb"]
    assert list_packages(storage) == ["gha", "zmb"]


def test_url_joins_host_and_key(storage: Storage) -> None:
    key = "gha/datasets/p/v1/data/p-v1-gha.tif"
    assert storage.url(key, "http://h:8/packages") == f"http://h:8/packages/{key}"
    assert storage.url(key, "http://h:8/packages/") == f"http://h:8/packages/{key}"


@pytest.mark.parametrize("key", BAD_KEYS)
def test_unsafe_keys_are_refused_everywhere(storage: Storage, key: str, tmp_path: Path) -> None:
    local = tmp_path / "local.bin"
    local.write_bytes(b"x")
    calls: list[Callable[[], object]] = [
        lambda: storage.put_bytes(b"x", key, "text/plain"),
        lambda: storage.put_file(local, key, "text/plain"),
        lambda: storage.get_bytes(key),
        lambda: storage.size(key),
        lambda: storage.delete(key),
        lambda: storage.iter_chunks(key),
        lambda: storage.url(key, "http://h"),
        lambda: storage.list_keys(key + "/"),
        lambda: storage.copy(key, "gha/copy.bin"),
        lambda: storage.copy("gha/index.html", key),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()
    assert storage.list_keys("") == []


def test_copy_keeps_its_bytes_when_the_original_is_replaced(
    storage: Storage, tmp_path: Path
) -> None:
    local = tmp_path / "f.bin"
    local.write_bytes(b"first" * 1000)
    storage.put_file(local, "gha/datasets/p/v/data/f.bin", "application/octet-stream")
    storage.copy("gha/datasets/p/v/data/f.bin", "gha/versions/1.0.0/datasets/p/v/data/f.bin")
    local.write_bytes(b"second")
    storage.put_file(local, "gha/datasets/p/v/data/f.bin", "application/octet-stream")
    assert storage.get_bytes("gha/datasets/p/v/data/f.bin") == b"second"
    assert storage.get_bytes("gha/versions/1.0.0/datasets/p/v/data/f.bin") == b"first" * 1000
    storage.delete("gha/datasets/p/v/data/f.bin")
    assert storage.size("gha/versions/1.0.0/datasets/p/v/data/f.bin") == 5000
    with pytest.raises(NotFoundError):
        storage.copy("gha/datasets/p/v/data/f.bin", "gha/versions/2.0.0/f.bin")
    assert storage.list_keys("gha/") == ["gha/versions/1.0.0/datasets/p/v/data/f.bin"]


def test_writes_leave_only_the_written_keys(storage: Storage, tmp_path: Path) -> None:
    local = tmp_path / "f.bin"
    local.write_bytes(b"y" * 100_000)
    for n in range(5):
        storage.put_bytes(b"x" * n, "gha/index.html", "text/html")
        storage.put_file(local, f"gha/datasets/p/v/data/f{n}.bin", "application/octet-stream")
    assert storage.list_keys("") == ["gha/datasets/p/v/data/f0.bin"] + [
        f"gha/datasets/p/v/data/f{n}.bin" for n in range(1, 5)
    ] + ["gha/index.html"]


def test_readers_see_whole_versions_while_a_writer_replaces(storage: Storage) -> None:
    versions = [bytes([65 + n]) * 2_000_000 for n in range(3)]
    storage.put_bytes(versions[0], "gha/datapackage.json", "application/json")
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            storage.put_bytes(versions[n % 3], "gha/datapackage.json", "application/json")

    writer = threading.Thread(target=write)
    writer.start()
    seen = set()
    try:
        for _ in range(200):
            data = storage.get_bytes("gha/datapackage.json")
            assert data in versions
            seen.add(data[:1] if data else b"")
    finally:
        stop.set()
        writer.join()
    assert len(seen) >= 2
