"""Callback senders on a real database and a real HTTP receiver.

Each state change is recorded once and sent once whichever sender sees it, retried
after a receiver's 500s, given up when it never answers, and never sent to an address
the sender refuses; signatures are checked here with :mod:`hmac`, independently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from autopkg.db import deliveries
from autopkg.db import runs as run_repo
from autopkg.db.deliveries import Role, Target
from autopkg.db.models import CallbackDeliveryRecord, CallbackSubscriptionRecord
from autopkg.db.session import Database
from autopkg.domain.states import RunState
from autopkg.jobs import service
from autopkg.jobs.callbacks import CallbackSender, owed, signature
from autopkg.jobs.service import JobStatus
from autopkg.processors.registry import Registry
from autopkg.runtime import Runtime
from autopkg.storage.localfs import LocalFSStorage
from tests.conftest import make_settings
from tests.fixtures.races import race
from tests.fixtures.receiver import Receiver, receiving

SECRET = "callback-test-secret"
LEASE = timedelta(seconds=30)
ROUNDS = 10


def render(role: Role, status: JobStatus, base_url: str) -> str:
    """A small document naming what the test checks."""
    return json.dumps(
        {
            "job": status.job_id,
            "role": role.value,
            "complete": status.complete,
            "outcome": status.outcome.value if status.outcome else None,
            "base": base_url,
        }
    )


def runtime_on(database: Database, tmp_path: Path, **settings: Any) -> Runtime:
    """A runtime over the test's database with fast callback settings."""
    values: dict[str, Any] = {
        "callback_secret": SECRET,
        "callback_allowed_networks": "127.0.0.0/8",
        "callback_backoff_secs": 0.02,
        "callback_poll_secs": 0.02,
        "callback_timeout_secs": 5,
    }
    values.update(settings)
    return Runtime(
        settings=make_settings(tmp_path, **values),
        database=database,
        storage=LocalFSStorage(tmp_path / "packages"),
        registry=Registry([]),
    )


def queued_job(database: Database, processor: str, targets: list[Target]) -> tuple[str, str]:
    """A job with one PENDING run and these callback targets: ``(job id, run id)``."""
    with database.session() as session:
        run, created = run_repo.join_or_create_run(
            session, boundary_name="zone", processor_id=processor
        )
        assert created
        job = run_repo.create_job(session, boundary_name="zone", runs=[run])
        deliveries.subscribe(session, job_id=job.id, targets=targets, base_url="http://api/")
        return job.id, run.id


def skipped_job(database: Database, processor: str, targets: list[Target]) -> str:
    """A job complete at once (its one run SKIPPED), with these callback targets."""
    with database.session() as session:
        run = run_repo.create_skipped_run(
            session, boundary_name="zone", processor_id=processor, result={"files": []}
        )
        job = run_repo.create_job(session, boundary_name="zone", runs=[run])
        deliveries.subscribe(session, job_id=job.id, targets=targets, base_url="http://api/")
        return job.id


def delivery_rows(database: Database, job_id: str) -> list[CallbackDeliveryRecord]:
    """The job's delivery rows, by event."""
    with database.read_session() as session:
        rows = session.scalars(
            select(CallbackDeliveryRecord)
            .where(CallbackDeliveryRecord.job_id == job_id)
            .order_by(CallbackDeliveryRecord.event)
        ).all()
        session.expunge_all()
        return list(rows)


