"""Package storage reads of an API process, on threads of their own and with a deadline.

Routes that read storage used the thread pool every other route shares: with S3 hung,
60 package reads held all 40 of its threads and unrelated routes (a boundary, the job
list, ``/metrics``) waited a minute. Storage reads now run on a small pool of their
own, so a hung store can hold at most those threads, and a caller waits at most
``timeout`` seconds (the storage's own timeouts, every attempt included) before it is
answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from autopkg.errors import StorageUnavailableError

T = TypeVar("T")


class StorageCalls:
    """A bounded pool running storage reads, each awaited for at most ``timeout`` seconds."""

    def __init__(self, *, threads: int, timeout: float) -> None:
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.timeout = timeout

    def _submit(self, call: Callable[[], T]) -> Future[T]:
        # Started at first use, and again after close(): an app may live through
        # several lifespans (a test client opened twice).
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="storage")
            return self._pool.submit(call)

    async def run(self, call: Callable[[], T], *, timeout: float | None = None) -> T:
        """Await ``call()`` on the pool (from the event loop).

        Raises:
            StorageUnavailableError: no answer within the timeout.
        """
        waited = self.timeout if timeout is None else timeout
        future = self._submit(call)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), waited)
        except TimeoutError:
            raise _unanswered(future, waited) from None

    def call(self, call: Callable[[], T], *, timeout: float | None = None) -> T:
        """Run ``call()`` on the pool and wait for it (from a thread).

        Raises:
            StorageUnavailableError: no answer within the timeout.
        """
        waited = self.timeout if timeout is None else timeout
        future = self._submit(call)
        try:
            return future.result(waited)
        except FutureTimeout:
            raise _unanswered(future, waited) from None

    def close(self) -> None:
        """Drop queued reads and let running ones end on their own timeouts."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _unanswered(future: Future[Any], waited: float) -> StorageUnavailableError:
    # A read still queued never starts; one running ends on the storage's own timeouts.
    future.cancel()
    return StorageUnavailableError(
        f"package storage did not answer within {waited:g} s; try again shortly"
    )
