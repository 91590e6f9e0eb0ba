"""Production mode for the end-to-end tests: PostGIS, Redis, S3 and real worker processes.

Everything is real and local: a throwaway PostGIS database on the machine's server, a
password-protected ``redis-server`` and a ``moto_server`` (S3) on free loopback ports,
``autopkg serve`` (which then only enqueues) and ``autopkg worker`` processes sharing
one source cache. Packages are published to a bucket whose objects are publicly
readable, as the README asks of a real deployment, and downloaded from it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.server import START_SECS, ServeProcess
from tests.fixtures.postgres import postgis_database
from tests.fixtures.services import S3_REGION, create_bucket, redis_server, s3_server
from tests.fixtures.waiting import wait_until


class WorkerProcess:
    """Starts and stops ``python -m autopkg worker`` with a given environment."""

    def __init__(self, data_dir: Path, env: dict[str, str], concurrency: int = 1) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir / "worker.log"
        self.env = {**os.environ, "AUTOPKG_DATA_DIR": str(data_dir), **env}
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_SECS) -> None:
        """Start the worker and wait until Celery says it is ready (or kill it and fail)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autopkg", "worker", f"--concurrency={self.concurrency}"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"autopkg worker exited early:\n{self.log()}")
            return " ready." in self.log()[offset:]

        try:
            wait_until(ready, what="autopkg worker ready", timeout=timeout, interval=0.1)
        except AssertionError as exc:
            self.kill()
            raise RuntimeError(f"{exc}:\n{self.log()}") from None

    def log(self) -> str:
        """Everything the worker printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Kill the worker and its pool processes abruptly (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop the worker (SIGTERM: Celery's warm shutdown), killing it if it hangs."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Production:
    """A running production deployment."""

    server: ServeProcess
    workers: list[WorkerProcess]
    database_url: str
    s3_endpoint: str
    bucket: str
    env: dict[str, str]
    redis: subprocess.Popen[bytes]
    extra: list[WorkerProcess] = field(default_factory=list)


@contextmanager
def production(
    root: Path,
    base_env: dict[str, str],
    *,
    workers: int = 2,
    concurrency: int = 1,
    postgres_port: int | None = None,
) -> Iterator[Production]:
    """Start a whole production deployment under ``root``; stop it all afterwards.

    ``workers`` ``autopkg worker`` processes of ``concurrency`` children each. The
    database is on the machine's PostgreSQL, or on the server at ``postgres_port``.
    """
    with ExitStack() as stack:
        database_url = stack.enter_context(
            postgis_database() if postgres_port is None else postgis_database(postgres_port)
        )
        broker, redis = stack.enter_context(redis_server(uuid.uuid4().hex))
        endpoint = stack.enter_context(s3_server())
        bucket = create_bucket(endpoint, public_read=True)
        env = {
            **base_env,
            "AUTOPKG_DATABASE_URL": database_url,
            "AUTOPKG_CELERY_BROKER": broker,
            "AUTOPKG_STORAGE_BACKEND": "awss3",
            "AUTOPKG_S3_BUCKET": bucket,
            "AUTOPKG_S3_REGION": S3_REGION,
            "AUTOPKG_S3_ENDPOINT_URL": endpoint,
            "AUTOPKG_S3_ACCESS_KEY": "test",
            "AUTOPKG_S3_SECRET_KEY": "test",
            "AUTOPKG_PACKAGES_HOST_URL": f"{endpoint}/{bucket}",
            "AUTOPKG_LOCALFS_PROCESSING_BACKEND_ROOT": str(root / "shared-processing"),
        }
        server = ServeProcess(root / "serve", env)
        # Stopped also when it never became ready: its processes would outlive the test.
        stack.callback(server.stop)
        server.start()
        pool = [WorkerProcess(root / f"worker-{i}", env, concurrency) for i in range(workers)]
        for worker in pool:
            stack.callback(worker.stop)
        # Started side by side: each waits seconds for Celery to say it is ready.
        with ThreadPoolExecutor(max_workers=workers) as starting:
            list(starting.map(lambda worker: worker.start(), pool))
        yield Production(server, pool, database_url, endpoint, bucket, env, redis)
