"""What refused abuse of the jobs API costs a real ``autopkg serve``.

Each abuse is sent :data:`AT_ONCE` times together (threads behind a barrier) to a server
of its own database: SQLite (the default), then a throwaway PostgreSQL database on the
machine's server. The server process's CPU seconds (user + system, every thread) are
read from ``/proc`` before and after; its peak resident memory is reset before
(``clear_refs``) and read after (``VmHWM``), next to the resident memory before.
5,000 finished-looking jobs are in the database, so listings have rows to read, and 20
jobs of one key wait for a run a worker holds, so that key is at its queued-jobs limit.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.mirror import serve_directory
from tests.fixtures.postgres import postgis_database
from tests.fixtures.sources import build_mirror

from autopkg.db.models import JobRecord, JobRunRecord, RunRecord
from autopkg.db.session import Database
from autopkg.domain.states import RunState
from benchmarks.inputs import CACHE

AT_ONCE = 8
JOBS = 5000
PROCESSOR = "test_processor.version_1"
KEYS = "k1,k2"
_TICKS = os.sysconf("SC_CLK_TCK")

Send = Callable[[httpx.Client, int], httpx.Response]


@dataclass(frozen=True)
class Abuse:
    """A request (``send(client, i)`` for the i-th of :data:`AT_ONCE`) and its answer."""

    name: str
    send: Send
    expected: int


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _options(fields: int) -> dict[str, Any]:
    return {
        "boundary_name": "gha",
        "processors": [PROCESSOR],
        "options": {PROCESSOR: {f"k{i}": [1] for i in range(fields)}},
    }


def _abuses() -> list[Abuse]:
    body = {"boundary_name": "gha", "processors": [PROCESSOR]}
    k1, k2 = {"X-API-Key": "k1"}, {"X-API-Key": "k2"}
    every_outcome = [("outcome", v) for v in ("SUCCESS", "PARTIAL", "FAILURE", "CANCELLED")]
    return [
        Abuse(
            "`GET /v1/jobs?outcome=SUCCESS` x 1,000",
            lambda c, _: c.get("/v1/jobs", params=[("outcome", "SUCCESS")] * 1000, headers=k1),
            422,
        ),
        Abuse(
            "`GET /ogc/jobs?status=accepted` x 1,000",
            lambda c, _: c.get("/ogc/jobs", params=[("status", "accepted")] * 1000, headers=k1),
            # OGC lists no 422: /ogc refuses with 400.
            400,
        ),
        Abuse(
            "the costliest listing allowed: 4 outcomes + `state=COMPLETE`, admin key",
            lambda c, _: c.get(
                "/v1/jobs",
                params=[*every_outcome, ("state", "COMPLETE")],
                headers={"X-API-Key": "admin"},
            ),
            200,
        ),
        Abuse(
            "options with 200,000 fields",
            lambda c, _: c.post("/v1/jobs", json=_options(200_000), headers=k1),
            422,
        ),
        Abuse(
            "`POST /v1/jobs?dryrun=true` (a typo)",
            lambda c, _: c.post("/v1/jobs?dryrun=true", json=body, headers=k1),
            422,
        ),
        Abuse(
            "a key that is not ASCII",
            lambda c, _: c.post("/v1/jobs", json=body, headers={b"X-API-Key": "clé".encode()}),
            401,
        ),
        Abuse(
            "another key's job cancelled",
            lambda c, i: c.delete(f"/v1/jobs/job-{i:05}", headers=k2),
            404,
        ),
        Abuse(
            "a complete job cancelled",
            lambda c, i: c.delete(f"/v1/jobs/job-{i + 100:05}", headers={"X-API-Key": "admin"}),
            409,
        ),
        Abuse(
            "submissions over the queued-jobs limit (k2 at 20 of 20)",
            lambda c, _: c.post("/v1/jobs", json={**body, "boundary_name": "tgo"}, headers=k2),
            429,
        ),
    ]


def _insert_jobs(url: str) -> None:
    """Jobs without runs (they read as complete) for the listings to scan, all k1's; and
    20 of k2's whose run is held by a worker that never finishes (its lease runs a day)."""
    now = datetime.now(UTC)
    finished = [
        {"id": f"job-{i:05}", "boundary_name": "gha", "created_at": now, "client": "key-0"}
        for i in range(JOBS)
    ]
    held = {
        "id": str(uuid.uuid4()),
        "boundary_name": "tgo",
        "processor_id": PROCESSOR,
        "options": {},
        "options_key": "",
        "state": RunState.EXECUTING.value,
        "percent": 0.0,
        "current_task": "",
        "attempts": 1,
        "lease_owner": "nobody",
        "lease_expires_at": now + timedelta(days=1),
        "created_at": now,
    }
    queued = [
        {"id": f"queued-{i:02}", "boundary_name": "tgo", "created_at": now, "client": "key-1"}
        for i in range(20)
    ]
    database = Database(url)
    with database.session() as session:
        session.add_all(JobRecord(**job) for job in [*finished, *queued])
        session.add(RunRecord(**held))
        session.flush()
        session.add_all(
            JobRunRecord(job_id=job["id"], position=0, run_id=held["id"]) for job in queued
        )
    database.dispose()


