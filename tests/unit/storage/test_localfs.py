"""What only the local-folder backend promises: paths, file modes, crash safety on disk."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autopkg.errors import InvalidInputError, NotFoundError, StorageError
from autopkg.packaging.store import list_packages
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.waiting import wait_until

CRASHING_WRITER = """
import sys
from pathlib import Path
from autopkg.storage.localfs import LocalFSStorage
LocalFSStorage(Path(sys.argv[1])).put_file(Path(sys.argv[2]), "gha/data/big.bin", "x")
"""


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_path_of_maps_keys_under_the_root(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path / "root")
    assert storage.path_of("gha/datapackage.json") == (tmp_path / "root/gha/datapackage.json")
    with pytest.raises(InvalidInputError):
        storage.path_of("gha/../../etc/passwd")


def test_traversal_writes_nothing_outside_the_root(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path / "root")
    for key in ["../escaped", "a/../../escaped", str(tmp_path / "escaped")]:
        with pytest.raises(InvalidInputError):
            storage.put_bytes(b"x", key, "text/plain")
    assert all_files(tmp_path) == []


def test_successful_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    storage = LocalFSStorage(root)
    source = tmp_path / "src.bin"
    source.write_bytes(b"z" * 3_000_000)
    storage.put_file(source, "gha/a.bin", "application/octet-stream")
    storage.put_bytes(b"{}", "gha/datapackage.json", "application/json")
    storage.put_bytes(b"{ }", "gha/datapackage.json", "application/json")
    assert all_files(root) == ["gha/a.bin", "gha/datapackage.json"]
    assert (root / "gha/datapackage.json").read_bytes() == b"{ }"
    assert (root / "gha/a.bin").stat().st_mode & 0o777 == 0o644


def test_failed_copy_leaves_nothing(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path / "root")
    with pytest.raises(FileNotFoundError):
        storage.put_file(tmp_path / "missing.bin", "gha/a.bin", "application/octet-stream")
    assert all_files(tmp_path) == []


def test_killed_writer_leaves_no_visible_partial_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    storage = LocalFSStorage(root)
    storage.put_bytes(b"old", "gha/data/big.bin", "application/octet-stream")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    child = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(root), str(fifo)])
    pipe = fifo.open("wb")  # blocks until the child opens the pipe to copy it
    try:
        pipe.write(b"n" * 1_000_000)
        pipe.flush()
        wait_until(
            lambda: any(p.name.startswith(".tmp-") for p in (root / "gha/data").iterdir()),
            what="the writer's temp file",
            timeout=20,
            interval=0.01,
        )
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=20) == -signal.SIGKILL
    finally:
        child.kill()
        child.wait(timeout=20)
        with contextlib.suppress(BrokenPipeError):
            pipe.close()
    temps = [p for p in (root / "gha/data").iterdir() if p.name.startswith(".tmp-")]
    assert len(temps) == 1
    assert storage.get_bytes("gha/data/big.bin") == b"old"
    assert storage.list_keys("gha/") == ["gha/data/big.bin"]


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (outside / "datapackage.json").write_text("{}")
    storage = LocalFSStorage(tmp_path / "root")
    storage.put_bytes(b"real", "gha/data/real.bin", "x")
    data = tmp_path / "root/gha/data"
    (data / "linked.bin").symlink_to(outside / "secret.txt")
    (tmp_path / "root/gha/folder").symlink_to(outside)
    (tmp_path / "root/evil").symlink_to(outside)

    for key in ("gha/data/linked.bin", "gha/folder/secret.txt", "evil/datapackage.json"):
        assert storage.get_bytes(key) is None, key
        assert storage.size(key) is None, key
        with pytest.raises(NotFoundError):
            storage.iter_chunks(key)
    assert storage.list_keys("gha/") == ["gha/data/real.bin"]
    assert storage.list_keys("evil/") == []
    assert storage.list_folders() == ["gha"]
    assert list_packages(storage) == []
    assert storage.get_bytes("gha/data/real.bin") == b"real"
    assert storage.size("gha/data") is None  # a folder is not an object


FILE_SIZE_LIMITED_WRITER = """
import resource, signal, sys
from pathlib import Path
from autopkg.errors import StorageError
from autopkg.storage.localfs import LocalFSStorage
# Over RLIMIT_FSIZE a write fails with EFBIG (once SIGXFSZ no longer kills the process),
# the same path through the code as a full disk's ENOSPC.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
try:
    LocalFSStorage(Path(sys.argv[1])).put_bytes(b"x" * 1_000_000, "gha/data/big.bin", "x")
except StorageError as exc:
    print(exc.code, exc.message, sep="|")
"""


def test_a_failed_write_names_its_cause_and_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMITED_WRITER, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storage_error|file too large writing gha/data/big.bin"
    assert all_files(root) == []


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path)
    storage.put_bytes(b"a file", "gha/datasets", "x")
    with pytest.raises(StorageError) as caught:
        storage.put_bytes(b"data", "gha/datasets/x/data/f.tif", "x")
    assert caught.value.message == "not a directory writing gha/datasets/x/data/f.tif"
    assert caught.value.code == "storage_error"
    assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOTDIR
