"""Map every error to JSON ``{"detail": "..."}`` with the right status code.

Under ``/ogc`` the same errors are OGC exception documents (:mod:`autopkg.api.problems`).
A 405 lists every method of the path in ``Allow``; ``OPTIONS`` is answered 204 with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from autopkg.api.methods import allowed_methods
from autopkg.api.problems import MEDIA_TYPE, OgcProblem, is_ogc, problem
from autopkg.errors import (
    AutopkgError,
    RateLimitedError,
    ReadTimeoutError,
    StorageUnavailableError,
)

log = logging.getLogger(__name__)

#: A part of an error's location: a key or an index, or the name of a union's branch.
Part = str | int
#: Where a union's branch was taken: the location written so far, and the branch's name.
Branch = tuple[tuple[Part, ...], str]


def as_written(
    errors: Sequence[Mapping[str, Any]], document: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The errors of validating ``document``, located by the keys and indexes a person wrote.

    Pydantic locates an error inside a union by the branch's name too
    (``summary.SummaryOptions.thresholds``, ``literal[False]``, ``int``); those names are
    left out. A branch refused only as the wrong kind of value altogether (not a list,
    not ``false``) is left out too when another branch of the same union took the value
    and got further in: the person meant that one. Errors located outside ``document``
    (a query parameter, the whole request) are kept as they are.
    """
    walked: list[tuple[Mapping[str, Any], tuple[Part, ...], Branch | None]] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if not loc or loc[0] not in document:
            walked.append((error, loc, None))
            continue
        written, branch = _written(loc, document, error.get("type") == "missing")
        walked.append((error, written, branch))
    # The unions where some branch got past the value itself.
    entered = {branch[0] for _, written, branch in walked if branch and written != branch[0]}
    found: list[Mapping[str, Any]] = []
    for error, written, branch in walked:
        kind = str(error.get("type"))
        refused_whole = kind.endswith("_type") or kind == "literal_error"
        if branch and written == branch[0] and refused_whole and written in entered:
            continue
        described = {**error, "loc": written}
        if described not in found:
            found.append(described)
    return found


def _written(
    loc: Sequence[Part], document: Any, missing: bool
) -> tuple[tuple[Part, ...], Branch | None]:
    """The parts of ``loc`` that are keys and indexes of ``document``, and the first branch.

    A part that indexes nothing there names a union's branch, so it is left out, but for
    the last part of a ``missing`` error, which names the absent key.
    """
    written: list[Part] = []
    branch: Branch | None = None
    value = document
    for index, part in enumerate(loc):
        if _indexes(value, part):
            written.append(part)
            value = value[part]
        elif missing and index == len(loc) - 1:
            written.append(part)
        elif branch is None:
            branch = (tuple(written), str(part))
    return tuple(written), branch


def _indexes(value: Any, part: Part) -> bool:
    """Whether ``part`` is a key or an index of ``value``."""
    if isinstance(value, dict):
        return part in value
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def describe_error(error: Mapping[str, Any]) -> str:
    """One validation error in words: where, then what."""
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error")
        return (
            f"request body is not valid JSON: {reason}"
            if reason
            else "request body is not valid JSON"
        )
    return f"{location}: {message}" if location else message


def _error(
    request: Request,
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    *,
    kind: str | None = None,
    instance: str | None = None,
) -> JSONResponse:
    """``{"detail": ...}``, or under /ogc the exception document (of type ``kind``)."""
    if is_ogc(request.url.path):
        document = problem(status, detail, kind, instance=instance)
        return JSONResponse(
            document, status_code=document["status"], headers=headers, media_type=MEDIA_TYPE
        )
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _autopkg_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AutopkgError)
    if isinstance(exc, OgcProblem):
        # An answer the OGC routes chose (a failed job's results are a 500), not a fault.
        return _error(request, exc.status_code, exc.message, kind=exc.kind, instance=exc.instance)
    if exc.status_code == 503:
        log.warning("%s: %s", exc.code, exc.message)
    elif exc.status_code >= 500:
        log.error("%s: %s", exc.code, exc.message)
    headers = None
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, RateLimitedError | StorageUnavailableError | ReadTimeoutError):
        headers = {"Retry-After": str(exc.retry_after)}
    return _error(request, exc.status_code, exc.message, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = as_written(exc.errors(), {"body": exc.body})
    details = "; ".join(describe_error(error) for error in errors[:5])
    return _error(request, 422, details or "invalid request")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        allow = {"Allow": ", ".join(allowed_methods(request))}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=allow)
        detail = f"method {request.method} not allowed here; allowed: {allow['Allow']}"
        return _error(request, 405, detail, allow)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path[:200]}"
    return _error(request, exc.status_code, detail, exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # A restart of the database server cuts every connection: the request may be
    # retried in a moment, so this is 503 with Retry-After rather than a 500.
    log.warning("database unavailable: %s", type(exc).__name__)
    return _error(
        request,
        503,
        "the database is unavailable; try again shortly",
        {"Retry-After": "5"},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return _error(request, 500, "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AutopkgError, _autopkg_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
