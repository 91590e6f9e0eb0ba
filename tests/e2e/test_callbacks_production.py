"""Callbacks in production mode: Celery workers change the runs, ``autopkg serve`` looks.

The API process records and sends callbacks for jobs whose runs Celery workers in
other processes execute; each change reaches the receiver once, signed, with the
document the status route answers. (Senders racing across processes are in
``tests/unit/jobs/test_callbacks.py``, on PostgreSQL.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import serve_env
from tests.e2e.deployment import Production, production
from tests.fixtures.receiver import Receiver, receiving

pytestmark = pytest.mark.slow

SECRET = "production-callback-secret"
JOBS = [
    ("gmb", "test_processor.version_1", "SUCCESS"),
    ("sen", "test_processor.version_1", "SUCCESS"),
    ("gnb", "test_fail_processor.version_1", "FAILURE"),
    ("gin", "wri_powerplants.version_130", "SUCCESS"),
]


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[Production]:
    env = {
        **serve_env(source_mirror),
        "AUTOPKG_CALLBACK_SECRET": SECRET,
        "AUTOPKG_CALLBACK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "AUTOPKG_CALLBACK_POLL_SECS": "0.05",
        "AUTOPKG_CALLBACK_BACKOFF_SECS": "0.1",
    }
    root = tmp_path_factory.mktemp("callbacks-production")
    with production(root, env) as running:
        yield running


def _delivery_rows(deployment: Production, job_id: str) -> list[tuple[str, int, bool]]:
    url = make_url(deployment.database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        rows = db.execute(
            "SELECT event, attempts, delivered_at IS NOT NULL FROM callback_deliveries "
            "WHERE job_id = %s ORDER BY event",
            (job_id,),
        ).fetchall()
    return [(str(event), int(attempts), bool(done)) for event, attempts, done in rows]


def test_each_change_reaches_the_receiver_once_while_celery_workers_run_the_jobs(
    deployment: Production, tmp_path: Path
) -> None:
    with receiving() as receiver:
        submitted = {}
        for boundary, processor, outcome in JOBS:
            response = deployment.server.post(
                "/v1/jobs",
                json={
                    "boundary_name": boundary,
                    "processors": [processor],
                    "notify_url": receiver.url(f"/hooks/{boundary}"),
                },
            )
            assert response.status_code == 202, response.text
            submitted[response.json()["job_id"]] = (boundary, outcome)
        for job_id in submitted:
            deployment.server.wait_for_job(job_id)
        receiver.wait_until(
            lambda arrived: (
                {
                    json.loads(item.body)["job_id"]
                    for item in arrived
                    if item.headers["x-autopkg-event"] == "complete"
                }
                == set(submitted)
            )
        )
        _check_received(deployment, receiver, submitted)


def _check_received(
    deployment: Production, receiver: Receiver, submitted: dict[str, tuple[str, str]]
) -> None:
    arrived = receiver.received()
    per_change = Counter(
        (json.loads(item.body)["job_id"], item.headers["x-autopkg-event"]) for item in arrived
    )
    assert max(per_change.values()) == 1, per_change
    for item in arrived:
        digest = hmac.new(SECRET.encode(), item.body, hashlib.sha256).hexdigest()
        assert item.headers["x-autopkg-signature"] == f"sha256={digest}"
    for job_id, (boundary, outcome) in submitted.items():
        final = [
            item
            for item in receiver.received(f"/hooks/{boundary}")
            if item.headers["x-autopkg-event"] == "complete"
        ]
        assert len(final) == 1
        assert final[0].body == deployment.server.get(f"/v1/jobs/{job_id}").content
        assert json.loads(final[0].body)["job_group_outcome"] == outcome
        rows = _delivery_rows(deployment, job_id)
        assert ("complete", 1, True) in rows
        assert len(rows) == len(receiver.received(f"/hooks/{boundary}"))
