"""Rendered JSON bodies of the read routes, kept in memory with strong ETags.

A body is stored under a key naming everything it was built from: the route, its
parameters and the version of the data. Boundaries carry a version number kept in
the database and changed in the same transaction as every boundary write; each
process reads it at most every :data:`VERSION_MAX_AGE_SECS` (and at once after its own
boundary upload), so another process's write is seen within that time. Processor
metadata is fixed for the life of a process. Packages carry a version too, bumped by
whatever publishes, rebuilds or removes one before its run is recorded as finished; it
is read on every package request (one primary-key query), so a client that saw its job
COMPLETE never gets a page rendered before the publication. A package rendering is also
kept for at most :data:`PUBLISHED_TTL_SECS`, for changes made to storage by hand. Old
versions are never looked up again and leave as the least recently used entries,
within :data:`MAX_BYTES`.

A request answered from memory runs on the event loop; reading the version or
building a body (database, storage) goes to the thread pool.

The ETag is a digest of the body itself, so two processes (or one process before and
after a rebuild) give the same ETag exactly when they give the same bytes.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache
from fastapi import Response
from fastapi.concurrency import run_in_threadpool

# Renderings of whole boundaries can be megabytes (a large country's polygons); a
# few dozen of them and every listing fit, in each API process.
MAX_BYTES = 64 * 1024 * 1024
# How long a package listing or page may lag behind a change made to storage by hand
# (publications by runs change the packages' version at once).
PUBLISHED_TTL_SECS = 2.0
# How long a boundary listing may lag behind another process's boundary write. Reading
# the version on every request would put a thread-pool hop and a query on each one.
VERSION_MAX_AGE_SECS = 0.5
# RFC 9111: the client may store the body but must revalidate (If-None-Match) each time.
_CACHE_CONTROL = "no-cache"


StorageRun = Callable[[Callable[[], "Rendered"]], Awaitable["Rendered"]]


@dataclass(frozen=True)
class Rendered:
    """A JSON body, its strong ETag, and when it stops being served (on the cache's clock)."""

    body: bytes
    etag: str
    expires: float


class ReadCache:
    """Rendered bodies by key, least recently used dropped first, safe across threads.

    ``boundaries_version(include_custom)`` reads the shared version of the boundaries,
    ``packages_version()`` that of the packages (both blocking: they query the database).
    Lifetimes are measured on ``clock`` (monotonic seconds; tests move one by hand).
    """

    def __init__(
        self,
        boundaries_version: Callable[[bool], int],
        packages_version: Callable[[], int],
        storage_run: StorageRun | None = None,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: LRUCache[Hashable, Rendered] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: len(entry.body)
        )
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._read_version = boundaries_version
        self._read_packages_version = packages_version
        self._storage_run = storage_run
        self._clock = clock
        self._versions: dict[bool, tuple[int, float]] = {}
        # Builds in progress, by key; touched only on the event loop.
        self._building: dict[Hashable, asyncio.Future[Rendered]] = {}

    async def of_boundaries(
        self,
        key: tuple[Hashable, ...],
        build: Callable[[], Any],
        *,
        include_custom: bool = True,
        ttl: float | None = None,
        storage: bool = False,
    ) -> Rendered:
        """:meth:`get` for a body built from boundaries (custom areas too, or not)."""
        version = self._versions.get(include_custom)
        if version is None or version[1] <= self._clock():
            number = await run_in_threadpool(self._read_version, include_custom)
            version = (number, self._clock() + VERSION_MAX_AGE_SECS)
            self._versions[include_custom] = version
        return await self.get((*key, include_custom, version[0]), build, ttl=ttl, storage=storage)

    async def of_packages(
        self, key: tuple[Hashable, ...], build: Callable[[], Any], *, with_boundaries: bool
    ) -> Rendered:
        """:meth:`get` for a body built from packages (and the boundaries, if it shows one).

        The packages' version is read on every call: a publication must show as soon as
        its job reads COMPLETE.
        """
        number = await run_in_threadpool(self._read_packages_version)
        if with_boundaries:
            return await self.of_boundaries(
                (*key, number), build, ttl=PUBLISHED_TTL_SECS, storage=True
            )
        return await self.get((*key, number), build, ttl=PUBLISHED_TTL_SECS, storage=True)

    def boundaries_written(self) -> None:
        """Read the boundaries' version again at the next request (this process wrote)."""
        self._versions.clear()

    async def get(
        self,
        key: Hashable,
        build: Callable[[], Any],
        *,
        ttl: float | None = None,
        storage: bool = False,
    ) -> Rendered:
        """The body under ``key``, from memory, or built in the thread pool (:meth:`render`).

        A ``build`` that reads package ``storage`` runs through ``storage_run`` (a pool
        of its own, with a deadline) when one is given.

        One build per key at a time: requests arriving while it runs wait for it, or,
        when the key holds a body that has only outlived its ``ttl`` (the same
        version of the data), get that body at once. Fifty requests for an expired
        package listing on S3 used to make fifty listings, each holding a thread.
        """
        found = self.fresh(key)
        if found is not None:
            return found
        building = self._building.get(key)
        if building is None:
            render = functools.partial(self.render, key, build, ttl=ttl)
            if storage and self._storage_run is not None:
                building = asyncio.ensure_future(self._storage_run(render))
            else:
                building = asyncio.ensure_future(run_in_threadpool(render))
            self._building[key] = building
            building.add_done_callback(lambda done: self._built(key, done))
        with self._lock:
            expired = self._entries.get(key)
        if expired is not None:
            return expired
        return await asyncio.shield(building)

    def _built(self, key: Hashable, done: asyncio.Future[Rendered]) -> None:
        if self._building.get(key) is done:
            del self._building[key]
        # Retrieved here so an error nobody waited for is not reported as unhandled.
        if not done.cancelled():
            done.exception()

    def fresh(self, key: Hashable) -> Rendered | None:
        """The body stored under ``key`` if it is still to be served, without building it."""
        with self._lock:
            found = self._entries.get(key)
        return found if found is not None and found.expires > self._clock() else None

    def render(
        self, key: Hashable, build: Callable[[], Any], *, ttl: float | None = None
    ) -> Rendered:
        """The body stored under ``key``, or ``build()`` serialised and stored there.

        ``build`` returns JSON-ready data (dicts, lists, strings, numbers); what it
        raises (a 404, say) propagates and nothing is stored. With ``ttl`` the body
        is rebuilt once it is that many seconds old.
        """
        found = self.fresh(key)
        if found is not None:
            return found
        now = self._clock()
        body = orjson.dumps(build())
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        rendered = Rendered(body, f'"{digest}"', math.inf if ttl is None else now + ttl)
        if len(body) <= self._max_bytes:
            with self._lock:
                self._entries[key] = rendered
        return rendered


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in offered or etag in offered


def respond(rendered: Rendered, if_none_match: str | None) -> Response:
    """200 with the body, or 304 without it when the client already holds this ETag."""
    headers = {"ETag": rendered.etag, "Cache-Control": _CACHE_CONTROL}
    if matches(if_none_match, rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)
