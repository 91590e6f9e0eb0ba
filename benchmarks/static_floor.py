"""The floor of the API benchmark: the same bodies as files, served by a bare nginx.

One nginx process (Debian's), no master, no access log, keep-alive: what answering
with bytes already on disk costs on this machine, for comparison with the API.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.e2e.server import free_port

_CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/json json; }}
    keepalive_requests 1000000;
    client_body_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/files;
    }}
}}
"""


@contextmanager
def static_server(root: Path, bodies: list[bytes]) -> Iterator[tuple[int, list[str]]]:
    """Serve ``bodies`` as ``/<n>.json``; yield the port and each body's path."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    shutil.rmtree(root, ignore_errors=True)
    (root / "files").mkdir(parents=True)
    (root / "tmp").mkdir()
    paths = []
    for index, body in enumerate(bodies):
        (root / "files" / f"{index}.json").write_bytes(body)
        paths.append(f"/{index}.json")
    port = free_port()
    (root / "nginx.conf").write_text(_CONFIG.format(root=root, port=port))
    process = subprocess.Popen([nginx, "-p", str(root), "-c", str(root / "nginx.conf")])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}{paths[0]}", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((root / "error.log").read_text()) from None
                time.sleep(0.05)
        yield port, paths
    finally:
        process.terminate()
        process.wait(10)
