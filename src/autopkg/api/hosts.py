"""The origin every absolute URL of an answer is built from, never a client's ``Host``.

Package URLs, OGC links and ``Location`` headers are built from the request's base
URL, which Starlette takes from the ``Host`` header: a client sending ``Host:
evil.example`` got links to that host, which a shared cache would then hand to others.
This middleware rewrites ``Host`` (and the scheme) before any route reads them:

1. ``AUTOPKG_PUBLIC_URL`` when set (behind a proxy, the address clients use);
2. else the client's ``Host`` if it is one of ``AUTOPKG_ALLOWED_HOSTS``;
3. else the address the connection reached (the listening socket's, as the server
   knows it), which a client cannot choose.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

_DEFAULT_PORTS = {"http": 80, "https": 443}


class PublicOrigin:
    """ASGI middleware fixing the ``Host`` header and scheme of every HTTP request."""

    def __init__(self, app: ASGIApp, *, public_url: str | None, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(host.lower() for host in allowed_hosts)
        self.public: tuple[str, bytes] | None = None
        if public_url:
            parts = urlsplit(public_url)
            self.public = (parts.scheme, parts.netloc.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its ``Host`` (and scheme) replaced when not trusted."""
        if scope["type"] == "http":
            # Changed in place, as uvicorn's proxy headers middleware does: the outer
            # middleware reads what routing adds to this same scope.
            self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
        if self.public is not None:
            scope["scheme"], host = self.public
        else:
            offered = next((value for name, value in scope["headers"] if name == b"host"), b"")
            if offered.decode("latin-1").lower() in self.allowed:
                return
            host = _server_host(scope)
        scope["headers"] = [(b"host", host), *headers]


def _server_host(scope: Scope) -> bytes:
    """``host:port`` of the socket the request arrived on (``localhost`` when unknown)."""
    server = scope.get("server")
    if not server:
        return b"localhost"
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scope.get("scheme", "http")) == port:
        return host.encode("latin-1")
    return f"{host}:{port}".encode("latin-1")
