"""An open-loop HTTP/1.1 load generator: a fixed offered rate, latency from the schedule.

Debian's ``wrk`` is closed-loop: each connection sends its next request only when the
previous answer arrived, so a slow server is offered less load and its stalls hide
from the percentiles (coordinated omission). Here request *i* is due at
``start + i / rate``, whatever happened before; clients take the due requests in turn
over their own keep-alive connections, and each latency is measured from the time
the request was due, so a request queued behind a slow one counts its wait too.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import uvloop


@dataclass(frozen=True)
class OpenLoopResult:
    """Latencies (ms, from each request's due time, sorted) and the non-200 answers."""

    latencies_ms: list[float]
    failures: int

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile latency (nearest rank)."""
        rank = max(1, math.ceil(p / 100 * len(self.latencies_ms)))
        return self.latencies_ms[rank - 1]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked answers are not supported: routes must send a length")
    return 0


async def _client(host: str, port: int, path: str, due: list[float], latencies: list[float]) -> int:
    """Send one request at each due time (later if the previous answer is late)."""
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    failures = 0
    try:
        for when in due:
            wait = when - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(_content_length(head))
            latencies.append((time.perf_counter() - when) * 1000)
            failures += head.split(b" ", 2)[1] != b"200"
    finally:
        writer.close()
    return failures


async def _offer(
    host: str, port: int, path: str, rate: float, clients: int, seconds: float
) -> OpenLoopResult:
    # perf_counter, not the loop's clock: uvloop's has millisecond resolution.
    start = time.perf_counter() + 0.5  # time to open every connection before the first is due
    total = int(rate * seconds)
    due = [start + i / rate for i in range(total)]
    latencies: list[float] = []
    failures = await asyncio.gather(
        *(_client(host, port, path, due[k::clients], latencies) for k in range(clients))
    )
    return OpenLoopResult(sorted(latencies), sum(failures))


def offer(
    host: str, port: int, path: str, *, rate: float, clients: int, seconds: float
) -> OpenLoopResult:
    """Offer ``rate`` GETs of ``path`` per second from ``clients`` connections for ``seconds``."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_offer(host, port, path, rate, clients, seconds))
