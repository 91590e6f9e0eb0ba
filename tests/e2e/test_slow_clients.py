"""Slow and oversized requests against a real ``autopkg serve``: refused, and closed.

Real sockets send what a slow or hostile client would: nothing, headers a byte at a
time, a body at a trickle, a huge header. The limits are set low so each case ends in
about a second; every wait is bounded by a socket timeout far above it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e.server import ServeProcess

LIMITS = {
    "AUTOPKG_HEADER_TIMEOUT_SECS": "1",
    "AUTOPKG_BODY_TIMEOUT_SECS": "2",
    "AUTOPKG_MAX_HEADER_BYTES": "8192",
}
# Far above the limits: reaching it means the server never closed the connection.
PATIENCE = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path_factory.mktemp("slow"), LIMITS)
    process.start()
    yield process
    process.stop()


def _connect(server: ServeProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a timeout fails the test)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _trickle(sock: socket.socket, data: bytes, pause: float, stop: threading.Event) -> int:
    """Send ``data`` a byte at a time until the server closes; return the bytes sent."""
    sent = 0
    for byte in data:
        if stop.is_set():
            break
        try:
            sock.send(bytes([byte]))
        except OSError:
            break
        sent += 1
        time.sleep(pause)
    return sent


def _status_and_detail(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)["detail"]


def _trickled(server: ServeProcess, data: bytes) -> tuple[bytes, int]:
    """Trickle ``data`` on one connection (a byte per 50 ms); return the answer and bytes sent."""
    with _connect(server) as sock:
        stop = threading.Event()
        sent: list[int] = []
        sender = threading.Thread(target=lambda: sent.append(_trickle(sock, data, 0.05, stop)))
        sender.start()
        answer = _read_until_closed(sock)
        stop.set()
        sender.join()
    return answer, sent[0]


def test_a_connection_that_sends_nothing_is_closed(server: ServeProcess) -> None:
    with _connect(server) as sock:
        answer = _read_until_closed(sock)
    assert _status_and_detail(answer) == (
        408,
        "request not received within 1 s (AUTOPKG_HEADER_TIMEOUT_SECS)",
    )


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: ServeProcess) -> None:
    request = b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 400 + b"\r\n\r\n"
    answer, sent = _trickled(server, request)
    assert _status_and_detail(answer)[0] == 408
    # 400 bytes at 20 a second would take 20 s; the server closed long before.
    assert sent < len(request)


def test_a_trickled_body_is_cut_off(server: ServeProcess) -> None:
    body = b"x" * 4_000_000
    head = (
        b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    with _connect(server) as sock:
        sock.sendall(head)
        stop = threading.Event()
        sender = threading.Thread(target=_trickle, args=(sock, body, 0.05, stop))
        sender.start()
        answer = _read_until_closed(sock)
        stop.set()
        sender.join()
    assert _status_and_detail(answer) == (
        408,
        "request not received within 2 s (AUTOPKG_BODY_TIMEOUT_SECS)",
    )


def test_an_unread_body_does_not_hold_the_connection(server: ServeProcess) -> None:
    # Answered at once (405) without reading the body the client promised and never sends.
    with _connect(server) as sock:
        sock.sendall(b"PUT /v1/liveness HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 405 ")


def test_headers_over_the_limit_are_refused(server: ServeProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000)
        answer = _read_until_closed(sock)
    assert _status_and_detail(answer) == (
        431,
        "request headers larger than 8192 bytes (AUTOPKG_MAX_HEADER_BYTES)",
    )


def test_a_huge_header_is_not_read_to_its_end(server: ServeProcess) -> None:
    header = b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 32_000_000
    with _connect(server) as sock:
        sent: list[int] = []
        sender = threading.Thread(target=lambda: sent.append(_send_all(sock, header)))
        sender.start()
        with contextlib.suppress(ConnectionResetError):
            _read_until_closed(sock)
        sender.join()
    # Closed by the server: the client could not send the 32 MB.
    assert sent[0] < len(header)
    assert server.get("/v1/liveness").status_code == 200


def _send_all(sock: socket.socket, data: bytes) -> int:
    """Send ``data`` in 64 kB pieces until done or the server closes; return bytes sent."""
    sent = 0
    while sent < len(data):
        try:
            sent += sock.send(data[sent : sent + 65536])
        except OSError:
            break
    return sent


def test_many_slow_connections_are_all_closed_and_others_are_served(
    server: ServeProcess,
) -> None:
    sockets = [_connect(server) for _ in range(300)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert server.get("/v1/liveness").json() == {"status": "alive"}
        answers = [_read_until_closed(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert {answer.split(b"\r\n", 1)[0] for answer in answers} == {b"HTTP/1.1 408 Request Timeout"}


def test_requests_within_the_limits_share_a_connection(server: ServeProcess) -> None:
    request = b"GET /v1/liveness HTTP/1.1\r\nHost: x\r\nX-Fine: " + b"a" * 4000 + b"\r\n\r\n"
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(request)
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 OK"), answer
            assert answer.endswith(b'{"status":"alive"}')


def test_serve_log_records_no_error(server: ServeProcess) -> None:
    assert '"level": "ERROR"' not in server.log()
