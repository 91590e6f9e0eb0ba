"""Serving under abuse: what each refused abuse costs, and /v1/packages on S3 vs folders.

Listing: a real ``autopkg serve`` with local folders (SQLite) and a whole production
deployment (PostGIS, Redis, S3 on a loopback moto server, one ``autopkg worker``),
each with the same published packages, offered :data:`RATE` ``GET /v1/packages`` per
second from :data:`CLIENTS` connections (``benchmarks/open_loop.py``).

Abuse: each abuse is sent to a real ``autopkg serve`` (a second one on S3 for the hung
store) and the server process's CPU seconds (``/proc/<pid>/stat``) are read before and
after it, with its resident memory after and at its peak (``VmRSS``, ``VmHWM``). The
read timeouts are lowered (headers 2 s, bodies 5 s) so each abuse ends quickly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from tests.e2e.conftest import serve_env
from tests.e2e.deployment import production
from tests.e2e.server import ServeProcess
from tests.fixtures.services import S3_REGION, create_bucket, s3_server_process

from benchmarks.inputs import CACHE
from benchmarks.open_loop import offer

RATE = 200
CLIENTS = 50
HOST = "127.0.0.1"
OK = "test_processor.version_1"
# Packages published before the listing is measured.
BOUNDARIES = ["gha", "tgo", "ben", "sle", "lbr", "gmb", "gnb", "bdi", "rwa", "mwi"]
# The test processor fetches nothing: no mirror is needed.
NO_MIRROR = "http://127.0.0.1:9"
FILE = "/packages/gmb/datapackage.json"
ABUSE_LIMITS = {"AUTOPKG_HEADER_TIMEOUT_SECS": "2", "AUTOPKG_BODY_TIMEOUT_SECS": "5"}


def _publish(url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        jobs = [
            client.post("/v1/jobs", json={"boundary_name": b, "processors": [OK]}).json()["job_id"]
            for b in BOUNDARIES
        ]
        deadline = time.monotonic() + 300
        while any(
            client.get(f"/v1/jobs/{j}").json()["job_group_status"] != "COMPLETE" for j in jobs
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("jobs not complete after 300 s")
            time.sleep(0.2)
        assert len(client.get("/v1/packages").json()) == len(BOUNDARIES)


def _listing(server: ServeProcess, seconds: int) -> str:
    offer(HOST, server.port, "/v1/packages", rate=RATE, clients=CLIENTS, seconds=1)
    found = offer(HOST, server.port, "/v1/packages", rate=RATE, clients=CLIENTS, seconds=seconds)
    return f"{found.percentile(50):.1f} | {found.percentile(99):.1f} | {found.failures}"


def packages_listing(seconds: int) -> list[str]:
    """p50/p99 of ``GET /v1/packages`` at RATE req/s, local folders vs production on S3."""
    root = CACHE / "serving" / uuid.uuid4().hex[:6]
    env = serve_env(NO_MIRROR)
    local = ServeProcess(root / "local", env)
    local.start()
    try:
        _publish(local.url)
        on_folders = _listing(local, seconds)
    finally:
        local.stop()
    with production(root / "production", env, workers=1) as deployment:
        _publish(deployment.server.url)
        on_s3 = _listing(deployment.server, seconds)
    return [
        f"`GET /v1/packages` ({len(BOUNDARIES)} packages), {RATE} requests/s from {CLIENTS} "
        f"connections for {seconds} s, one API process:",
        "",
        "| deployment | p50 ms | p99 ms | non-200 |",
        "|---|---|---|---|",
        f"| local folders, SQLite, embedded workers | {on_folders} |",
        f"| production: PostGIS, Celery over Redis, S3 (moto) | {on_s3} |",
    ]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _cost(server: ServeProcess, name: str, abuse: Callable[[], str]) -> str:
    assert server.process is not None
    pid = server.process.pid
    before = _cpu_seconds(pid)
    rss_before, _ = _memory_mb(pid)
    started = time.perf_counter()
    outcome = abuse()
    took = time.perf_counter() - started
    rss, peak = _memory_mb(pid)
    return (
        f"| {name} | {outcome} | {took:.1f} | {_cpu_seconds(pid) - before:.2f} "
        f"| {rss_before:.0f} → {rss:.0f} | {peak:.0f} |"
    )


def _closed(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def _connections(server: ServeProcess, count: int, first: bytes) -> str:
    sockets = [socket.create_connection((HOST, server.port), timeout=60) for _ in range(count)]
    for sock in sockets:
        if first:
            sock.sendall(first)
    answers = [_closed(sock) for sock in sockets]
    for sock in sockets:
        sock.close()
    codes = {answer.split(b" ", 2)[1].decode() for answer in answers if answer}
    return f"{count} closed, answered {'/'.join(sorted(codes))}"


def _huge_headers(server: ServeProcess, count: int, size: int) -> str:
    def one() -> int:
        with socket.create_connection((HOST, server.port), timeout=60) as sock:
            sent = 0
            head = b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Big: "
            try:
                sock.sendall(head)
                chunk = b"a" * 65536
                while sent < size:
                    sent += sock.send(chunk)
            except OSError:
                pass
            _closed(sock)
            return sent

    with ThreadPoolExecutor(count) as pool:
        sent = list(pool.map(lambda _: one(), range(count)))
    return f"{count} closed after {max(sent) / 1e6:.2f} MB of {size / 1e6:.0f} MB sent"


def _slow_body(server: ServeProcess) -> str:
    with socket.create_connection((HOST, server.port), timeout=60) as sock:
        sock.sendall(
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4000000\r\n\r\n"
        )
        stop = threading.Event()

        def trickle() -> None:
            while not stop.is_set():
                try:
                    sock.send(b"x")
                except OSError:
                    return
                time.sleep(1)

        sender = threading.Thread(target=trickle)
        sender.start()
        answer = _closed(sock)
        stop.set()
        sender.join()
    return f"answered {answer.split(b' ', 2)[1].decode()}, closed"


def _requests(server: ServeProcess, count: int, path: str, headers: dict[str, str]) -> str:
    codes: dict[int, int] = {}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(count):
            status = client.get(path, headers=headers).status_code
            codes[status] = codes.get(status, 0) + 1
    return ", ".join(f"{n} x {code}" for code, n in sorted(codes.items()))


def _bad_configuration() -> str:
    env = {**os.environ, "AUTOPKG_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:99999/db"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "autopkg", "boundaries", "list"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    lines = process.stderr.read().decode().strip().splitlines()
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    return (
        f"| bad port in `AUTOPKG_DATABASE_URL` (`autopkg boundaries list`) | "
        f"{len(lines)} line, exit {os.waitstatus_to_exitcode(status)} | {took:.1f} "
        f"| {usage.ru_utime + usage.ru_stime:.2f} | — | {usage.ru_maxrss / 1024:.0f} |"
    )


def _hung_store(root: Path) -> str:
    with s3_server_process() as (endpoint, moto):
        bucket = create_bucket(endpoint, public_read=True)
        env = {
            **serve_env(NO_MIRROR),
            "AUTOPKG_STORAGE_BACKEND": "awss3",
            "AUTOPKG_S3_BUCKET": bucket,
            "AUTOPKG_S3_REGION": S3_REGION,
            "AUTOPKG_S3_ENDPOINT_URL": endpoint,
            "AUTOPKG_PACKAGES_HOST_URL": f"{endpoint}/{bucket}",
            "AUTOPKG_S3_ACCESS_KEY": "test",
            "AUTOPKG_S3_SECRET_KEY": "test",
        }
        server = ServeProcess(root / "s3", env)
        server.start()
        try:
            job = server.post("/v1/jobs", json={"boundary_name": "gmb", "processors": [OK]})
            server.wait_for_job(job.json()["job_id"])

            def reads() -> str:
                moto.send_signal(signal.SIGSTOP)
                try:
                    with ThreadPoolExecutor(60) as pool:
                        answers = list(
                            pool.map(
                                lambda _: (
                                    httpx.get(
                                        f"{server.url}/v1/packages/gmb/zip", timeout=120
                                    ).status_code
                                ),
                                range(60),
                            )
                        )
                finally:
                    moto.send_signal(signal.SIGCONT)
                return f"60 x {'/'.join(str(c) for c in sorted(set(answers)))}"

            return _cost(server, "60 zip downloads while S3 is hung (moto SIGSTOP)", reads)
        finally:
            server.stop()


def refused_abuse() -> list[str]:
    """One row per abuse: what the server answered, how long, and what it cost."""
    root = CACHE / "serving" / uuid.uuid4().hex[:6]
    server = ServeProcess(root / "abuse", {**serve_env(NO_MIRROR), **ABUSE_LIMITS})
    server.start()
    partial = b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Slow: "
    try:
        job = server.post("/v1/jobs", json={"boundary_name": "gmb", "processors": [OK]})
        server.wait_for_job(job.json()["job_id"])
        (server.data_dir / "packages" / "gmb" / ".env").write_text("SECRET=1")
        abuses: list[tuple[str, Callable[[], str]]] = [
            ("1,000 connections sending nothing", lambda: _connections(server, 1000, b"")),
            ("1,000 connections stopping mid-header", lambda: _connections(server, 1000, partial)),
            ("one 32 MB header", lambda: _huge_headers(server, 1, 32_000_000)),
            ("20 unfinished 20 MB headers at once", lambda: _huge_headers(server, 20, 20_000_000)),
            ("a 4 MB body at 1 byte/s", lambda: _slow_body(server)),
            (
                "1,000 two-range requests on a package file",
                lambda: _requests(server, 1000, FILE, {"Range": "bytes=0-9, 20-29"}),
            ),
            (
                "1,000 requests for a dotfile under /packages/",
                lambda: _requests(server, 1000, "/packages/gmb/.env", {}),
            ),
            (
                "1,000 `/v1/packages/gmb` with `Host: evil.example`",
                lambda: _requests(server, 1000, "/v1/packages/gmb", {"Host": "evil.example"}),
            ),
        ]
        rows = [_cost(server, name, abuse) for name, abuse in abuses]
    finally:
        server.stop()
    rows.append(_hung_store(root))
    rows.append(_bad_configuration())
    return [
        "Each abuse against a fresh `autopkg serve` (one process, SQLite; the hung store on "
        "S3), headers 2 s and bodies 5 s:",
        "",
        "| abuse | outcome | wall s | server CPU s | server RSS MB (before → after) "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


if __name__ == "__main__":
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("\n".join([*packages_listing(seconds), "", *refused_abuse()]), flush=True)
