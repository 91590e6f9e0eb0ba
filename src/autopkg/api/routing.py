"""A route class whose JSON bodies must be standard JSON (RFC 8259).

Python's ``json`` module, and so Starlette's ``Request.json``, accepts ``NaN``,
``Infinity`` and ``-Infinity``; they are not JSON and would reach the geometry code
as non-finite coordinates. Every router uses :class:`StrictJSONRoute`, so such a body
is answered 422 like any other malformed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a standard JSON number", name, 0)


class StrictJSONRequest(Request):
    """A request whose ``json()`` refuses the non-standard numbers."""

    async def json(self) -> Any:
        """Parse the body as standard JSON, once."""
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_constant=_refuse_constant)
        return self._json


class StrictJSONRoute(APIRoute):
    """An API route that parses its JSON body with :class:`StrictJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the standard handler so it receives a :class:`StrictJSONRequest`."""
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
