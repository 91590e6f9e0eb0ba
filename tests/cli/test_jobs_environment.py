"""``autopkg jobs`` takes its service and key from AUTOPKG_API_URL and AUTOPKG_API_KEY."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.test_commands import assert_one_line_error
from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess

KEY = "a-key-for-the-jobs-cli-0123"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Iterator[ServeProcess]:
    """A service that takes writes only with an API key, on a port nobody would guess."""
    env = {**serve_env(source_mirror), "AUTOPKG_API_KEYS": KEY}
    process = ServeProcess(tmp_path_factory.mktemp("jobs-env"), env)
    process.start()
    yield process
    process.stop()


def jobs(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTOPKG_")}
    return subprocess.run(
        [sys.executable, "-m", "autopkg", "jobs", *args],
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_service_and_key_come_from_the_environment(keyed: ServeProcess) -> None:
    service = {"AUTOPKG_API_URL": keyed.url}
    args = ("submit", "gha", "-p", "test_processor.version_1", "--json")
    assert_one_line_error(jobs(service, *args), "401")
    submitted = jobs({**service, "AUTOPKG_API_KEY": KEY}, *args, "--watch")
    assert submitted.returncode == 0, submitted.stderr
    job_id = json.loads(submitted.stdout)["job_id"]
    # With keys set, a listing is the key's own jobs, so it needs the key too.
    assert_one_line_error(jobs(service, "list", "--json"), "401")
    listed = jobs({**service, "AUTOPKG_API_KEY": KEY}, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert job_id in [job["job_id"] for job in json.loads(listed.stdout)["jobs"]]
    # --api and --api-key still win over the environment.
    elsewhere = {"AUTOPKG_API_URL": "http://127.0.0.1:9", "AUTOPKG_API_KEY": "wrong"}
    watched = jobs(elsewhere, "watch", job_id, "--api", keyed.url, "--json")
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout)["job_group_outcome"] == "SUCCESS"
