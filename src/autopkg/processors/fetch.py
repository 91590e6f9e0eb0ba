"""Download processor sources once into a shared cache: mirror, resume, verify, lock.

A source ``https://HOST/DIR/NAME`` is cached at ``<cache_dir>/HOST/DIR/<filename>``.
With a mirror configured it is fetched from ``<mirror>/HOST/DIR/NAME`` instead; the
mirror may be ``http(s)://`` or ``file://``. Downloads go to a ``.part`` file that a
later call resumes with an HTTP Range request, are verified, then renamed into place,
so a cached file is always complete. An ``flock`` lock file (filelock) next to the
target makes concurrent callers (threads or processes sharing the cache folder) wait for one
download instead of repeating it.

Beside each cached file a ``<filename>.sha256`` record keeps the size and sha256 of
the bytes stored, so a package can say exactly which bytes it came from
(:func:`cached_digest`) without reading the source again, and a cached file whose
size no longer matches its record (truncated or replaced) is fetched again. A source
pinned with another algorithm's digest (``Source.checksum``, e.g. ``sha1:…``) also
gets a ``<filename>.<algorithm>`` record of that digest.

Transient failures (connection errors, timeouts, a body cut short, HTTP 429 and 5xx)
are retried with exponential backoff (tenacity); each retry resumes the partial file.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import httpx
from filelock import FileLock
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.digests import file_digests, pinned_digests

Progress = Callable[[float], None]

_CHUNK = 1 << 20
_HOST = re.compile(
    r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$"
)
_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-\d+|\*)/(\d+|\*)$")

#: Attempts at a download before a transient failure is reported, and the first wait
#: between attempts in seconds (doubling each time, at most 30 s).
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0

#: HTTP statuses worth another attempt: rate limits and server-side trouble.
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SourceDigest:
    """The size and sha256 of a cached source's bytes."""

    size: int
    sha256: str


def cache_relpath(source: Source) -> PurePosixPath:
    """Return where ``source`` lives under a cache root: ``HOST/<url folders>/<filename>``.

    Raises:
        SourceError: if the URL is not plain ``http(s)://host/path`` or a path segment
            or the filename could escape the root (``..``, separators, NUL, empty).
    """
    host, segments = _split(source.url)
    _require_segment(source.filename, source.url)
    return PurePosixPath(host, *segments[:-1], source.filename)


def mirror_relpath(url: str) -> PurePosixPath:
    """Return ``HOST/PATH`` of a publisher URL: where a mirror root holds its bytes.

    Raises:
        SourceError: as :func:`cache_relpath`, or if the URL names no file.
    """
    host, segments = _split(url)
    _require_segment(segments[-1], url)
    return PurePosixPath(host, *segments)


def _split(url: str) -> tuple[str, list[str]]:
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(host):
        raise SourceError(f"unsupported source URL {url!r}: must be http(s)://host/path")
    segments = [unquote(segment) for segment in parts.path.split("/")[1:]]
    for segment in segments[:-1]:
        _require_segment(segment, url)
    return host, segments or [""]


def _require_segment(segment: str, url: str) -> None:
    if segment in ("", ".", "..") or any(char in segment for char in "/\\\x00"):
        raise SourceError(f"unsafe path segment {segment!r} in source {url!r}")


def mirror_url(url: str, mirror: str | None) -> str:
    """Return the URL to fetch ``url`` from: itself, or ``<mirror>/HOST/PATH[?QUERY]``."""
    if not mirror:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path}{query}"


