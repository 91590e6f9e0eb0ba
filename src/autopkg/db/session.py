"""Engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from autopkg.errors import ReadTimeoutError

T = TypeVar("T")


# Enough open SQLite connections for every thread that may query at once (the API's
# thread pool of 40 and the in-process workers): a connection opened for one request and
# closed after it costs more than the request (file open, four PRAGMAs), and a thread
# waiting for a connection adds to the tail of every read route.
SQLITE_POOL_SIZE = 48


# SQLite calls the progress handler every this many virtual machine instructions: often
# enough to stop within milliseconds of the deadline, rarely enough to cost nothing.
_SQLITE_PROGRESS_STEPS = 10_000
#: Longest a read-only transaction runs unless told otherwise (the setting's default).
READ_TIMEOUT_SECS = 10.0


def make_engine(url: str, *, read_timeout: float = READ_TIMEOUT_SECS) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and writer-first transactions.

    A read-only transaction (:meth:`Database.read_session`, :meth:`Database.read_connection`)
    is stopped by the database once it has run ``read_timeout`` seconds: a request must
    never hold a database connection, and a core, for as long as its query can be made
    to cost. PostgreSQL gets a ``statement_timeout`` for the transaction, SQLite a
    progress handler that interrupts the statement past the deadline.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        timeout_ms = math.ceil(read_timeout * 1000)

        @event.listens_for(engine, "begin")
        def _on_begin_postgresql(connection: Any) -> None:
            if connection.get_execution_options().get(_READ_ONLY):
                # A whole number, not input: no parameter can be bound in SET.
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 60},
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT and
        # locking; take control so _on_begin chooses how each transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Taking the write lock up front makes "insert or join the active run" atomic
        # and avoids SQLITE_BUSY upgrades from read to write mid-transaction. Read-only
        # sessions use a deferred BEGIN: in WAL mode they never wait for writers.
        driver: sqlite3.Connection = connection.connection.driver_connection
        if connection.get_execution_options().get(_READ_ONLY):
            deadline = time.monotonic() + read_timeout
            driver.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)
            connection.exec_driver_sql("BEGIN")
        else:
            # A pooled connection keeps its handler: a write is never interrupted.
            driver.set_progress_handler(None, 0)
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _timed_out(error: OperationalError) -> bool:
    """Whether the database stopped a statement for running past the read timeout."""
    # PostgreSQL's SQLSTATE 57014 (query_canceled); SQLite's interrupted statement.
    return getattr(error.orig, "sqlstate", None) == "57014" or "interrupted" in str(error.orig)


_READ_ONLY = "autopkg_read_only"


class Database:
    """An engine plus its session factory."""

    def __init__(self, url: str, *, read_timeout: float = READ_TIMEOUT_SECS) -> None:
        self.url = url
        self.read_timeout = read_timeout
        self.engine = make_engine(url, read_timeout=read_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{_READ_ONLY: True})
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for queries only; on SQLite it does not take the write lock.

        Raises:
            ReadTimeoutError: the transaction ran longer than the read timeout.
        """
        with self._stopped_reads(), self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in one transaction for queries only, like :meth:`read_session`.

        For reads that return plain rows, without the cost of loading ORM objects.

        Raises:
            ReadTimeoutError: the transaction ran longer than the read timeout.
        """
        with self._stopped_reads(), self._read_engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _stopped_reads(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            if not _timed_out(error):
                raise
            raise ReadTimeoutError(
                f"the database stopped this read after {self.read_timeout:g} s "
                "(AUTOPKG_DATABASE_READ_TIMEOUT_SECS): ask for less, or try again later",
                retry_after=max(1, math.ceil(self.read_timeout)),
            ) from error

    def transact_retrying(self, work: Callable[[Session], T], *, for_seconds: float) -> T:
        """Run ``work`` in one transaction, retrying while the database is unreachable.

        A restart of the database server or a dropped connection raises
        ``OperationalError``; the whole transaction is then tried again with backoff
        (0.1 s doubling to 2 s) for up to ``for_seconds``, after which the error is raised.
        ``work`` must be safe to repeat: the transitions are conditional UPDATEs.
        """
        for attempt in Retrying(
            retry=retry_if_exception_type(OperationalError),
            stop=stop_after_delay(for_seconds),
            wait=wait_exponential(multiplier=0.1, max=2),
            reraise=True,
        ):
            with attempt, self.session() as session:
                return work(session)
        raise AssertionError("unreachable: Retrying either returns or raises")

    def ping(self) -> bool:
        """Return whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
