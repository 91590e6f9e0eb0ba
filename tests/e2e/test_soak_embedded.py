"""Soak in embedded mode: the one `autopkg serve` is killed and restarted (tests/e2e/soak.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.e2e.soak import soak
from tests.fixtures.mirror import serve_directory

pytestmark = pytest.mark.slow


@pytest.mark.timeout(600)
def test_soak_embedded_server_killed_and_restarted(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    with serve_directory(source_mirror_root, chunk_delay=0.002) as mirror:
        server = ServeProcess(tmp_path / "data", serve_env(mirror))
        server.start()

        def kill_one() -> None:
            server.kill()
            server.start()

        try:
            soak(server, kill_one, server.env, server.log)
        finally:
            server.stop()