def fetch_source(
    source: Source,
    cache_dir: Path,
    *,
    mirror: str | None,
    verify: bool,
    progress: Progress | None = None,
    timeout: float = 60,
    attempts: int = ATTEMPTS,
    on_lookup: Callable[[bool], None] | None = None,
) -> Path:
    """Return the path of a complete, verified local copy of ``source``.

    The first caller downloads (or resumes a previous partial download); later and
    concurrent callers get the cached file. With ``verify`` the pinned ``size``,
    ``sha256`` and ``checksum`` must match; whatever ``verify`` says, a ``.zip`` must
    pass an integrity test. A cached file is trusted as verified when it was stored,
    unless its size no longer matches its record, or (with ``verify``) the pinned size
    or digests: then it is downloaded again. :func:`cached_digest` gives what it holds.
    Transient failures are retried (:data:`ATTEMPTS`, exponential backoff).

    Args:
        source: what to fetch.
        cache_dir: root of the shared source cache.
        mirror: ``http(s)://`` or ``file://`` root standing in for every publisher.
        verify: check pinned sizes and checksums (off for mirrors of stand-ins).
        progress: called with the downloaded fraction (0-1) when the size is known.
        timeout: seconds allowed for each network operation (connect, each read).
        attempts: downloads tried before giving up (1: no retry, for callers that
            answer a person waiting, such as an estimate).
        on_lookup: called once the cache has answered: ``True`` when it held a
            current copy (a hit, including one another caller stored while this one
            waited), ``False`` when the source had to be fetched (a miss).

    Raises:
        SourceError: naming the URL when the source cannot be downloaded, stored or
            verified, or when its URL or filename is unsafe.
    """
    target = cache_dir / cache_relpath(source)
    url = mirror_url(source.url, mirror)
    shown = display_url(url)
    hit: bool | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A lock object per call: each opens its own descriptor, so the flock excludes
        # other threads of this process as well as other processes.
        with FileLock(target.with_name(target.name + ".lock")):
            hit = _is_current(target, source, verify=verify)
            if not hit:
                part = target.with_name(target.name + ".part")
                if url.startswith("file://"):
                    _copy_local(url, part, shown, progress)
                else:
                    _download(url, part, shown, progress, timeout, attempts)
                digest, others = _check(part, source, shown, verify=verify)
                os.replace(part, target)
                _write_record(target, digest)
                for algorithm, value in others.items():
                    _write_text(target.with_name(f"{target.name}.{algorithm}"), value)
    except OSError as exc:
        raise SourceError(f"could not store {shown} in the source cache: {exc}") from None
    finally:
        # Outside the lock: the observer may be slow (a database write) and the
        # callers waiting for this file should not wait for it too.
        if on_lookup is not None and hit is not None:
            on_lookup(hit)
    if progress is not None:
        progress(1.0)
    return target


