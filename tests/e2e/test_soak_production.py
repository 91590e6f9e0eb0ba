"""Soak in production mode: Celery workers are killed and restarted (tests/e2e/soak.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.deployment import production
from tests.e2e.soak import KILL_AFTER, soak
from tests.fixtures.mirror import serve_directory

pytestmark = pytest.mark.slow


@pytest.mark.timeout(600)
def test_soak_production_workers_killed_and_restarted(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    with (
        serve_directory(source_mirror_root, chunk_delay=0.002) as mirror,
        production(tmp_path, serve_env(mirror)) as running,
    ):
        turn = iter(range(len(KILL_AFTER)))

        def kill_one() -> None:
            worker = running.workers[next(turn) % len(running.workers)]
            worker.kill()
            worker.start()

        def logs() -> str:
            return "".join([running.server.log(), *(worker.log() for worker in running.workers)])

        soak(running.server, kill_one, running.server.env, logs)
