"""``autopkg jobs`` against a real ``autopkg serve``: submit, watch, list; errors in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.test_commands import assert_one_line_error
from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path_factory.mktemp("jobs-cli"), serve_env(source_mirror))
    process.start()
    yield process
    process.stop()


def jobs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autopkg", "jobs", *args],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_submit_watch_and_list_a_job(server: ServeProcess) -> None:
    submitted = jobs(
        "submit", "GHA", "-p", "test_processor.version_1", "--api", server.url, "--watch", "--json"
    )
    assert submitted.returncode == 0, submitted.stderr
    body = json.loads(submitted.stdout)
    assert body["boundary_name"] == "gha"
    assert body["job_group_outcome"] == "SUCCESS"
    assert body["job_group_processors"][0]["job_status"] in {"SUCCESS", "SKIPPED"}

    watched = jobs("watch", body["job_id"], "--api", server.url)
    assert watched.returncode == 0, watched.stderr
    assert f"job {body['job_id']}: SUCCESS" in watched.stdout

    listed = json.loads(jobs("list", "--api", server.url, "--boundary", "gha", "--json").stdout)
    assert body["job_id"] in [job["job_id"] for job in listed["jobs"]]
    table = jobs("list", "--api", server.url)
    assert body["job_id"] in table.stdout and "SUCCESS" in table.stdout


def test_a_failed_job_exits_1_naming_the_failure(server: ServeProcess) -> None:
    result = jobs(
        "submit", "tgo", "-p", "test_fail_processor.version_1", "--api", server.url, "--watch"
    )
    assert result.returncode == 1
    assert "test_fail_processor.version_1: FAILURE:" in result.stderr
    assert "FAILURE" in result.stdout


def test_mistakes_and_an_unreachable_api_are_one_line_errors(server: ServeProcess) -> None:
    assert_one_line_error(
        jobs("submit", "gha", "-p", "nope.version_1", "--api", server.url), "nope.version_1"
    )
    nowhere = f"http://127.0.0.1:{free_port()}"
    assert_one_line_error(jobs("list", "--api", nowhere), f"cannot reach the API at {nowhere}")


def test_submit_sends_processor_options(server: ServeProcess) -> None:
    storm = "storm.global_mosaics_version_1"
    options = {storm: {"models": ["constant"], "return_periods": [200]}}
    submitted = jobs(
        "submit", "gmb", "-p", storm, "--api", server.url, "--watch", "--json",
        "--options-json", json.dumps(options),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    (run,) = json.loads(submitted.stdout)["job_group_processors"]
    assert run["job_options"] == options[storm]
    assert run["job_estimate"]["files"] == len(run["job_result"]["files"]) == 1
    refused = jobs(
        "submit", "gmb", "-p", storm, "--api", server.url,
        "--options-json", json.dumps({storm: {"models": ["tomorrow"]}}),
    )  # fmt: skip
    assert_one_line_error(refused, f"options of {storm}: models.0: Input should be")


def test_submit_sends_buffer_m(server: ServeProcess) -> None:
    submitted = jobs(
        "submit", "sle", "-p", "test_processor.version_1", "--api", server.url,
        "--buffer-m", "5000", "--watch", "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    body = json.loads(submitted.stdout)
    assert body["boundary_name"] == "sle-buffer-5000m"
    assert body["boundary_name_long"] == "Sierra Leone + 5 km"
    assert body["job_group_outcome"] == "SUCCESS"
    refused = jobs("submit", "sle", "-p", "test_processor.version_1", "--api", server.url,
                   "--buffer-m", "0")  # fmt: skip
    assert refused.returncode == 2
    assert "--buffer-m" in refused.stderr
    too_far = jobs(
        "submit", "sle", "-p", "test_processor.version_1", "--api", server.url,
        "--buffer-m", "300000",
    )  # fmt: skip
    assert_one_line_error(too_far, "over the limit of 200,000 m (AUTOPKG_MAX_BUFFER_M)")


def test_with_keys_a_key_lists_its_own_jobs(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> None:
    env = {**serve_env(source_mirror), "AUTOPKG_API_KEYS": "key-one,key-two"}
    keyed = ServeProcess(tmp_path_factory.mktemp("jobs-cli-keys"), env)
    keyed.start()
    try:
        submitted = jobs(
            "submit", "gha", "-p", "test_processor.version_1", "--api", keyed.url,
            "--api-key", "key-one", "--json",
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        job_id = json.loads(submitted.stdout)["job_id"]
        own = jobs("list", "--api", keyed.url, "--api-key", "key-one", "--json")
        assert [job["job_id"] for job in json.loads(own.stdout)["jobs"]] == [job_id]
        other = jobs("list", "--api", keyed.url, "--api-key", "key-two", "--json")
        assert json.loads(other.stdout)["jobs"] == []
        assert_one_line_error(jobs("list", "--api", keyed.url), "401 from the API")
    finally:
        keyed.stop()