def cached_digest(path: Path) -> SourceDigest:
    """Return the recorded size and sha256 of a file :func:`fetch_source` returned.

    Raises:
        SourceError: if the file has no record or no longer matches it.
    """
    record = _read_record(path)
    if record is None or not path.is_file() or path.stat().st_size != record.size:
        raise SourceError(f"cached source {path.name} changed after it was fetched")
    return record


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _read_record(target: Path) -> SourceDigest | None:
    try:
        value = json.loads(_record_path(target).read_text())
        return SourceDigest(size=int(value["size"]), sha256=str(value["sha256"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(target: Path, digest: SourceDigest) -> None:
    _write_text(_record_path(target), json.dumps({"size": digest.size, "sha256": digest.sha256}))


def _write_text(path: Path, text: str) -> None:
    scratch = path.with_name(path.name + ".part")
    scratch.write_text(text)
    os.replace(scratch, path)


def _is_current(target: Path, source: Source, *, verify: bool) -> bool:
    if not target.is_file():
        return False
    size = target.stat().st_size
    if verify and source.size is not None and size != source.size:
        return False
    record = _read_record(target)
    if record is None:
        # A file cached before records existed: record what it holds, once.
        record = SourceDigest(size=size, sha256=_sha256(target))
        _write_record(target, record)
    if record.size != size:
        return False
    if not verify:
        return True
    for algorithm, pinned in pinned_digests(source).items():
        if algorithm == "sha256":
            held = record.sha256
        else:
            side = target.with_name(f"{target.name}.{algorithm}")
            try:
                held = side.read_text().strip()
            except OSError:
                # Cached before this pin existed: compute the digest once and keep it.
                held = file_digests(target, [algorithm])[algorithm]
                _write_text(side, held)
        if held != pinned:
            return False
    return True


def display_url(url: str) -> str:
    """Return ``url`` without user info, so credentials never reach messages or logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@cache
def _tls() -> ssl.SSLContext:
    """The TLS settings of every download, built once.

    Loading the CA bundle takes tens of milliseconds, once per client otherwise: a
    dataset of hundreds of files would pay it for each.
    """
    return httpx.create_ssl_context()


class SourceNotFoundError(SourceError):
    """The publisher (or the mirror) has no file at the source's URL: HTTP 404."""


class _TransientError(SourceError):
    """A failure that another attempt may not meet (a dropped connection, HTTP 503)."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return False
    return isinstance(exc, _TransientError | httpx.TransportError)


def _download(
    url: str, part: Path, shown: str, progress: Progress | None, timeout: float, attempts: int
) -> None:
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=BACKOFF_SECONDS, max=30),
        retry=retry_if_exception(_is_transient),
        reraise=True,
    )
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, verify=_tls()) as client:
            for attempt in retrying:
                with attempt:
                    _download_once(client, url, part, shown, progress)
    except httpx.HTTPError as exc:
        raise SourceError(f"could not download {shown}: {str(exc) or type(exc).__name__}") from None
    except _TransientError as exc:
        raise SourceError(exc.message) from None


def _download_once(
    client: httpx.Client, url: str, part: Path, shown: str, progress: Progress | None
) -> None:
    # Two requests at most: a resume the server cannot honour restarts from zero once.
    for _ in range(2):
        if _request_into(client, url, part, shown, progress):
            return
        part.unlink(missing_ok=True)
    raise SourceError(f"could not download {shown}: the server rejected every byte range")


def _request_into(
    client: httpx.Client, url: str, part: Path, shown: str, progress: Progress | None
) -> bool:
    """Download ``url`` into ``part``, resuming it; return False to restart from zero."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with client.stream("GET", url, headers=headers) as response:
        start, total = _content_range(response.headers.get("content-range", ""))
        if response.status_code == 416 and offset:
            return total == offset
        if response.status_code >= 400:
            failure: type[SourceError] = SourceError
            if response.status_code in _TRANSIENT_STATUSES:
                failure = _TransientError
            elif response.status_code == 404:
                failure = SourceNotFoundError
            raise failure(
                f"could not download {shown}: HTTP {response.status_code} {response.reason_phrase}"
            )
        if response.status_code == 206:
            if start != offset:
                return False
        else:
            offset, total = 0, _int_or_none(response.headers.get("content-length"))
        done = offset
        with part.open("ab" if offset else "wb") as handle:
            for chunk in response.iter_bytes(_CHUNK):
                handle.write(chunk)
                done += len(chunk)
                if progress is not None and total:
                    progress(min(done / total, 1.0))
    if total is not None and done != total:
        raise _TransientError(f"could not download {shown}: got {done} of {total} bytes")
    return True


def _content_range(value: str) -> tuple[int | None, int | None]:
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        return None, None
    return _int_or_none(match.group(1)), _int_or_none(match.group(2))


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _copy_local(url: str, part: Path, shown: str, progress: Progress | None) -> None:
    origin = Path(url2pathname(urlsplit(url).path))
    try:
        total = origin.stat().st_size
        with origin.open("rb") as reader, part.open("wb") as writer:
            done = 0
            while chunk := reader.read(_CHUNK):
                writer.write(chunk)
                done += len(chunk)
                if progress is not None and total:
                    progress(done / total)
    except FileNotFoundError:
        raise SourceNotFoundError(f"could not download {shown}: not found in the mirror") from None


def _check(
    part: Path, source: Source, shown: str, *, verify: bool
) -> tuple[SourceDigest, dict[str, str]]:
    """Verify a finished download; a file that fails is deleted.

    Returns:
        Its size and sha256, and its digests by the other algorithms pinned.
    """
    try:
        size = part.stat().st_size
        by = f" ({source.pinned_by})" if source.pinned_by else ""
        if verify and source.size is not None and size != source.size:
            raise SourceError(f"source {shown} has {size} bytes, expected {source.size}{by}")
        pins = pinned_digests(source)
        digests = file_digests(part, ["sha256", *pins])
        for algorithm, pinned in pins.items():
            if verify and digests[algorithm] != pinned:
                raise SourceError(
                    f"source {shown} has {algorithm} {digests[algorithm]}, expected {pinned}{by}"
                )
        if source.filename.lower().endswith(".zip"):
            _check_zip(part, shown)
    except SourceError:
        part.unlink(missing_ok=True)
        raise
    others = {algorithm: value for algorithm, value in digests.items() if algorithm != "sha256"}
    return SourceDigest(size=size, sha256=digests["sha256"]), others


def _sha256(path: Path) -> str:
    return file_digests(path, ["sha256"])["sha256"]


def _check_zip(path: Path, shown: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise SourceError(f"source {shown} is not a readable zip archive: {exc}") from None
    if bad is not None:
        raise SourceError(f"source {shown} is a corrupt zip archive: member {bad!r} fails its CRC")
