"""Named locks that hold wherever the database is shared.

On PostgreSQL a lock is a session-level advisory lock, so it excludes every process
on every machine using that database (API processes, Celery workers, the CLI). On
SQLite, whose file can only be shared by processes of one machine, it is an ``flock``
(filelock) on a file beside the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from autopkg.db.session import Database

log = logging.getLogger(__name__)

_LOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")
_PATIENCE_SECS = 30.0


def advisory_key(name: str) -> int:
    """The key of PostgreSQL's advisory lock called ``name``."""
    # Advisory locks take a signed 64-bit key: the first 8 bytes of a digest of the
    # name make collisions between distinct names practically impossible.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(database: Database, name: str) -> Iterator[None]:
    """Hold the exclusive lock called ``name`` (``[a-z0-9_-]``, e.g. ``publish-gha``).

    Blocks until the lock is free. The lock is released when the block ends, and also
    if this process dies (the server drops the session; the kernel drops the flock).

    Raises:
        ValueError: if ``name`` is not a valid lock name.
    """
    if not _LOCK_NAME.fullmatch(name):
        raise ValueError(f"invalid lock name {name!r}")
    if database.dialect == "postgresql":
        key = advisory_key(name)
        with _connect_retrying(database) as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except OperationalError:
                    # The connection is gone (a server restart): the server released
                    # the lock with the session, so there is nothing left to unlock.
                    log.warning("lock %s: connection lost before unlocking", name)
        return
    folder = _sqlite_lock_dir(database.url)
    folder.mkdir(parents=True, exist_ok=True)
    # A lock object per call: each opens its own descriptor, so the flock excludes
    # other threads of this process as well as other processes.
    with FileLock(folder / f"{name}.lock"):
        yield


def _connect_retrying(database: Database) -> Connection:
    """A connection, waiting out a short outage (a server restart) with backoff."""
    for attempt in Retrying(
        retry=retry_if_exception_type(OperationalError),
        stop=stop_after_delay(_PATIENCE_SECS),
        wait=wait_exponential(multiplier=0.1, max=2),
        reraise=True,
    ):
        with attempt:
            return database.engine.connect()
    raise AssertionError("unreachable: Retrying either returns or raises")


def _sqlite_lock_dir(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("named locks need a file-backed SQLite database")
    path = Path(database)
    return path.with_name(path.name + ".locks")
