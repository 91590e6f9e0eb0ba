"""A route class strict about what a request holds: standard JSON, known query parameters.

Python's ``json`` module, and so Starlette's ``Request.json``, accepts ``NaN``,
``Infinity`` and ``-Infinity``; they are not JSON and would reach the geometry code
as non-finite coordinates. Every router uses :class:`StrictJSONRoute`, so such a body
is answered 422 like any other malformed JSON.

A write (``POST``, ``DELETE``) with a query parameter its route does not take is 422
too: ``?dryrun=true`` for ``?dry_run=true`` would otherwise create a real job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from autopkg.errors import UnprocessableError

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a standard JSON number", name, 0)


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


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
        known = _query_names(self.dependant)
        taken = ", ".join(sorted(known)) or "none"

        async def strict_handler(request: Request) -> Response:
            if request.method in _WRITES:
                unknown = sorted(set(request.query_params) - known)
                if unknown:
                    shown = ", ".join(repr(name[:40]) for name in unknown[:5])
                    raise UnprocessableError(
                        f"unknown query parameter {shown}: this route takes {taken}"
                    )
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
