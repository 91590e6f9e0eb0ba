"""Who may write, and how often: API keys and rate limits on writes.

Writes (``POST``/``DELETE``) are counted per client address and per API key, failed
authentications per client address, in token buckets held by this process: each API
process (``autopkg serve --processes N``) counts on its own. Reads are never counted.
"""

from __future__ import annotations

import hmac

from autopkg.config import Settings
from autopkg.errors import RateLimitedError, UnauthorizedError
from autopkg.ratelimit import TokenBuckets, retry_after_seconds


class WriteGuard:
    """Admits a write, or raises 401 (no valid key) or 429 (over a rate)."""

    def __init__(self, settings: Settings) -> None:
        self._keys = [key.get_secret_value() for key in settings.api_keys]
        self._writes_per_minute = settings.rate_writes_per_minute
        self._failures_per_minute = settings.rate_auth_failures_per_minute
        self._client_writes = TokenBuckets(self._writes_per_minute)
        self._key_writes = TokenBuckets(self._writes_per_minute)
        self._failures = TokenBuckets(self._failures_per_minute)

    def admit(self, *, client: str, offered_key: str | None) -> str:
        """Check ``offered_key`` for a write from ``client`` and count the write.

        Returns:
            Who writes: the key's name (``key-<index>``) when keys are configured,
            else ``client``.

        Raises:
            RateLimitedError: the client failed authentication too often (checked
                before the key, so guessing keys is slowed too), or wrote too often
                from its address or with its key.
            UnauthorizedError: keys are configured and none of them was offered.
        """
        if self._failures_per_minute:
            wait = self._failures.wait_for(client)
            if wait:
                raise _too_many(
                    "failed authentications", wait, "AUTH_FAILURES", self._failures_per_minute
                )
        key_name = self._authenticate(client, offered_key)
        if not self._writes_per_minute:
            return key_name or client
        wait = max(
            self._client_writes.wait_for(client),
            self._key_writes.wait_for(key_name) if key_name else 0.0,
        )
        if wait:
            raise _too_many("writes", wait, "WRITES", self._writes_per_minute)
        self._client_writes.take(client)
        if key_name:
            self._key_writes.take(key_name)
        return key_name or client

    def _authenticate(self, client: str, offered_key: str | None) -> str | None:
        """Return a name for the matching key (``None`` when no keys are configured)."""
        if not self._keys:
            return None
        for index, key in enumerate(self._keys):
            if offered_key is not None and hmac.compare_digest(offered_key, key):
                # Buckets are named by the key's position, so no key is kept twice.
                return f"key-{index}"
        if self._failures_per_minute:
            self._failures.take(client)
        raise UnauthorizedError("a valid API key is required (Authorization: Bearer or X-API-Key)")


def _too_many(what: str, wait: float, setting: str, limit: int) -> RateLimitedError:
    seconds = retry_after_seconds(wait)
    return RateLimitedError(
        f"too many {what}: over {limit} per minute (AUTOPKG_RATE_{setting}_PER_MINUTE); "
        f"retry in {seconds} s",
        retry_after=seconds,
    )
