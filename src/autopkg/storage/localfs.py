"""Package storage in a local folder.

Every write goes to a hidden temporary file in the destination folder, is flushed to
disk and then renamed over the destination with :func:`os.replace`, so a reader (or a
crash) sees the old file or the new one, never half of one. Temporary names start with
``.``, which no valid key segment can, so they never show up as keys.

Symlinks below the root are never followed: they read as missing and are not listed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from autopkg.errors import NotFoundError, StorageError
from autopkg.storage.base import StoredFile
from autopkg.storage.keys import validate_key, validate_prefix

_TMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20


class LocalFSStorage:
    """A :class:`~autopkg.storage.base.Storage` backed by a folder on local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_of(self, key: str) -> Path:
        """Return the local path of ``key`` (validated; the file may not exist)."""
        return self.root.joinpath(*validate_key(key))

    def put_file(self, local_path: Path, key: str, content_type: str) -> StoredFile:
        """Copy ``local_path`` to ``key`` atomically, hashing it on the way.

        ``content_type`` is not stored.
        """
        digest = hashlib.sha256()
        size = 0

        def copy(dst: BinaryIO) -> None:
            nonlocal size
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)

        # Opened first: a missing source is the caller's error, not a storage failure.
        with local_path.open("rb") as src:
            self._write_atomic(key, copy)
        return StoredFile(size=size, sha256=digest.hexdigest())

    def put_bytes(self, data: bytes, key: str, content_type: str) -> None:
        """Write ``data`` to ``key`` atomically (``content_type`` is not stored)."""
        self._write_atomic(key, lambda dst: dst.write(data))

    def get_bytes(self, key: str) -> bytes | None:
        """Return the bytes stored at ``key``, or ``None`` if there is no such file."""
        handle = self._open(key)
        if handle is None:
            return None
        with handle:
            return handle.read()

    def iter_chunks(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the bytes stored at ``key``.

        Raises:
            NotFoundError: if there is no file at ``key`` (raised by the call itself).
        """
        handle = self._open(key)
        if handle is None:
            raise NotFoundError(f"no stored object {key!r}")
        return _read_chunks(handle, chunk_size)

    def size(self, key: str) -> int | None:
        """Return the size of the file at ``key`` in bytes, or ``None`` if missing."""
        info = self.stat(key)
        return info.st_size if info is not None else None

    def stat(self, key: str) -> os.stat_result | None:
        """Return the status of the regular file at ``key``, or ``None`` if there is none.

        A symlink anywhere below the root reads as missing, as in :meth:`get_bytes`.
        """
        path = self.path_of(key)
        if not self._unlinked(path):
            return None
        try:
            info = path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return info if stat.S_ISREG(info.st_mode) else None

    def copy(self, key: str, to_key: str) -> None:
        """Give the file at ``key`` a second name, ``to_key``, by a hard link.

        No byte is copied, and the copy keeps its bytes when ``key`` is written again,
        because every write replaces the file (a new inode) rather than changing it.
        Where the file system refuses links, the bytes are copied.

        Raises:
            NotFoundError: if there is no file at ``key``.
            StorageError: the file system refused, naming the cause and the key.
        """
        target = self.path_of(to_key)
        handle = self._open(key)
        if handle is None:
            raise NotFoundError(f"no stored object {key!r}")
        with handle:
            try:
                _link_atomically(self.path_of(key), target)
            except OSError:
                self._write_atomic(to_key, lambda dst: shutil.copyfileobj(handle, dst, _CHUNK))

    def delete(self, key: str) -> None:
        """Remove the file at ``key`` if present (empty folders are left in place).

        Raises:
            StorageError: the file system refused, naming the cause and the key.
        """
        path = self.path_of(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"{_cause(exc)} deleting {key}", exc.errno) from exc

    def list_keys(self, prefix: str) -> list[str]:
        """Return the sorted keys of every file under the folder-like ``prefix``.

        Raises:
            InvalidInputError: if ``prefix`` is not ``''`` or a valid key ending in ``/``.
        """
        base = self.root.joinpath(*validate_prefix(prefix))
        if not base.is_dir() or not self._unlinked(base):
            return []
        keys: list[str] = []
        for folder, dirs, files in os.walk(base):
            # Hidden names are temporary files or not ours: never expose them as keys.
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = Path(folder).relative_to(self.root).as_posix()
            keys.extend(
                f"{rel}/{name}" if rel != "." else name
                for name in files
                if not name.startswith(".") and not os.path.islink(os.path.join(folder, name))
            )
        return sorted(keys)

    def list_folders(self) -> list[str]:
        """Return the sorted names of the folders at the root, never through a symlink."""
        if not self.root.is_dir():
            return []
        with os.scandir(self.root) as entries:
            return sorted(
                entry.name
                for entry in entries
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
            )

    def url(self, key: str, host_url: str) -> str:
        """Return ``host_url`` joined with the URL-quoted ``key``."""
        return host_url.rstrip("/") + "/" + "/".join(quote(s) for s in validate_key(key))

    def _unlinked(self, path: Path) -> bool:
        """Return whether no component of ``path`` below the root is a symlink."""
        return os.path.realpath(path) == str(path)

    def _open(self, key: str) -> BinaryIO | None:
        """Open the regular file at ``key``, or return ``None`` if there is none.

        Objects are the regular files autopkg wrote. A symlink anywhere below the root
        was put there by someone else and may point anywhere (``/etc``), so it is
        never followed: such a key reads as missing, as it does for ``/packages/``.
        """
        path = self.path_of(key)
        if not self._unlinked(path):
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                return None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")

    def _write_atomic(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        """Write ``key`` with ``write`` through a temporary file, or raise naming the cause.

        Raises:
            StorageError: the file system refused (full, read-only, permissions, a file
                where a folder should be…); nothing is left at ``key`` or beside it.
        """
        target = self.path_of(key)
        try:
            _replace_atomically(target, write)
        except OSError as exc:
            raise StorageError(f"{_cause(exc)} writing {key}", exc.errno) from exc


def _replace_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a temporary file beside ``target`` with ``write``, fsync it, rename it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; published files must be readable by a web server.
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _link_atomically(source: Path, target: Path) -> None:
    """Hard-link ``source`` under a temporary name beside ``target``, then rename it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f"{_TMP_PREFIX}{os.urandom(8).hex()}"
    os.link(source, tmp, follow_symlinks=False)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _cause(exc: OSError) -> str:
    """The system's description of an OS error, lower-cased ("no space left on device")."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return reason[:1].lower() + reason[1:]


def _read_chunks(handle: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    """Yield ``handle``'s bytes chunk by chunk, closing it at the end."""
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries so a completed rename survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
