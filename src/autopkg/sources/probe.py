"""Whether a source answers, and what the answer says about it, without downloading it.

A ``HEAD`` request gives the size, ``ETag`` and ``Last-Modified``; some servers refuse
``HEAD`` (405, 501, or 403 from object stores that sign one method only), so a refusal
is asked again as a ``GET`` of its first byte (``Range: bytes=0-0``), whose
``Content-Range`` gives the size. Nothing beyond that byte is read. A ``file://`` mirror
is looked at on disk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from autopkg.processors.fetch import display_url

#: Answers to ``HEAD`` that mean "not this method", not "not there".
_HEAD_REFUSED = frozenset({403, 405, 501})
#: Answers that mean "not now": the request is made again after a wait.
_RATE_LIMITED = frozenset({429, 503})
#: Requests of one source before a rate limit is reported, and the longest wait.
ATTEMPTS = 3
MAX_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Probe:
    """What a source's server said: status, size, validators, byte ranges, or the failure.

    ``status`` is the HTTP status (``None`` for a file on disk, or no answer at all);
    ``error`` says why the source cannot be fetched (``None`` when it can).
    """

    status: int | None = None
    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    ranges: bool = False
    error: str | None = None


def probe(client: httpx.Client, url: str) -> Probe:
    """Ask for ``url`` without its body (see the module's description).

    A rate limit (HTTP 429, 503) is waited out as the server asks (``Retry-After``, at
    most :data:`MAX_WAIT_SECONDS`), up to :data:`ATTEMPTS` times: checking a dataset of
    hundreds of files may meet a publisher's limit, which says nothing of the files.
    """
    if url.startswith("file://"):
        return _probe_file(Path(url2pathname(urlsplit(url).path)))
    try:
        for attempt in range(ATTEMPTS):
            response = _ask(client, url)
            if response.status_code not in _RATE_LIMITED or attempt == ATTEMPTS - 1:
                break
            time.sleep(_retry_after(response.headers.get("retry-after")))
    except httpx.HTTPError as exc:
        reason = str(exc).replace(url, display_url(url)) or type(exc).__name__
        return Probe(error=f"no answer: {reason}")
    status = response.status_code
    if status >= 400:
        return Probe(status=status, error=f"HTTP {status} {response.reason_phrase}")
    headers = response.headers
    size = _int(headers.get("content-length"))
    if status == 206:
        size = _int(headers.get("content-range", "").rpartition("/")[2])
    return Probe(
        status=status,
        size=size,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        ranges=status == 206 or headers.get("accept-ranges", "").lower() == "bytes",
    )


def _ask(client: httpx.Client, url: str) -> httpx.Response:
    response = client.head(url)
    if response.status_code in _HEAD_REFUSED:
        with client.stream("GET", url, headers={"Range": "bytes=0-0"}) as response:
            pass
    return response


def _retry_after(value: str | None) -> float:
    seconds = float(value) if value is not None and value.isdigit() else 1.0
    return min(seconds, MAX_WAIT_SECONDS)


def _probe_file(path: Path) -> Probe:
    try:
        stat = path.stat()
    except OSError:
        return Probe(status=404, error="not found in the mirror folder")
    if not path.is_file():
        return Probe(error="not a file in the mirror folder")
    return Probe(
        size=stat.st_size, last_modified=formatdate(stat.st_mtime, usegmt=True), ranges=True
    )


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
