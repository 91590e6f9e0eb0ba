"""``autopkg sources check``: is every source still where, and what, the processors believe.

Each source is probed without downloading it (see :mod:`autopkg.sources.probe`); a
GeoTIFF served with byte ranges also has its header read remotely and compared with
the grid its processor's estimates assume. Files named by an index (a listing, a tile
grid) are many, so only a sample of them is probed. A source is ``ok``, ``changed``
(served, but not as believed: the words say what differs) or ``unreachable`` (it cannot
be fetched: a run needing it would fail).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import httpx

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.base import Processor
from autopkg.processors.fetch import cache_relpath, cached_digest, mirror_url
from autopkg.processors.zenodo import PublisherChecksums
from autopkg.sources.header import differences, read_header
from autopkg.sources.inventory import IndexFetcher, Needed, Role, needed_sources
from autopkg.sources.probe import Probe, probe

#: Sources probed at once: publishers answer in tenths of a second, so a dataset of
#: hundreds of files is checked in seconds, without many connections to one host.
PARALLEL_PROBES = 8
_GEOTIFF = (".tif", ".tiff")


class Status(StrEnum):
    """What a check found."""

    OK = "ok"
    CHANGED = "changed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class SourceReport:
    """One checked source: its processor, URL (or database), status and the reason."""

    processor: str
    source: str
    role: str
    status: Status
    reason: str
    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    checksum: str | None = None
    grid: str | None = None

    def line(self) -> str:
        """``<status> <processor> <source>: <reason>``, the command's output line."""
        return f"{self.status.value:<11} {self.processor} {self.source}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (``--json``)."""
        return asdict(self) | {"status": self.status.value}


def sample(items: Sequence[Needed], at_most: int) -> list[Needed]:
    """At most ``at_most`` of ``items``, spread evenly from the first (all when fewer)."""
    if len(items) <= at_most:
        return list(items)
    return [items[index * len(items) // at_most] for index in range(at_most)]


class SourceChecker:
    """Checks the sources of processors through one HTTP client and index context."""

    def __init__(
        self, ctx: IndexFetcher, client: httpx.Client, *, sample_size: int, timeout: float
    ) -> None:
        """Probe with ``client``; of the files an index names, check ``sample_size``."""
        self._ctx = ctx
        self._client = client
        self._sample_size = sample_size
        self._timeout = timeout
        self._checksums = PublisherChecksums(ctx.fetch)

    def check(self, processor: Processor) -> Iterator[SourceReport]:
        """Report on every source of ``processor`` (a sample of its listed files)."""
        pid = processor.metadata.id
        try:
            database = processor.check_database(self._ctx)
        except SourceError as exc:
            yield SourceReport(pid, "(database)", "database", Status.UNREACHABLE, exc.message)
        else:
            if database is not None:
                yield SourceReport(pid, database, "database", Status.OK, "configured and readable")
        try:
            needed = list(needed_sources(processor, self._ctx))
        except SourceError as exc:
            yield SourceReport(pid, "(index)", "index", Status.UNREACHABLE, exc.message)
            return
        listed = [item for item in needed if item.role is Role.LISTED]
        chosen = [item for item in needed if item.role is not Role.LISTED]
        chosen += sample(listed, self._sample_size)
        with ThreadPoolExecutor(PARALLEL_PROBES, thread_name_prefix="probe") as pool:
            yield from pool.map(lambda item: self._check_one(processor, item), chosen)

    def _cached_size(self, source: Source) -> int | None:
        """The size of the copy of ``source`` the source cache holds, if it holds one."""
        try:
            return cached_digest(self._ctx.cache_dir / cache_relpath(source)).size
        except SourceError:
            return None

    def _check_one(self, processor: Processor, needed: Needed) -> SourceReport:
        source = needed.source
        url = mirror_url(source.url, self._ctx.mirror)
        found = probe(self._client, url)

        def report(status: Status, reason: str, **facts: Any) -> SourceReport:
            return SourceReport(
                needed.processor, source.url, needed.role.value, status, reason,
                size=found.size, etag=found.etag, last_modified=found.last_modified, **facts,
            )  # fmt: skip

        if found.error is not None:
            if needed.may_be_absent and found.status == 404:
                return report(Status.OK, "not served (HTTP 404): none there, as may be")
            if needed.role is Role.RECORD:
                # Runs go on without a record (they warn), so it is no reason to fail.
                return report(
                    Status.OK, f"{found.error}: files are fetched without their checksums"
                )
            return report(Status.UNREACHABLE, found.error)
        pinned = source if needed.role is Role.RECORD else self._checksums.pinned(source)
        changes = []
        if pinned.size is not None and found.size is not None and found.size != pinned.size:
            by = f" ({pinned.pinned_by})" if pinned.pinned_by else ""
            changes.append(f"size {found.size} bytes (expected {pinned.size}{by})")
        held = self._cached_size(source)
        if held is not None and found.size is not None and found.size != held:
            # Runs keep using a complete cached copy: the operator must know it is stale.
            changes.append(
                f"size {found.size} bytes (the source cache holds {held} bytes from an "
                "earlier fetch, which runs still use)"
            )
        grid = None
        prior = processor.raster_prior(source)
        member = prior.member if prior is not None else None
        if found.ranges and (member is not None or source.filename.lower().endswith(_GEOTIFF)):
            try:
                header = read_header(url, member=member, timeout=self._timeout)
            except SourceError as exc:
                changes.append(exc.message)
            else:
                grid = header.describe()
                changes += differences(header, prior.grid) if prior is not None else []
        if changes:
            return report(Status.CHANGED, "; ".join(changes), checksum=pinned.checksum, grid=grid)
        return report(
            Status.OK, _facts(found, pinned.checksum, grid), checksum=pinned.checksum, grid=grid
        )


def _facts(found: Probe, checksum: str | None, grid: str | None) -> str:
    facts = [f"{found.size:,} bytes" if found.size is not None else "size not given"]
    facts += [f"ETag {found.etag}"] if found.etag else []
    facts += [f"modified {found.last_modified}"] if found.last_modified else []
    facts += [checksum] if checksum else []
    facts += [grid] if grid else []
    return ", ".join(facts)
