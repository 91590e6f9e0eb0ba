"""A real ``autopkg serve`` subprocess for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.waiting import wait_until, wait_until_complete

#: How long a server may take to answer ready. Seconds on a quiet machine, but a loaded
#: one (the suite on two workers beside other work) has been seen to take over a minute.
START_SECS = 180.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """Starts, polls and stops ``python -m autopkg serve`` with a given environment."""

    def __init__(
        self, data_dir: Path, env: dict[str, str], extra_args: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "serve.log"
        self.env = {**os.environ, "AUTOPKG_DATA_DIR": str(data_dir), **env}
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_SECS) -> None:
        """Start the server and wait until it reports ready (or kill it and fail)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autopkg",
                    "serve",
                    "--port",
                    str(self.port),
                    *self.extra_args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"autopkg serve exited early:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/v1/readiness", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(ready, what="autopkg serve ready", timeout=timeout, interval=0.1)
        except AssertionError as exc:
            # Left running, it would outlive the test run and hold a share of the machine.
            self.kill()
            raise RuntimeError(f"{exc}:\n{self.log()}") from None

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET a path of the API."""
        return httpx.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST to a path of the API."""
        return httpx.post(self.url + path, timeout=30, **kwargs)

    def wait_for_job(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Poll a job until COMPLETE, checking that progress never goes backwards."""
        return wait_until_complete(self, job_id, timeout=timeout, progress_never_falls=True)
