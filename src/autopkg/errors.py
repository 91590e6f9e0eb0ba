"""One error hierarchy for the whole service.

Every error carries a stable ``code`` slug, the HTTP ``status_code`` the API maps it
to, and a message that is safe to show to users. Job records store the code; nobody
matches on message text.
"""

from __future__ import annotations


class AutopkgError(Exception):
    """Base class of every error autopkg raises on purpose."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(AutopkgError):
    """The request names something that does not exist or is malformed."""

    status_code = 400
    code = "invalid_input"


class UnprocessableError(AutopkgError):
    """The request is well-formed but its values are not acceptable."""

    status_code = 422
    code = "unprocessable"


class NotFoundError(AutopkgError):
    """The addressed resource does not exist."""

    status_code = 404
    code = "not_found"


class UnauthorizedError(AutopkgError):
    """A write was attempted without a valid API key."""

    status_code = 401
    code = "unauthorized"


class RateLimitedError(AutopkgError):
    """A client wrote (or failed to authenticate) more often than its rate allows."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReadTimeoutError(AutopkgError):
    """A read ran longer than the database allows one (``AUTOPKG_DATABASE_READ_TIMEOUT_SECS``)."""

    status_code = 503
    code = "read_timeout"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConflictError(AutopkgError):
    """The request conflicts with the current state of a resource."""

    status_code = 409
    code = "conflict"


class ConfigurationError(AutopkgError):
    """The service configuration is incoherent."""

    code = "configuration_error"


class SourceError(AutopkgError):
    """A dataset source could not be fetched or failed verification."""

    status_code = 502
    code = "source_error"


class SourceUnavailableError(AutopkgError):
    """A source a request needs now cannot be fetched (offline, publisher down)."""

    status_code = 503
    code = "source_unavailable"


class ClipError(AutopkgError):
    """A file could not be clipped (unreadable, unsupported or wrong format)."""

    status_code = 422
    code = "clip_error"


class ProcessorError(AutopkgError):
    """A processor failed while producing its outputs."""

    code = "processor_error"


class RunAbandonedError(AutopkgError):
    """A run lost its lease (cancelled, or taken over after a stall) and must stop."""

    status_code = 409
    code = "run_abandoned"


class RunTimeLimitError(AutopkgError):
    """A run passed its soft time limit and was asked to stop (at its next report)."""

    code = "time_limit"


class LimitExceededError(UnprocessableError):
    """The request is over a configured size limit (the message names it and the value)."""

    code = "limit_exceeded"


class StorageError(AutopkgError, OSError):
    """Package storage refused a write (disk full, permissions, read-only…).

    The message names the cause and the key, e.g. ``no space left on device writing
    gha/datapackage.json``, so a failed run says why instead of "internal error". It is
    also an ``OSError`` carrying the original ``errno``, so code that handles
    file-system errors keeps handling it.
    """

    code = "storage_error"

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class StorageUnavailableError(StorageError):
    """Package storage did not answer in time (or could not be reached): try again later."""

    status_code = 503
    code = "storage_unavailable"
    retry_after = 10
