"""Named counters in the database, shared by API processes and workers alike.

A counter is created at its first increment (an upsert), so adding one needs no
migration; an absent counter reads as 0.
"""

from __future__ import annotations

import enum

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from autopkg.db.models import CounterRecord


class Counter(enum.StrEnum):
    """The counters autopkg keeps."""

    # Bumped in the same transaction as every boundary write: cached renderings of
    # boundaries are current exactly while it holds the value they were built with.
    BOUNDARIES_VERSION = "boundaries_version"
    # The same for boundaries other than custom areas, which every area-job writes:
    # renderings that leave custom areas out are not rebuilt for those.
    LISTED_BOUNDARIES_VERSION = "listed_boundaries_version"
    # Bumped whenever a package is published, rebuilt or removed, before the run that
    # published it is recorded as finished: a client that saw the job COMPLETE then
    # never reads a package page rendered before the publication.
    PACKAGES_VERSION = "packages_version"
    SOURCE_CACHE_HITS = "source_cache_hits"
    SOURCE_CACHE_MISSES = "source_cache_misses"


def add(session: Session, counter: Counter, amount: int = 1) -> None:
    """Add ``amount`` to ``counter`` in one statement (safe against concurrent writers)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(CounterRecord).values(name=counter.value, value=amount)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CounterRecord.name],
            set_={"value": CounterRecord.value + statement.excluded.value},
        )
    )


# Built once (SQLAlchemy memoises the cache key on the statement): the API reads the
# packages' version on every package request.
_READ = select(CounterRecord.name, CounterRecord.value).where(
    CounterRecord.name.in_(bindparam("names", expanding=True))
)


def read(reader: Session | Connection, *counters: Counter) -> dict[Counter, int]:
    """The current value of each of ``counters`` (0 for one never incremented)."""
    rows = reader.execute(_READ, {"names": [counter.value for counter in counters]})
    found = {name: value for name, value in rows.tuples()}
    return {counter: int(found.get(counter.value, 0)) for counter in counters}
