"""Per-boundary publish lock shared by threads and processes on one machine."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autopkg.slugs import require_slug


@contextmanager
def boundary_lock(lock_dir: Path, boundary_name: str) -> Iterator[None]:
    """Hold an exclusive lock for ``boundary_name`` while its manifest is rewritten.

    ``flock`` locks belong to an open file description, so two threads of one process
    exclude each other as well as two processes (the CLI beside ``autopkg serve``).
    """
    require_slug(boundary_name, "boundary name")
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{boundary_name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
