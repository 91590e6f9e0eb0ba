"""Every source each processor can need, with the publisher records that verify them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from autopkg.domain.sources import PostgresSource, Source
from autopkg.processors.base import Processor
from autopkg.processors.fetch import fetch_source
from autopkg.processors.zenodo import record_source


class Role(StrEnum):
    """Why a source is needed: always, to decide others, named by an index, or to verify."""

    FILE = "file"
    INDEX = "index"
    LISTED = "listed"
    RECORD = "record"


@dataclass(frozen=True)
class Needed:
    """One source a processor can need, and whether the publisher may lack it by design."""

    processor: str
    source: Source
    role: Role
    may_be_absent: bool = False


class IndexFetcher:
    """An index context for ``Processor.list_sources``: small files into a local cache.

    Indexes are fetched through the mirror when one is set, as runs fetch them, once
    (an operator's command answers a person: no backoff). ``osm_database`` lets a
    processor reading a database check it.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        mirror: str | None,
        verify: bool,
        timeout: float,
        osm_database: PostgresSource | None = None,
    ) -> None:
        """Fetch into ``cache_dir`` (the source cache, or a mirror folder being filled)."""
        self.cache_dir = cache_dir
        self.mirror = mirror
        self.verify = verify
        self.timeout = timeout
        self._osm_database = osm_database

    @property
    def osm_database(self) -> PostgresSource | None:
        """The OSM road and rail database (``AUTOPKG_OSM_PG*``), if one is configured."""
        return self._osm_database

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a local copy of the index ``source`` (see ``fetch_source``)."""
        return fetch_source(
            source,
            self.cache_dir,
            mirror=self.mirror,
            verify=self.verify,
            progress=progress,
            timeout=self.timeout,
            attempts=1,
        )


def needed_sources(processor: Processor, ctx: IndexFetcher) -> Iterator[Needed]:
    """What ``processor`` can need: indexes, files, listed files, then Zenodo records.

    Raises:
        autopkg.errors.SourceError: an index cannot be fetched or read.
    """
    pid = processor.metadata.id
    found = processor.list_sources(ctx)
    records: dict[str, Source] = {}
    for role, sources in (
        (Role.INDEX, found.indexes),
        (Role.FILE, found.files),
        (Role.LISTED, found.listed),
    ):
        for source in sources:
            yield Needed(pid, source, role, found.may_be_absent and role is Role.LISTED)
            record = record_source(source.url)
            if record is not None:
                records.setdefault(record.url, record)
    for record in records.values():
        yield Needed(pid, record, Role.RECORD)
