"""``autopkg sources mirror``: copy every source processors can need into a mirror folder.

The folder gets the mirror layout (``HOST/PATH`` of each publisher URL), which
``AUTOPKG_SOURCE_MIRROR`` then serves as a plain path or behind any web server. Each
file is fetched as a run fetches it (:func:`~autopkg.processors.fetch.fetch_source`
with the folder as its cache): a ``.part`` file resumed on the next attempt, verified
(pinned digests and, for Zenodo, the record's size and md5) before it takes its name,
and recorded in a ``.sha256`` file beside it, so running the command again fetches only
what is missing. The Zenodo records are copied too, so an air-gapped site verifies its
files as a connected one does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.fetch import fetch_source, mirror_relpath, mirror_url
from autopkg.processors.zenodo import PublisherChecksums
from autopkg.sources.inventory import Needed, Role
from autopkg.sources.probe import probe


@dataclass
class MirrorResult:
    """What a mirror run did: files stored (or already complete), absent, failed."""

    stored: int = 0
    absent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def mirror_sources(
    needed: Sequence[Needed],
    folder: Path,
    *,
    upstream: str | None,
    verify: bool,
    timeout: float,
    client: httpx.Client,
    on_file: Callable[[Needed], Callable[[float], None]],
) -> MirrorResult:
    """Fetch every source of ``needed`` into ``folder`` in the mirror layout.

    Args:
        needed: the sources, as :func:`~autopkg.sources.inventory.needed_sources` gives.
        folder: the mirror root (created if missing).
        upstream: where to fetch from instead of the publishers (another mirror).
        verify: check pinned and published sizes and digests.
        timeout: seconds allowed for each network operation.
        client: for asking whether a file that may be absent is there.
        on_file: called as each source starts; returns its progress callback (0-1).

    A file that may be absent (a tile of open sea) and is not served is skipped; any
    other failure is recorded and the other files are still fetched.
    """

    def fetch(source: Source, progress: Callable[[float], None] | None = None) -> Path:
        # The filename is the URL's last segment, so the copy sits at HOST/PATH.
        at = replace(source, filename=mirror_relpath(source.url).name)
        return fetch_source(
            at, folder, mirror=upstream, verify=verify, progress=progress, timeout=timeout
        )

    checksums = PublisherChecksums(fetch)
    result = MirrorResult()
    for item in needed:
        progress = on_file(item)
        source = item.source
        if item.may_be_absent and probe(client, mirror_url(source.url, upstream)).status == 404:
            result.absent.append(source.url)
            continue
        if verify and item.role is not Role.RECORD:
            source = checksums.pinned(source)
        try:
            fetch(source, progress)
        except SourceError as exc:
            result.failed.append((source.url, exc.message))
        else:
            result.stored += 1
    return result
