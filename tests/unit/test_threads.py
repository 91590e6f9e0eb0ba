"""Threads started during a run write log lines that name the run."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from autopkg import logs
from autopkg.config import Settings
from autopkg.db.migrate import upgrade
from autopkg.db.session import Database
from autopkg.jobs.policy import RunPolicy
from autopkg.jobs.progress import RunReporter
from autopkg.threads import context_thread
from tests.fixtures.waiting import wait_until

FIELDS = {"job_id": "j1", "run_id": "r1", "boundary": "gha", "processor": "p.version_1"}


@pytest.fixture
def json_logs(tmp_path: Path) -> Iterator[None]:
    """Puts the root logger back as pytest configured it after a test configured it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def configure(tmp_path: Path) -> None:
    # In the test itself: the handler writes to the stderr pytest captures for it.
    logs.configure(Settings(data_dir=tmp_path, log_format="json"))


def written(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


@pytest.mark.usefixtures("json_logs")
def test_a_plain_thread_loses_the_fields_a_context_thread_keeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path)
    log = logging.getLogger("autopkg.test")
    with logs.context(**FIELDS):
        plain = threading.Thread(target=lambda: log.info("plain"))
        kept = context_thread(lambda: log.info("kept"), name="kept")
    for thread in (plain, kept):
        thread.start()
        thread.join()
    by_message = {line["message"]: line for line in written(capsys)}
    assert "run_id" not in by_message["plain"]
    assert {k: by_message["kept"].get(k) for k in FIELDS} == FIELDS


@pytest.mark.usefixtures("json_logs")
def test_the_heartbeat_names_its_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure(tmp_path)
    database = Database(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    upgrade(database)
    # No such run: the first beat finds the lease gone and says so from its thread.
    with (
        logs.context(**FIELDS),
        RunReporter(
            database, run_id="r1", owner="me", policy=RunPolicy(timedelta(seconds=1))
        ) as reporter,
    ):
        wait_until(lambda: reporter.lost, what="the lease found gone", timeout=30)
    database.dispose()
    lines = [line for line in written(capsys) if "taken over" in str(line["message"])]
    assert len(lines) == 1
    assert lines[0]["logger"] == "autopkg.jobs.progress"
    assert {k: lines[0].get(k) for k in FIELDS} == FIELDS
