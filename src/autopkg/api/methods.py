"""Which methods a path allows: the ``Allow`` header of 405 and of ``OPTIONS`` answers.

Starlette answers a method a path does not serve with the methods of the *first* route
matching the path, so ``/v1/jobs/{id}`` (a GET route and a DELETE route) claimed
``Allow: GET``. Here every method is tried against the app's routes instead.
"""

from __future__ import annotations

from fastapi import Request
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles

_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Return the sorted methods served at the request's path (``OPTIONS`` included)."""
    # A mount the request went through has moved root_path; match from the app's root.
    scope = {
        "type": "http",
        "path": request.scope["path"],
        "root_path": request.scope.get("app_root_path", request.scope.get("root_path", "")),
    }
    methods = {"OPTIONS"}
    for route in request.app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            # A mount matches every method; the files under it answer GET and HEAD.
            if route.matches({**scope, "method": "GET"})[0] != Match.NONE:
                methods |= {"GET", "HEAD"}
            continue
        for method in _METHODS:
            if route.matches({**scope, "method": method})[0] == Match.FULL:
                methods.add(method)
    return sorted(methods)
