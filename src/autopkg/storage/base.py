"""The storage protocol every backend implements.

Keys are ``/``-separated paths relative to the storage root, always starting with a
boundary slug (``gha/datapackage.json``). Backends refuse keys that are absolute,
contain ``..``/empty segments or backslashes. Every write is atomic: readers see the
old object or the new one, never a partial one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredFile:
    """What a file upload wrote: its size and the sha256 hex digest of its bytes."""

    size: int
    sha256: str


class Storage(Protocol):
    """Where published packages live."""

    def put_file(self, local_path: Path, key: str, content_type: str) -> StoredFile:
        """Copy a local file to ``key`` atomically (replacing any existing object).

        The sha256 is computed from the bytes as they are sent, so the file is read once.
        """
        ...

    def put_bytes(self, data: bytes, key: str, content_type: str) -> None:
        """Write ``data`` to ``key`` atomically."""
        ...

    def get_bytes(self, key: str) -> bytes | None:
        """Return the object's bytes, or ``None`` if it does not exist."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the object's bytes (raises ``NotFoundError`` if missing)."""
        ...

    def size(self, key: str) -> int | None:
        """Return the object's size in bytes, or ``None`` if it does not exist."""
        ...

    def copy(self, key: str, to_key: str) -> None:
        """Copy the object at ``key`` to ``to_key`` atomically, on the storage itself.

        Raises:
            NotFoundError: if there is no object at ``key``.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Return every key under ``prefix`` (a folder-like prefix ending in ``/``)."""
        ...

    def list_folders(self) -> list[str]:
        """Return the names of the top-level folders (the first segment of keys), sorted.

        What each folder holds is the packaging layer's business
        (:func:`autopkg.packaging.store.list_packages`).
        """
        ...

    def url(self, key: str, host_url: str) -> str:
        """Return the public URL of ``key`` under ``host_url`` (no trailing slash)."""
        ...
