"""What each refused abuse of areas costs a real ``autopkg serve``: CPU seconds, peak RSS.

One server (embedded mode, SQLite, default limits) answers each abusive request in
turn. The server's CPU time is read from ``/proc/<pid>/stat`` before and after, and
its peak RSS is reset before each request (``clear_refs``, value 5) and read after
(``VmHWM``), so each row is that request's cost alone, beside the status and the
first words of the answer. The map layer is measured on its first rebuild after the
largest upload the limits allow.

``python -m benchmarks.areas_abuse`` prints the table; ``make bench`` runs it as the
``areas`` section.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.server import ServeProcess
from tests.fixtures.areas import (
    BAND,
    BOWTIE,
    NEAR_WORLD,
    WORLD,
    collection_of,
    comb,
    polygon,
    square,
    upload_of,
)

PROCESSORS = ["test_processor.version_1"]
HEADER = (
    "| abuse | answer | server CPU (s) | server peak RSS (MB) | wall (s) |",
    "|---|---|---|---|---|",
)


@dataclass(frozen=True)
class Cost:
    """One request's answer and what it cost the server."""

    status: int
    detail: str
    cpu: float
    peak_mb: float
    wall: float


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime, the 14th and 15th fields of the whole line.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def measure(pid: int, send: Callable[[], httpx.Response]) -> Cost:
    """Send one request and return its answer with the server's CPU and peak RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    cpu = _cpu_seconds(pid)
    started = time.perf_counter()
    response = send()
    wall = time.perf_counter() - started
    body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    return Cost(
        status=response.status_code,
        detail=detail,
        cpu=_cpu_seconds(pid) - cpu,
        peak_mb=_peak_mb(pid),
        wall=wall,
    )


def _parts(count: int) -> dict[str, Any]:
    """``count`` small squares in one GeometryCollection."""
    side = int(count**0.5) + 1
    squares = [
        polygon([[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]])
        for x, y in ((20 + i * 0.02, 20 + j * 0.02) for i in range(side) for j in range(side))
    ][:count]
    return collection_of(*squares)


def _requests(client: httpx.Client) -> list[tuple[str, Callable[[], httpx.Response]]]:
    def upload(body: dict[str, Any], **params: str) -> Callable[[], httpx.Response]:
        return lambda: client.post("/v1/boundaries", json=body, params=params)

    def job(area: list[list[float]], **params: str) -> Callable[[], httpx.Response]:
        body = {"boundary": polygon(area), "processors": PROCESSORS}
        return lambda: client.post("/v1/jobs", json=body, params=params)

    def combs(teeth: int) -> dict[str, Any]:
        crossing = collection_of(polygon(comb(teeth)), polygon(comb(teeth, across=True)))
        return upload_of(crossing)

    dry = client.post(
        "/v1/jobs",
        params={"dry_run": "true"},
        json={"boundary": polygon(comb(10)), "processors": PROCESSORS},
    )
    custom_name = dry.json()["boundary_name"]
    return [
        ("upload: 2 crossing combs in a GeometryCollection, 6,008 vertices", upload(combs(750))),
        ("upload: 2 crossing combs in a GeometryCollection, 12,008 vertices", upload(combs(1500))),
        ("upload: 30,000 parts in a GeometryCollection", upload(upload_of(_parts(30_000)))),
        (
            "upload: the box (-60, -40)…(60, 80) in a GeometryCollection",
            upload(upload_of(collection_of(square(-60, -40, side=120)))),
        ),
        ("job: the world box", job(WORLD)),
        ("job: the box (-179, -85)…(179, 85)", job(NEAR_WORLD)),
        ("job: the band 0-60°N", job(BAND)),
        ("job: a 5-vertex bow tie across the world", job(BOWTIE)),
        ("dry run: the world box", job(WORLD, dry_run="true")),
        (
            f"upload: a boundary named {custom_name} (squatting a custom area)",
            upload(upload_of(square(0), name=custom_name)),
        ),
        ("upload: empty name_column", upload(upload_of(square(0)), name_column="")),
        (
            "upload: a long name of 100,000 characters",
            upload(upload_of(square(0), name_long="x" * 100_000)),
        ),
    ]


def _map_layer(client: httpx.Client, pid: int) -> list[tuple[str, Cost]]:
    """The map layer's first rebuild after the largest uploads the limits allow."""
    rows = []
    for label, body in (
        ("10,000 parts (AUTOPKG_MAX_AREA_PARTS)", upload_of(_parts(10_000), name="many-parts")),
        ("a comb of 15,004 vertices", upload_of(polygon(comb(3750)), name="comb-15k")),
        ("a comb of 60,004 vertices", upload_of(polygon(comb(15_000)), name="comb-60k")),
    ):
        loaded = client.post("/v1/boundaries", json=body)
        loaded.raise_for_status()
        cost = measure(pid, lambda: client.get("/v1/boundaries/simplified"))
        rows.append((f"`GET /v1/boundaries/simplified` after an upload of {label}", cost))
    return rows


def _row(label: str, cost: Cost) -> str:
    detail = f"{cost.detail[:70]}…" if len(cost.detail) > 70 else cost.detail
    answer = f"{cost.status} {detail}".strip()
    return f"| {label} | {answer} | {cost.cpu:.2f} | {cost.peak_mb:.0f} | {cost.wall:.2f} |"


def refused_abuse() -> list[str]:
    """Markdown lines: one row per abusive request, then the boundaries stored after."""
    with tempfile.TemporaryDirectory(prefix="areas-abuse-") as folder:
        server = ServeProcess(
            Path(folder), {"AUTOPKG_INCLUDE_TEST_PROCESSORS": "true", "AUTOPKG_WORKERS": "1"}
        )
        server.start()
        try:
            assert server.process is not None
            pid = server.process.pid
            with httpx.Client(base_url=server.url, timeout=600) as client:
                listed = len(client.get("/v1/boundaries?include_custom=true").json())
                rows = [
                    (label, measure(pid, send)) for label, send in _requests(client)
                ] + _map_layer(client, pid)
                stored = len(client.get("/v1/boundaries?include_custom=true").json()) - listed
        finally:
            server.stop()
    lines = [*HEADER, *(_row(label, cost) for label, cost in rows)]
    return [*lines, "", f"boundaries stored by the abuses (map-layer uploads aside): {stored - 3}"]


if __name__ == "__main__":
    print("\n".join(refused_abuse()))