def verified(received: Any) -> dict[str, Any]:
    """The JSON body of a request whose signature is right (recomputed here)."""
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-autopkg-signature"], f"sha256={expected}")
    assert received.headers["content-type"] == "application/json"
    document: dict[str, Any] = json.loads(received.body)
    return document


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver answering 500 to the first two requests at ``/flaky``."""
    with receiving({"/flaky": 2}) as started:
        yield started


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"job":"1"}'
    assert signature(b"key", body) == (
        "sha256=" + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    )
    assert signature(b"key", body + b" ") != signature(b"key", body)


def test_each_change_is_sent_signed_and_retried_until_accepted(
    database: Database, tmp_path: Path, receiver: Receiver
) -> None:
    rt = runtime_on(database, tmp_path)
    job_id, run_id = queued_job(database, "p.flaky", [Target(Role.NOTIFY, receiver.url("/flaky"))])
    sender = CallbackSender(rt, render)
    sender.start()
    try:
        with database.session() as session:
            assert run_repo.claim(session, owner="w", lease=LEASE, max_attempts=3, run_id=run_id)
        # 500, 500, then accepted: the third attempt of the same delivery.
        attempts = receiver.wait_for(3, "/flaky")
        assert [item.answered for item in attempts] == [500, 500, 204]
        assert len({item.headers["x-autopkg-delivery"] for item in attempts}) == 1
        assert {item.body for item in attempts} == {attempts[0].body}
        assert {item.headers["x-autopkg-event"] for item in attempts} == {"running"}
        assert verified(attempts[0]) == {
            "job": job_id,
            "role": "notify",
            "complete": False,
            "outcome": None,
            "base": "http://api/",
        }
        with database.session() as session:
            # SUCCESS is reached through PUBLISHING only.
            assert run_repo.begin_publish(session, run_id=run_id, owner="w", lease=LEASE)
            assert run_repo.finish(session, run_id=run_id, owner="w", state=RunState.SUCCESS)
        final = receiver.wait_for(4, "/flaky")[3]
        assert final.headers["x-autopkg-event"] == "complete"
        assert verified(final)["outcome"] == "SUCCESS"
    finally:
        sender.stop()
    complete, running = delivery_rows(database, job_id)
    assert (running.event, running.attempts, running.last_error) == ("running", 3, None)
    assert running.delivered_at is not None and running.next_attempt_at is None
    assert running.id == attempts[0].headers["x-autopkg-delivery"]
    assert (complete.event, complete.attempts, complete.given_up_at) == ("complete", 1, None)
    assert len(receiver.received()) == 4
    with database.read_session() as session:
        closed = session.scalars(
            select(CallbackSubscriptionRecord.closed_at).where(
                CallbackSubscriptionRecord.job_id == job_id
            )
        ).all()
    assert len(closed) == 1 and closed[0] is not None


def test_a_receiver_that_never_accepts_is_given_up_after_the_attempts_allowed(
    database: Database, tmp_path: Path
) -> None:
    rt = runtime_on(database, tmp_path, callback_max_attempts=3)
    with receiving({"/down": 1000}) as receiver:
        job_id = skipped_job(database, "p.down", [Target(Role.NOTIFY, receiver.url("/down"))])
        sender = CallbackSender(rt, render)
        sender.start()
        try:
            receiver.wait_for(3, "/down")
        finally:
            # Joins the thread: the third attempt's outcome is recorded by then.
            sender.stop()
        assert len(receiver.received("/down")) == 3
    (row,) = delivery_rows(database, job_id)
    assert row.attempts == 3
    assert row.delivered_at is None and row.next_attempt_at is None
    assert row.given_up_at is not None
    assert row.last_error == "answered 500"


def test_a_redirect_is_a_failure_and_is_not_followed(database: Database, tmp_path: Path) -> None:
    rt = runtime_on(database, tmp_path, callback_max_attempts=1)
    with receiving(redirects={"/moved": "/elsewhere"}) as receiver:
        job_id = skipped_job(database, "p.moved", [Target(Role.NOTIFY, receiver.url("/moved"))])
        CallbackSender(rt, render).tick()
        assert [item.answered for item in receiver.received()] == [302]
        assert receiver.received("/elsewhere") == []
    (row,) = delivery_rows(database, job_id)
    assert row.given_up_at is not None and row.attempts == 1
    assert row.last_error == "answered 302 (redirects are not followed)"


def test_an_address_refused_at_send_time_is_never_contacted(
    database: Database, tmp_path: Path, receiver: Receiver
) -> None:
    # Recorded without the submission's check (a name that resolved elsewhere then).
    job_id = skipped_job(database, "p.refused", [Target(Role.NOTIFY, receiver.url("/flaky"))])
    sender = CallbackSender(runtime_on(database, tmp_path, callback_allowed_networks=""), render)
    sender.tick()
    (row,) = delivery_rows(database, job_id)
    assert row.given_up_at is not None and row.delivered_at is None
    assert row.last_error is not None
    assert row.last_error.startswith("refused: callback URL: 127.0.0.1 resolves to 127.0.0.1")
    assert "loopback" in row.last_error
    assert receiver.received() == []


def test_ogc_uris_are_each_owed_their_own_change(database: Database, tmp_path: Path) -> None:
    rt = runtime_on(database, tmp_path)
    targets = [
        Target(Role.IN_PROGRESS, "http://127.0.0.1:9/progress"),
        Target(Role.SUCCESS, "http://127.0.0.1:9/success"),
        Target(Role.FAILED, "http://127.0.0.1:9/failed"),
    ]
    job_id, run_id = queued_job(database, "p.ogc", targets)
    sender = CallbackSender(rt, render)
    assert sender.record_changes() == 0
    with database.session() as session:
        run_repo.claim(session, owner="w", lease=LEASE, max_attempts=3, run_id=run_id)
    assert sender.record_changes() == 1
    assert sender.record_changes() == 0
    with database.session() as session:
        run_repo.finish(session, run_id=run_id, owner="w", state=RunState.FAILURE, error="x")
    assert sender.record_changes() == 1
    rows = delivery_rows(database, job_id)
    assert [(row.event, row.url.rsplit("/", 1)[1]) for row in rows] == [
        ("complete", "failed"),
        ("running", "progress"),
    ]
    assert json.loads(rows[0].body)["outcome"] == "FAILURE"


def test_a_dismissed_job_tells_the_failed_uri_only(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        run, _ = run_repo.join_or_create_run(session, boundary_name="zone", processor_id="p.d")
        job_id = run_repo.create_job(session, boundary_name="zone", runs=[run]).id
        run_repo.create_job(session, boundary_name="zone", runs=[run])
    with database.session() as session:
        # Another job still waits for the run, so it goes on: dismissed, not complete.
        assert run_repo.cancel_job(session, job_id=job_id) == []
    (status,) = service.statuses(runtime_on(database, tmp_path), [job_id])
    assert status.cancelled and not status.complete
    assert owed(Role.FAILED, status) == "complete"
    assert owed(Role.SUCCESS, status) is None
    assert owed(Role.IN_PROGRESS, status) is None
    assert owed(Role.NOTIFY, status) is None


def test_two_senders_racing_record_and_send_each_change_once(
    database: Database, tmp_path: Path
) -> None:
    rt = runtime_on(database, tmp_path)
    first, second = CallbackSender(rt, render), CallbackSender(rt, render)
    with receiving() as receiver:
        jobs = []
        for round_ in range(ROUNDS):
            path = f"/race/{round_}"
            job_id = skipped_job(
                database, f"p.race{round_}", [Target(Role.NOTIFY, receiver.url(path))]
            )
            jobs.append(job_id)
            recorded = race(first.record_changes, second.record_changes)
            assert sorted(recorded) == [0, 1], recorded
            sent = race(first.send_one, second.send_one)
            assert sorted(sent) == [False, True], sent
            (arrived,) = receiver.wait_for(1, path)
            assert verified(arrived)["job"] == job_id
        assert len(receiver.received()) == ROUNDS
    for job_id in jobs:
        (row,) = delivery_rows(database, job_id)
        assert row.attempts == 1 and row.delivered_at is not None
