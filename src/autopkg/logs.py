"""Logging: one line per event, as JSON or text, with the run's fields and no secrets.

``configure`` installs one stderr handler on the root logger (uvicorn's and Celery's
loggers propagate to it). Every line carries the fields bound with :func:`context`,
which the job engine binds around a run (``job_id``, ``run_id``, ``boundary``,
``processor``), and every configured secret is replaced by ``***`` before a line is
written, whichever logger wrote it and however the secret got into the message.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from autopkg.library_warnings import LibraryWarningsAsDebug, route_python_warnings

if TYPE_CHECKING:
    from autopkg.config import Settings

_fields: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "log_fields", default=MappingProxyType({})
)

REDACTED = "***"
MIN_SECRET_LENGTH = 8


@contextmanager
def context(**fields: str) -> Iterator[None]:
    """Add ``fields`` to every log line written in this context (this thread or task)."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


@contextmanager
def run_context(
    *, run_id: str, boundary: str, processor: str, job_ids: Iterable[str]
) -> Iterator[None]:
    """Bind a run's fields: its id, boundary, processor and the jobs waiting for it.

    A run is shared by every job that asked for the same work, so ``job_id`` lists
    them all (comma-separated), as the engine read them when the run started.
    """
    with context(job_id=",".join(job_ids), run_id=run_id, boundary=boundary, processor=processor):
        yield


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in ``settings``: keys, passwords, and passwords inside URLs."""
    values = [key.get_secret_value() for key in [*settings.api_keys, *settings.admin_api_keys]]
    for secret in (
        settings.postgres_password,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.osm_pgpassword,
        settings.callback_secret,
    ):
        if secret is not None:
            values.append(secret.get_secret_value())
    for url in (settings.database_url, settings.celery_broker, settings.celery_backend):
        password = urlsplit(url).password if url else None
        if password:
            values += [password, unquote(password)]
    # Longest first, so a secret containing another is replaced whole. Shorter ones
    # are left alone: searching every line for "test" would mask ordinary words.
    return sorted(
        {value for value in values if len(value) >= MIN_SECRET_LENGTH}, key=len, reverse=True
    )


class _RunFields(logging.Filter):
    """Copies the bound fields onto each record (a handler filter sees every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.autopkg_fields = _fields.get()
        return True


class _Redacting(logging.Formatter):
    """A formatter that replaces secrets in everything it writes."""

    def __init__(self, secrets: list[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class JsonFormatter(_Redacting):
    """One JSON object per line: time, level, logger, message, run fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
            **getattr(record, "autopkg_fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(_Redacting):
    """The classic ``time level logger: message`` line, run fields appended."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as text (an exception's traceback on the following lines)."""
        fields = getattr(record, "autopkg_fields", {})
        line = super().format(record)
        if fields:
            head, newline, rest = line.partition("\n")
            shown = " ".join(f"{name}={value}" for name, value in fields.items())
            line = f"{head} [{shown}]{newline}{rest}"
        return self.redact(line)


class _StderrHandler(logging.Handler):
    """Writes each line to ``sys.stderr`` as it is when the line is written.

    A progress bar (rich's) replaces ``sys.stderr`` while it is shown and prints what
    is written there above itself; a handler holding the original stream would write
    through the bar instead.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Write one formatted record and a newline."""
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure(settings: Settings) -> None:
    """Send every logger's records to stderr, formatted as ``AUTOPKG_LOG_FORMAT`` says.

    The geospatial libraries' warnings are logged at DEBUG (``autopkg.library_warnings``).
    """
    secrets = secrets_of(settings)
    handler = _StderrHandler()
    handler.addFilter(_RunFields())
    handler.addFilter(LibraryWarningsAsDebug())
    formatter = JsonFormatter(secrets) if settings.log_format == "json" else TextFormatter(secrets)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    route_python_warnings()
