"""Errors under ``/ogc`` as OGC exception documents (RFC 7807 problem details).

OGC API - Processes answers errors with ``application/problem+json``: ``type``,
``title``, ``status``, ``detail``. The standard (1.0) names three types; an input the
service refuses gets the ``invalid-parameter`` type other implementations use, and any
other error ``about:blank``, whose title is the HTTP status phrase (RFC 7807, 4.2).
OGC lists no 422, so what ``/v1`` refuses with 422 is 400 here. ``/v1`` keeps its
``{"detail": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

from autopkg.errors import AutopkgError

PREFIX = "/ogc"
MEDIA_TYPE = "application/problem+json"
_OGC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
NO_SUCH_PROCESS = _OGC + "no-such-process"
NO_SUCH_JOB = _OGC + "no-such-job"
RESULT_NOT_READY = _OGC + "result-not-ready"
INVALID_PARAMETER = _OGC + "invalid-parameter"
_TITLES = {
    NO_SUCH_PROCESS: "No such process",
    NO_SUCH_JOB: "No such job",
    RESULT_NOT_READY: "Result not ready",
    INVALID_PARAMETER: "Invalid parameter",
}


class OgcException(BaseModel):
    """An OGC exception document (RFC 7807 problem details)."""

    type: str = Field(
        description="An OGC exception type URI (no-such-process, no-such-job, "
        "result-not-ready, invalid-parameter), else about:blank."
    )
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="The resource the problem is about.")


class OgcProblem(AutopkgError):
    """An error of the OGC routes with its exception type (and the resource it is about)."""

    def __init__(
        self, status: int, kind: str, message: str, *, instance: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status
        self.kind = kind
        self.instance = instance


def is_ogc(path: str) -> bool:
    """Whether ``path`` is one of the OGC routes'."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def problem(
    status: int, detail: str, kind: str | None = None, *, instance: str | None = None
) -> dict[str, Any]:
    """The exception document of an error (``kind``: its type; by status when not given)."""
    if status == 422:
        status = 400
    if kind is None:
        kind = INVALID_PARAMETER if status == 400 else "about:blank"
    title = _TITLES.get(kind) or HTTPStatus(status).phrase
    document = OgcException(type=kind, title=title, status=status, detail=detail, instance=instance)
    return document.model_dump(mode="json", exclude_none=True)


def raw_error(path: str, status: int, detail: str) -> tuple[int, bytes, bytes]:
    """Status, content type and body of an error answered before any route runs."""
    if is_ogc(path):
        document = problem(status, detail)
        return document["status"], MEDIA_TYPE.encode(), json.dumps(document).encode()
    return status, b"application/json", json.dumps({"detail": detail}).encode()


def documented(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of an OGC route: each status described, and any other error."""
    content = {MEDIA_TYPE: {"schema": OgcException.model_json_schema()}}
    responses: dict[int | str, dict[str, Any]] = {
        status: {"description": text, "content": content} for status, text in described.items()
    }
    responses["default"] = {"description": "Any other error", "content": content}
    return responses
