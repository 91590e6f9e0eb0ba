"""The run context of a processor on this machine: boundary, scratch, cache, progress."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from autopkg.domain.boundary import Boundary
from autopkg.domain.facts import FailedFile, SourceFacts, SourceRead
from autopkg.domain.sources import FetchedSource, PostgresSource, Source
from autopkg.errors import SourceError
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.fetch import (
    SourceNotFoundError,
    cache_relpath,
    cached_digest,
    fetch_source,
)
from autopkg.processors.sourcefacts import last_seen
from autopkg.processors.zenodo import PublisherChecksums

#: Attempts at reading a publisher's record of checksums: it only adds a check, so a
#: record that does not answer soon is given up (with a warning) rather than retried.
_RECORD_ATTEMPTS = 2


class _LocalContext:
    """The boundary, options, source cache (and mirror) and OSM database of a local context."""

    def __init__(
        self,
        boundary: Boundary,
        options: Mapping[str, Any] | None,
        cache_dir: Path,
        *,
        mirror: str | None,
        verify: bool,
        timeout: float,
        osm_database: PostgresSource | None,
    ) -> None:
        self._boundary = boundary
        self._options = dict(options or {})
        self._cache_dir = cache_dir
        self._verify = verify
        self._osm_database = osm_database
        #: ``fetch_source`` into this cache, through this mirror, verified as configured.
        self._fetch_source = partial(
            fetch_source, cache_dir=cache_dir, mirror=mirror, verify=verify, timeout=timeout
        )

    @property
    def boundary(self) -> Boundary:
        """The boundary being packaged or estimated for."""
        return self._boundary

    @property
    def options(self) -> Mapping[str, Any]:
        """The processor's validated options (``{}``: every default)."""
        return self._options

    @property
    def osm_database(self) -> PostgresSource | None:
        """The OSM road and rail database (``AUTOPKG_OSM_PG*``), if one is configured."""
        return self._osm_database


