"""Request limits against a real ``autopkg serve`` over real sockets."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx

from tests.e2e.server import ServeProcess
from tests.fixtures.areas import polygon, ring


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def test_pathological_area_costs_the_server_little_cpu_and_memory(server: ServeProcess) -> None:
    assert server.process is not None
    pid = server.process.pid
    cpu_before, rss_before = _cpu_seconds(pid), _memory_kib(pid, "VmRSS")
    body = {"boundary": polygon(ring(2000, seed=1)), "processors": ["test_processor.version_1"]}
    responses = [server.post("/v1/jobs", json=body) for _ in range(4)]
    cpu = _cpu_seconds(pid) - cpu_before
    grown_mib = (_memory_kib(pid, "VmHWM") - rss_before) / 1024
    assert [r.status_code for r in responses] == [422] * 4
    assert "AUTOPKG_MAX_REPAIR_VERTICES" in responses[0].json()["detail"]
    # Four of these took 5.9 GB and over two minutes of CPU before the limits came first.
    assert cpu < 2.0, f"the server spent {cpu:.2f} s of CPU"
    assert grown_mib < 300, f"the server's peak memory grew by {grown_mib:.0f} MiB"


def test_chunked_body_over_the_limit_is_413(server: ServeProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"boundary_name": "gha", "processors": ["'
        for _ in range(6):
            yield b"a" * 1_000_000
        yield b'"]}'

    response = httpx.post(
        server.url + "/v1/jobs",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "request body larger than 5000000 bytes (AUTOPKG_MAX_BODY_BYTES)"
    }


def test_nul_bytes_and_non_standard_numbers_over_the_wire(server: ServeProcess) -> None:
    for path in ("/packages/%00", "/v1/packages/gha%00/zip", "/v1/boundaries/%00"):
        response = server.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "no such resource: the path holds a control character"}
    assert server.get("/v1/boundaries/search?name=%00").status_code == 422
    nan = server.post(
        "/v1/jobs",
        content=b'{"boundary_name": "gha", "processors": [NaN]}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert "NaN is not a standard JSON number" in nan.json()["detail"]
    options = httpx.options(server.url + "/v1/jobs/some-id", timeout=30)
    assert (options.status_code, options.headers["allow"]) == (204, "DELETE, GET, OPTIONS")
