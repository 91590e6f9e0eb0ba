"""The publish lock across engines, and heartbeats through a database outage."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy.engine import make_url

from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.locks import named_lock
from autopkg.db.migrate import upgrade
from autopkg.db.session import Database
from autopkg.jobs.policy import RunPolicy
from autopkg.jobs.progress import RunReporter
from tests.fixtures.postgres import allow_connections, postgis_database
from tests.fixtures.waiting import wait_until
from tests.unit.jobs.conftest import ZONE
from tests.unit.jobs.helpers import MAX, queue, state


def test_named_lock_excludes_another_engine(database: Database) -> None:
    # A second Database is a separate pool, as another process or machine would have.
    other = Database(database.url)
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with named_lock(database, "publish-zone"):
            order.append("first in")
            held.set()
            time.sleep(0.3)
            order.append("first out")

    def second() -> None:
        assert held.wait(10)
        with named_lock(other, "publish-zone"):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    other.dispose()
    assert order == ["first in", "first out", "second in"]


def test_heartbeat_survives_a_short_outage_and_stops_after_a_long_one() -> None:
    with postgis_database() as url:
        database = Database(url)
        upgrade(database)
        with database.session() as session:
            boundary_repo.upsert(session, [ZONE])
        name = make_url(url).database
        assert name is not None
        lease = timedelta(seconds=2)
        run_id = queue(database)
        with database.session() as session:
            assert run_repo.claim(session, owner="me", lease=lease, max_attempts=MAX)
        with RunReporter(database, run_id=run_id, owner="me", policy=RunPolicy(lease)) as reporter:
            allow_connections(name, allowed=False)
            time.sleep(1.0)
            allow_connections(name, allowed=True)
            time.sleep(1.5)
            reporter.report(50, "after a short outage")
            assert not reporter.lost
            allow_connections(name, allowed=False)
            wait_until(lambda: reporter.lost, what="the lease given up", timeout=20)
            allow_connections(name, allowed=True)
        assert state(database, run_id)[:2] == ("EXECUTING", 1)
        database.dispose()
