"""Who may write, and how often: API keys and rate limits on writes.

Writes (``POST``/``DELETE``) are counted per client address and per API key, failed
authentications per client address, in token buckets held by this process: each API
process (``autopkg serve --processes N``) counts on its own. Reads are never counted,
but a job listing with keys set checks its key as a write does (:meth:`WriteGuard.reader`).
"""

from __future__ import annotations

import hmac

from autopkg.config import Settings
from autopkg.errors import RateLimitedError, UnauthorizedError
from autopkg.ratelimit import TokenBuckets, retry_after_seconds

#: Names of admin keys start with this; the other keys' names with ``key-``.
ADMIN_PREFIX = "admin-"


class WriteGuard:
    """Admits a write, or raises 401 (no valid key) or 429 (over a rate).

    With keys configured, a job belongs to the key that submitted it: only that key (or
    an admin key, ``AUTOPKG_ADMIN_API_KEYS``) lists and cancels it.
    """

    def __init__(self, settings: Settings) -> None:
        # Compared as UTF-8 bytes: a header may hold any character, and comparing a
        # string that is not ASCII is an error (a 500) rather than a mismatch.
        self._keys = [
            *(
                (f"key-{i}", key.get_secret_value().encode())
                for i, key in enumerate(settings.api_keys)
            ),
            *(
                (f"{ADMIN_PREFIX}{i}", key.get_secret_value().encode())
                for i, key in enumerate(settings.admin_api_keys)
            ),
        ]
        self._writes_per_minute = settings.rate_writes_per_minute
        self._failures_per_minute = settings.rate_auth_failures_per_minute
        self._client_writes = TokenBuckets(self._writes_per_minute)
        self._key_writes = TokenBuckets(self._writes_per_minute)
        self._failures = TokenBuckets(self._failures_per_minute)

    def admit(self, *, client: str, offered_key: str | None) -> str:
        """Check ``offered_key`` for a write from ``client`` and count the write.

        Returns:
            Who writes: the key's name (``key-<index>``, ``admin-<index>``) when keys are
            configured, else ``client``.

        Raises:
            RateLimitedError: the client failed authentication too often (checked
                before the key, so guessing keys is slowed too), or wrote too often
                from its address or with its key.
            UnauthorizedError: keys are configured and none of them was offered.
        """
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

    def reader(self, *, client: str, offered_key: str | None) -> str | None:
        """Whose jobs a listing from ``client`` shows: ``None`` for everyone's.

        Everyone's without keys, or with an admin key; otherwise the offered key's own.
        A missing or wrong key counts as a failed authentication, as on a write (or a
        listing would be a way to guess keys without being slowed).

        Raises:
            RateLimitedError: the client failed authentication too often.
            UnauthorizedError: keys are configured and none of them was offered.
        """
        return self.owner(self._authenticate(client, offered_key) or client)

    def owner(self, who: str) -> str | None:
        """The submitter whose jobs ``who`` (as :meth:`admit` named it) may touch;
        ``None``: every job (no keys are configured, or ``who`` holds an admin key)."""
        if not self._keys or who.startswith(ADMIN_PREFIX):
            return None
        return who

    def _authenticate(self, client: str, offered_key: str | None) -> str | None:
        """Return a name for the matching key (``None`` when no keys are configured)."""
        if not self._keys:
            return None
        if self._failures_per_minute:
            wait = self._failures.wait_for(client)
            if wait:
                raise _too_many(
                    "failed authentications", wait, "AUTH_FAILURES", self._failures_per_minute
                )
        offered = offered_key.encode() if offered_key is not None else None
        for name, key in self._keys:
            if offered is not None and hmac.compare_digest(offered, key):
                # Buckets are named by the key's position, so no key is kept twice.
                return name
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
