"""Engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

T = TypeVar("T")


# Enough open SQLite connections for every thread that may query at once (the API's
# thread pool of 40 and the in-process workers): a connection opened for one request and
# closed after it costs more than the request (file open, four PRAGMAs), and a thread
# waiting for a connection adds to the tail of every read route.
SQLITE_POOL_SIZE = 48


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and writer-first transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
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
        # locking; take control so every transaction starts with BEGIN IMMEDIATE.
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
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_READ_ONLY = "autopkg_read_only"


class Database:
    """An engine plus its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
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
        """A session for queries only; on SQLite it does not take the write lock."""
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in one transaction for queries only, like :meth:`read_session`.

        For reads that return plain rows, without the cost of loading ORM objects.
        """
        with self._read_engine.connect() as connection, connection.begin():
            yield connection

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
