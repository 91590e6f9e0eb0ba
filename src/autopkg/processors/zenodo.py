"""Publisher checksums of Zenodo sources: each record's file list, read once per run.

Zenodo serves a record's files at ``https://zenodo.org/records/<id>/files/<name>`` (the
older ``/record/<id>/`` form redirects there) and describes them at
``https://zenodo.org/api/records/<id>``: ``files`` lists each file's ``key`` (its name),
``size`` in bytes and ``checksum`` as ``md5:<hex>``. A source served from a record is
verified against that list as if its size and md5 were pinned in the processor: the
publisher's statement is the truth, so nothing has to be copied into our modules.

The record document is fetched like any source (through the mirror, into the source
cache): the files of a published Zenodo version never change, so a record read once
stays right. A record that cannot be read only costs the check: the download goes on,
and is hashed and recorded as every source is.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.digests import parse_checksum

log = logging.getLogger(__name__)

_FILE_URL = re.compile(r"^https://zenodo\.org/records?/(\d+)/files/([^/?#]+)$")


class _RecordFile(BaseModel):
    key: str
    size: int
    checksum: str


class _Record(BaseModel):
    files: list[_RecordFile]


@dataclass(frozen=True)
class PublishedFile:
    """What a record says of one file: its size in bytes and ``md5:<hex>`` checksum."""

    size: int
    checksum: str


def record_source(url: str) -> Source | None:
    """The record document describing the Zenodo file at ``url``; ``None`` off Zenodo."""
    match = _FILE_URL.fullmatch(url)
    if match is None:
        return None
    record = match.group(1)
    # Named as in the URL, so the cached copy and a mirror's copy sit at the same path.
    return Source(url=f"https://zenodo.org/api/records/{record}", filename=record)


def parse_record(document: bytes, *, shown: str) -> dict[str, PublishedFile]:
    """The files a record document lists, by name.

    Raises:
        SourceError: the document is not a record with a file list, or a checksum is not
            ``<algorithm>:<hex>``.
    """
    try:
        record = _Record.model_validate_json(document)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise SourceError(
            f"{shown} is not a Zenodo record with a file list ({where}: {problem['msg']})"
        ) from None
    listed = {}
    for entry in record.files:
        algorithm, digest = parse_checksum(entry.checksum)
        listed[entry.key] = PublishedFile(entry.size, f"{algorithm}:{digest}")
    return listed


class PublisherChecksums:
    """The sizes and checksums Zenodo publishes for the sources of one run.

    Each record is read at most once (through ``read``, which returns a local copy of a
    record document), whatever the number of its files the run fetches; a record that
    cannot be read is logged once as a warning.
    """

    def __init__(self, read: Callable[[Source], Path]) -> None:
        """Use ``read`` to fetch record documents (the run's cached, mirrored fetch)."""
        self._read = read
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, PublishedFile] | None] = {}

    def pinned(self, source: Source) -> Source:
        """``source`` with the publisher's size and md5 where it pins none of its own.

        A source off Zenodo, whose record cannot be read or does not list it, comes back
        unchanged.
        """
        record = record_source(source.url)
        if record is None:
            return source
        published = self._files(record).get(unquote(source.url.rsplit("/", 1)[1]))
        if published is None:
            return source
        return replace(
            source,
            size=source.size if source.size is not None else published.size,
            checksum=source.checksum or published.checksum,
            pinned_by=f"the publisher's record {record.url}",
        )

    def _files(self, record: Source) -> dict[str, PublishedFile]:
        # One lock for the run: a second file of the record waits for the first read
        # rather than reading the record again.
        with self._lock:
            if record.url not in self._records:
                self._records[record.url] = self._load(record)
            return self._records[record.url] or {}

    def _load(self, record: Source) -> dict[str, PublishedFile] | None:
        path: Path | None = None
        try:
            path = self._read(record)
            return parse_record(path.read_bytes(), shown=record.url)
        except (SourceError, OSError) as exc:
            if path is not None:
                # Not a record (an error page kept by a mirror): read it again next run.
                path.unlink(missing_ok=True)
            message = exc.message if isinstance(exc, SourceError) else str(exc)
            log.warning(
                "the publisher's checksums in %s could not be read (%s): its files are "
                "downloaded without them, and still hashed and recorded",
                record.url,
                message,
            )
            return None
