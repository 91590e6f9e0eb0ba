"""Refuse control characters in request paths and query parameters.

Nothing autopkg serves has a control character in its name, and they do harm further
in: a NUL makes file-system calls raise (a 500 from ``/packages/%00``) and is taken as
the end of a string by SQLite's ``LIKE`` (``name=%00`` matched every boundary). So a
path holding one is answered 404 and a query parameter holding one 422, before any
route runs.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

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
                await _answer(send, 404, "no such resource: the path holds a control character")
                return
            query = scope.get("query_string", b"").decode("latin-1")
            for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
                if has_control_character(name) or has_control_character(value):
                    shown = name if not has_control_character(name) else repr(name)[:40]
                    await _answer(
                        send, 422, f"query parameter {shown}: must not hold control characters"
                    )
                    return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