class LocalRunContext(_LocalContext):
    """A :class:`~autopkg.processors.base.RunContext` over a local source cache.

    Sources are fetched with :func:`~autopkg.processors.fetch.fetch_source` and each
    one's size and sha256 are kept in :attr:`fetched`, in the order first fetched, for
    the package's provenance. With ``verify``, a file of a Zenodo record is also checked
    against the size and md5 the record publishes (read once per run). Progress is
    clamped to 0-100 and never goes backwards before it reaches ``on_progress``.
    """

    def __init__(
        self,
        boundary: Boundary,
        scratch: Path,
        cache_dir: Path,
        *,
        mirror: str | None,
        verify: bool,
        on_progress: Callable[[float, str], None],
        timeout: float = 60,
        osm_database: PostgresSource | None = None,
        options: Mapping[str, Any] | None = None,
        clips: ClipStore | None = None,
        on_cache_lookup: Callable[[bool], None] | None = None,
    ) -> None:
        """Prepare a run; ``scratch`` is created if missing and belongs to this run only.

        ``options`` are the processor's validated options (none by default). ``clips``
        outlives the attempt (the job engine keeps one per run); without it, finished
        clips are kept inside ``scratch`` and help only a rerun in that folder.
        ``on_cache_lookup`` hears whether each fetch found its source in the cache.
        """
        super().__init__(
            boundary, options, cache_dir, mirror=mirror, verify=verify, timeout=timeout,
            osm_database=osm_database,
        )  # fmt: skip
        scratch.mkdir(parents=True, exist_ok=True)
        self._clips = clips
        self._scratch = scratch
        self._on_progress = on_progress
        self._percent = 0.0
        self._lock = threading.Lock()
        self._fetched: dict[str, FetchedSource] = {}
        self._read: list[SourceRead] = []
        self._failures: list[FailedFile] = []
        self._on_cache_lookup = on_cache_lookup
        self._checksums = PublisherChecksums(self._fetch_record)

    @property
    def scratch(self) -> Path:
        """A private folder for this run's intermediate and output files."""
        return self._scratch

    @property
    def clips(self) -> ClipStore:
        """Finished clips of this run, kept across its attempts."""
        with self._lock:
            # Made on first use, so a run that keeps no clip leaves only its outputs.
            if self._clips is None:
                self._clips = ClipStore(self._scratch / ".clips", {})
            return self._clips

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a verified local copy of ``source`` (see ``fetch_source``).

        A source the publisher does not have (``SourceNotFoundError``) is recorded in
        :attr:`fetched` as missing before the error is raised.

        Raises:
            SourceError: starting with a sentence for the person who asked for the
                package, the download's own reason after it (of the same class, so a
                caller can tell a missing file from a broken one).
        """
        if self._verify:
            source = self._checksums.pinned(source)
        try:
            path = self._fetch_source(source, progress=progress, on_lookup=self._on_cache_lookup)
        except SourceError as exc:
            if isinstance(exc, SourceNotFoundError):
                with self._lock:
                    self._fetched.setdefault(
                        source.url,
                        FetchedSource(source.url, source.filename, 0, "", missing=exc.message),
                    )
            raise type(exc)(
                f"the publisher's file {source.filename} could not be downloaded intact; try "
                "again later, and if it fails again the publisher may have moved or changed "
                f"it ({exc.message})"
            ) from None
        digest = cached_digest(path)
        with self._lock:
            self._fetched.setdefault(
                source.url, FetchedSource(source.url, source.filename, digest.size, digest.sha256)
            )
        return path

    def _fetch_record(self, record: Source) -> Path:
        """A publisher's record of checksums: cached like a source, not one of the run's."""
        return self._fetch_source(record, verify=False, attempts=_RECORD_ATTEMPTS)

    @property
    def fetched(self) -> tuple[FetchedSource, ...]:
        """Every source fetched so far, with the size and sha256 of its bytes."""
        with self._lock:
            return tuple(self._fetched.values())

    def note_source(self, read: SourceRead) -> None:
        """Record the facts read from a source raster (the last reading of a name wins)."""
        with self._lock:
            self._read = [r for r in self._read if r.name != read.name] + [read]

    @property
    def sources_read(self) -> tuple[SourceRead, ...]:
        """The facts of every source raster read so far."""
        with self._lock:
            return tuple(self._read)

    def note_failure(self, failed: FailedFile) -> None:
        """Record a source file that could not be made into an output, and why."""
        with self._lock:
            self._failures.append(failed)

    @property
    def failures(self) -> tuple[FailedFile, ...]:
        """The files noted as failed so far, in order."""
        with self._lock:
            return tuple(self._failures)

    def progress(self, percent: float, task: str) -> None:
        """Report ``percent`` (clamped to 0-100, never below an earlier report) and ``task``."""
        with self._lock:
            if not math.isnan(percent):
                self._percent = max(self._percent, min(100.0, max(0.0, percent)))
            current = self._percent
        self._on_progress(current, task)


class LocalEstimateContext(_LocalContext):
    """An :class:`~autopkg.processors.base.EstimateContext` over the local source cache.

    ``fetch`` is for the small indexes some estimates read (a listing); it shares the
    run's cache, so the index a run then reads is the one the estimate read.
    """

    def __init__(
        self,
        boundary: Boundary,
        options: Mapping[str, Any],
        cache_dir: Path,
        *,
        mirror: str | None,
        verify: bool,
        timeout: float = 20,
        osm_database: PostgresSource | None = None,
    ) -> None:
        """Prepare an estimate for ``boundary`` with validated ``options``."""
        super().__init__(
            boundary, options, cache_dir, mirror=mirror, verify=verify, timeout=timeout,
            osm_database=osm_database,
        )  # fmt: skip

    def cached(self, source: Source) -> Path | None:
        """The copy of ``source`` the cache holds already, if any; nothing is fetched."""
        path = self._cache_dir / cache_relpath(source)
        try:
            cached_digest(path)
        except SourceError:
            return None
        return path

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a verified local copy of a small index ``source`` (see ``fetch_source``)."""
        return self._fetch_source(
            source,
            progress=progress,
            # An estimate answers a request: one try, so an unreachable index costs
            # one timeout, not a run's backoff.
            attempts=1,
        )

    def last_seen(self, source: Source, member: str = "") -> SourceFacts | None:
        """The facts a run last read from ``source`` (its ``member``) in this cache."""
        return last_seen(self._cache_dir / cache_relpath(source), member)