@contextlib.contextmanager
def _server(database_url: str | None, mirror: str) -> Iterator[ServeProcess]:
    data = CACHE / "jobs-abuse" / uuid.uuid4().hex[:8]
    env = {
        **serve_env(mirror),
        "AUTOPKG_API_KEYS": KEYS,
        "AUTOPKG_ADMIN_API_KEYS": "admin",
        "AUTOPKG_MAX_QUEUED_JOBS_PER_CLIENT": "20",
        "AUTOPKG_RATE_WRITES_PER_MINUTE": "0",
        "AUTOPKG_RATE_AUTH_FAILURES_PER_MINUTE": "0",
        "AUTOPKG_WORKERS": "1",
    }
    if database_url:
        env["AUTOPKG_DATABASE_URL"] = database_url
    server = ServeProcess(data, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _measure(server: ServeProcess, abuse: Abuse) -> list[str]:
    assert server.process is not None
    pid = server.process.pid
    together = threading.Barrier(AT_ONCE)
    answers: list[int] = []

    def one(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=600) as client:
            together.wait()
            answers.append(abuse.send(client, i).status_code)

    before_rss = _memory_mb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    cpu = _cpu_seconds(pid)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = _cpu_seconds(pid) - cpu
    peak = _memory_mb(pid, "VmHWM")
    wrong = sorted(status for status in answers if status != abuse.expected)
    assert not wrong, f"{abuse.name}: expected {abuse.expected}, got {wrong}"
    return [
        abuse.name,
        str(abuse.expected),
        f"{cpu:.2f}",
        f"{cpu / AT_ONCE:.3f}",
        f"{before_rss:.0f}",
        f"{peak:.0f} (+{peak - before_rss:.0f})",
    ]


def _rows(database_url: str | None, mirror: str) -> Iterator[list[str]]:
    with _server(database_url, mirror) as server:
        _insert_jobs(database_url or f"sqlite:///{server.data_dir / 'autopkg.sqlite'}")
        for abuse in _abuses():
            yield _measure(server, abuse)


def jobs_abuse() -> list[str]:
    """Markdown tables: each refused abuse on SQLite, then on PostgreSQL."""
    header = [
        "| abuse (8 at once) | answer | server CPU s | per request | RSS before MB | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    lines: list[str] = []
    with serve_directory(build_mirror(CACHE / "mirror")) as mirror:
        for label, url in (("SQLite", None), ("PostgreSQL", "postgresql")):
            with contextlib.ExitStack() as stack:
                database_url = stack.enter_context(postgis_database()) if url else None
                rows = list(_rows(database_url, mirror))
            lines += [f"{label}:", "", *header, *("| " + " | ".join(r) + " |" for r in rows), ""]
    return lines


if __name__ == "__main__":
    print("\n".join(jobs_abuse()))
