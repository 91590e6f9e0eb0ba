"""Token buckets counting events per client, in this process's memory.

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute`` per minute;
each event takes one. A full bucket is the same as no bucket, so full ones are
forgotten when many are held: memory stays bounded however many clients call.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# Above this many clients, buckets that have refilled completely are dropped.
_PRUNE_ABOVE = 10_000


class TokenBuckets:
    """One bucket per name (a client address, an API key), ``per_minute`` events each."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60.0
        self._clock = clock
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str) -> float:
        """Take a token from ``name``'s bucket.

        Returns:
            0 when a token was taken, else the seconds until one is available (nothing
            is taken then).
        """
        with self._lock:
            now = self._clock()
            tokens = self._level(name, now)
            if tokens < 1.0:
                self._levels[name] = (tokens, now)
                return (1.0 - tokens) / self._per_second
            self._levels[name] = (tokens - 1.0, now)
            if len(self._levels) > _PRUNE_ABOVE:
                self._prune(now)
            return 0.0

    def wait_for(self, name: str) -> float:
        """Return the seconds until ``name`` has a token (0 if it has one now)."""
        with self._lock:
            tokens = self._level(name, self._clock())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._per_second

    def _level(self, name: str, now: float) -> float:
        tokens, then = self._levels.get(name, (self._capacity, now))
        return min(self._capacity, tokens + (now - then) * self._per_second)

    def _prune(self, now: float) -> None:
        full = [name for name in self._levels if self._level(name, now) >= self._capacity]
        for name in full:
            del self._levels[name]


def retry_after_seconds(wait: float) -> int:
    """Whole seconds to put in ``Retry-After`` for a wait of ``wait`` seconds (at least 1)."""
    return max(1, math.ceil(wait))
