"""A country's admin-1 and admin-2 units, loaded from geoBoundaries once, on first use.

The database decides who loads: a named lock per country (an advisory lock on
PostgreSQL, a file lock beside SQLite) held while the units are fetched and stored, and
a ``boundary_loads`` row per level written in the same transaction as the units. Every
concurrent first request waits for the lock, then finds the row and loads nothing.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autopkg.boundaries.admin_units import build_units
from autopkg.boundaries.geoboundaries import Release, api_source, fetch_release
from autopkg.db import boundaries as boundary_repo
from autopkg.db.locks import named_lock
from autopkg.domain.boundary import Boundary
from autopkg.domain.sources import Source
from autopkg.errors import SourceError, SourceUnavailableError
from autopkg.processors.fetch import fetch_source
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

#: Admin levels geoBoundaries provides below the country.
LEVELS = (1, 2)
#: Downloads tried per file while a request waits: a person is told of an outage in
#: seconds, not after the full backoff a command line import can afford.
ON_DEMAND_ATTEMPTS = 2
# A unit id starts with its country's id: three letters and a dash.
_UNIT_ID = re.compile(r"^(?P<country>[a-z]{3})-")


@dataclass
class LoadResult:
    """What loading a country did: units stored per level, units skipped and why."""

    country: str
    stored: dict[int, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def ensure_units(
    rt: Runtime,
    country: Boundary,
    levels: Iterable[int] = LEVELS,
    *,
    progress: Callable[[str], None] | None = None,
    attempts: int = ON_DEMAND_ATTEMPTS,
) -> LoadResult:
    """Load ``country``'s units at ``levels`` unless they are loaded; admin-2 needs
    admin-1 (its parents), so asking for level 2 loads both. Each file is tried
    ``attempts`` times.

    Raises:
        SourceUnavailableError: the publisher (or the mirror) cannot be reached or
            serves something unusable; the message names the URL and the mirror
            setting. Nothing is stored then.
    """
    numbers = list(range(1, max(levels) + 1))
    wanted = {str(level) for level in numbers}
    result = LoadResult(country=country.name)
    with rt.database.read_session() as session:
        if wanted <= boundary_repo.loaded_levels(session, country=country.name):
            return result
    # Threads sharing a connection pool queue here first, holding no connection, so many
    # first requests cannot take every pooled connection while the loader needs one.
    with (
        _pool_lock(rt, country.name),
        named_lock(rt.database, f"admin-units-{country.name}"),
    ):
        with rt.database.read_session() as session:
            missing = wanted - boundary_repo.loaded_levels(session, country=country.name)
        if not missing:
            return result
        releases = _fetch(rt, country, numbers, progress, attempts)
        report = build_units(country, releases)
        for reason in report.skipped:
            log.warning("%s: skipped %s", country.name, reason)
        result.skipped = report.skipped
        with rt.database.session() as session:
            boundary_repo.upsert(session, report.boundaries)
            for level in numbers:
                units = sum(b.admin_level == level for b in report.boundaries)
                boundary_repo.record_load(
                    session, country=country.name, admin_level=str(level), units=units
                )
                result.stored[level] = units
    log.info("loaded admin units of %s: %s", country.name, result.stored)
    return result


_pool_locks: dict[tuple[int, str], threading.Lock] = {}
_pool_locks_guard = threading.Lock()


def _pool_lock(rt: Runtime, country: str) -> threading.Lock:
    """The lock of ``country`` among the threads using ``rt``'s database engine."""
    with _pool_locks_guard:
        return _pool_locks.setdefault((id(rt.database), country), threading.Lock())


def _fetch(
    rt: Runtime,
    country: Boundary,
    levels: list[int],
    progress: Callable[[str], None] | None,
    attempts: int,
) -> list[Release]:
    settings = rt.settings
    iso3 = country.name.upper()

    def fetch(source: Source) -> Path:
        return fetch_source(
            source,
            settings.source_cache,
            mirror=settings.source_mirror,
            verify=settings.verify_source_checksums,
            attempts=attempts,
        )

    releases = []
    for level in levels:
        if progress is not None:
            progress(f"{iso3} ADM{level}")
        try:
            release = fetch_release(fetch, iso3, level)
        except SourceError as exc:
            mirror = settings.source_mirror
            raise SourceUnavailableError(
                f"the admin-{level} units of {country.name_long} could not be fetched from "
                f"{api_source(iso3, level).url}: {exc.message} (AUTOPKG_SOURCE_MIRROR is "
                + (f"{mirror!r})" if mirror else "not set: the publisher is asked directly)")
            ) from None
        if release is not None:
            releases.append(release)
    return releases


def countries(rt: Runtime) -> list[Boundary]:
    """Every country (admin level 0), by id."""
    with rt.database.read_session() as session:
        return [b for b in boundary_repo.listed_boundaries(session) if b.admin_level == 0]


def children(rt: Runtime, boundary: Boundary) -> list[boundary_repo.Found]:
    """The units ``boundary`` holds, loading its country's units on first use."""
    if boundary.admin_level == 0:
        ensure_units(rt, boundary)
    with rt.database.read_session() as session:
        return boundary_repo.children(session, parent=boundary.name)


def load_unit_on_demand(rt: Runtime, name: str) -> bool:
    """Load the units of the country a unit id names, if they are not loaded yet.

    Returns whether a load was attempted (``name`` looks like a unit of a country
    whose units were not all loaded).
    """
    found = _UNIT_ID.match(name)
    if found is None:
        return False
    with rt.database.read_session() as session:
        country = boundary_repo.get(session, name=found["country"])
        if country is None or country.admin_level != 0:
            return False
        if {str(level) for level in LEVELS} <= boundary_repo.loaded_levels(
            session, country=country.name
        ):
            return False
    ensure_units(rt, country)
    return True
