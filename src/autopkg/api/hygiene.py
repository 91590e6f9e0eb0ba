"""Refuse control characters in request paths and query parameters.

Nothing autopkg serves has a control character in its name, and they do harm further
in: a NUL makes file-system calls raise (a 500 from ``/packages/%00``) and is taken as
the end of a string by SQLite's ``LIKE`` (``name=%00`` matched every boundary). So a
path holding one is answered 404 and a query parameter holding one 422 (400 under
``/ogc``), before any route runs; the OpenAPI schema states it as a ``pattern`` of
each text query parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from autopkg.api.problems import raw_error

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_character(text: str) -> bool:
    """Return whether ``text`` holds a C0 control character or DEL."""
    return _CONTROL.search(text) is not None


class RefuseControlCharacters:
    """ASGI middleware answering 404/422 for control characters in the path/query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the decoded path and every decoded query name and value."""
        if scope["type"] == "http":
            if has_control_character(scope["path"]):
                await _answer(
                    scope, send, 404, "no such resource: the path holds a control character"
                )
                return
            query = scope.get("query_string", b"").decode("latin-1")
            for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
                if has_control_character(name) or has_control_character(value):
                    shown = name if not has_control_character(name) else repr(name)[:40]
                    await _answer(
                        scope,
                        send,
                        422,
                        f"query parameter {shown}: must not hold control characters",
                    )
                    return
        await self.app(scope, receive, send)


#: The rule of every text query parameter, as the OpenAPI schema states it.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def state_in_schema(openapi: dict[str, Any]) -> None:
    """Write the rule into ``openapi``: every text query parameter gets its ``pattern``.

    A client reading the schema then knows that such a value is refused, as the
    middleware refuses it, instead of finding out from a 422.
    """
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _add_pattern(parameter.get("schema", {}))


def _add_pattern(schema: dict[str, Any]) -> None:
    for option in schema.get("anyOf", []):
        _add_pattern(option)
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        schema.setdefault("pattern", NO_CONTROL_CHARACTERS)


async def _answer(scope: Scope, send: Send, status: int, detail: str) -> None:
    status, media_type, body = raw_error(scope["path"], status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
