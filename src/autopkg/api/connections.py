"""Bounds on how a client may send a request: header size and read times.

uvicorn's httptools protocol reads headers of any size (a 32 MB header was answered
200; twenty unfinished 20 MB headers held 400 MB) and has no timeout while a request
arrives: a connection that sends nothing, headers at a byte a second or a body at a
byte a second is held for as long as the client likes, so a few thousand such
connections exhaust the server. This protocol adds, per connection:

* ``max_header_bytes``: the request line and headers together; more → 431, closed;
* ``header_timeout``: from the connection's first moment, or a request's first byte,
  to the end of its headers → 408, closed;
* ``body_timeout``: from the end of the headers to the end of the body, whether or
  not the application reads it → 408 (if no answer has started), closed.

A connection idle between requests is closed by uvicorn's keep-alive timeout.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class ConnectionLimits:
    """How large a request's headers may be and how long a request may take to arrive."""

    max_header_bytes: int
    header_timeout: float
    body_timeout: float


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`ConnectionLimits` enforced."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._reading_headers = True
        self._header_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the header clock: a connection that sends nothing is closed too."""
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm(self._limits.header_timeout, "AUTOPKG_HEADER_TIMEOUT_SECS")

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Count header bytes as they arrive; refuse once they pass the limit."""
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._reading_headers and self._header_bytes > self._limits.max_header_bytes:
            self._refuse(
                431,
                f"request headers larger than {self._limits.max_header_bytes} bytes "
                "(AUTOPKG_MAX_HEADER_BYTES)",
            )

    def on_message_begin(self) -> None:
        """A new request: its headers must arrive within the header timeout."""
        super().on_message_begin()
        self._reading_headers = True
        self._arm(self._limits.header_timeout, "AUTOPKG_HEADER_TIMEOUT_SECS")

    def on_headers_complete(self) -> None:
        """The headers are in: the body (if any) must follow within the body timeout."""
        self._reading_headers = False
        self._header_bytes = 0
        self._arm(self._limits.body_timeout, "AUTOPKG_BODY_TIMEOUT_SECS")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request arrived: no clock runs until the next one begins."""
        self._disarm()
        self._reading_headers = True
        super().on_message_complete()

    def _arm(self, seconds: float, setting: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._timed_out, seconds, setting)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self, seconds: float, setting: str) -> None:
        self._deadline = None
        self._refuse(408, f"request not received within {seconds:g} s ({setting})")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer ``status`` unless an answer has started, then close the connection."""
        self._disarm()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            if cycle is not None:
                # The application may still answer: nothing more may be written.
                cycle.disconnected = True
            body = json.dumps({"detail": detail}).encode()
            reason = "Request Timeout" if status == 408 else "Request Header Fields Too Large"
            self.transport.write(
                b"".join(
                    [
                        f"HTTP/1.1 {status} {reason}\r\n".encode(),
                        b"content-type: application/json\r\n",
                        f"content-length: {len(body)}\r\n".encode(),
                        b"connection: close\r\n\r\n",
                        body,
                    ]
                )
            )
        self.transport.close()
