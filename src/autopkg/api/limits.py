"""Reject request bodies larger than the configured limit before reading them all."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autopkg.api.problems import raw_error


class BodyTooLargeError(HTTPException):
    """Raised inside ``receive`` once a streamed (chunked) body passes the limit.

    It is an ``HTTPException`` because FastAPI turns any other exception raised while
    it reads a body into a 400; this one it re-raises, and it is answered 413.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=too_large_detail(max_bytes))


def too_large_detail(max_bytes: int) -> str:
    """The message of every 413 answer."""
    return f"request body larger than {max_bytes} bytes (AUTOPKG_MAX_BODY_BYTES)"


class BodySizeLimit:
    """ASGI middleware answering 413 for bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(scope, send)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            # Reached only when no handler answered it (an app that is not a FastAPI route).
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        status, media_type, body = raw_error(scope["path"], 413, too_large_detail(self.max_bytes))
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
