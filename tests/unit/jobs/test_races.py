"""Races between transitions, each repeated many times behind a barrier.

Every pair of competing transitions must end in one consistent state: the loser learns
it lost (its UPDATE took no effect) and overwrites nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import shapely
from sqlalchemy import select

from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.models import BoundaryRecord, JobRecord, JobRunRecord
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary
from autopkg.domain.states import RunState
from tests.fixtures.races import race as _race
from tests.unit.jobs.helpers import LEASE, MAX, queue, state

ROUNDS = 25
EXPIRED = timedelta(seconds=-1)


def _processor(round_: int) -> str:
    return f"p.round{round_}"


def test_four_claimers_on_one_run_exactly_one_wins(database: Database) -> None:
    for round_ in range(ROUNDS):
        run_id = queue(database, _processor(round_))

        def claimer(owner: str) -> Callable[[], bool]:
            def claim() -> bool:
                with database.session() as session:
                    return (
                        run_repo.claim(
                            session, owner=owner, lease=LEASE, max_attempts=MAX, run_id=run_id
                        )
                        is not None
                    )

            return claim

        won = _race(*(claimer(f"w{i}") for i in range(4)))
        assert sum(won) == 1, won
        assert state(database, run_id) == ("EXECUTING", 1, f"w{won.index(True)}")


def test_four_workers_taking_the_oldest_never_share_a_run(database: Database) -> None:
    for round_ in range(ROUNDS):
        queued = {queue(database, f"{_processor(round_)}.{i}") for i in range(2)}

        def take(owner: str) -> Callable[[], str | None]:
            def claim() -> str | None:
                with database.session() as session:
                    run = run_repo.claim(session, owner=owner, lease=LEASE, max_attempts=MAX)
                    return run.id if run is not None else None

            return claim

        taken = [run_id for run_id in _race(*(take(f"w{i}") for i in range(4))) if run_id]
        assert len(taken) == len(set(taken)) == 2
        assert set(taken) == queued
        for run_id in taken:
            with database.session() as session:
                run = run_repo.get_run(session, run_id=run_id)
                assert run is not None and run.lease_owner is not None
                run_repo.begin_publish(session, run_id=run_id, owner=run.lease_owner, lease=LEASE)
                run_repo.finish(
                    session, run_id=run_id, owner=run.lease_owner, state=RunState.SUCCESS
                )


def test_sweep_beside_finish_never_undoes_a_success(database: Database) -> None:
    outcomes = set()
    for round_ in range(ROUNDS):
        run_id = queue(database, _processor(round_))
        with database.session() as session:
            run_repo.claim(session, owner="slow", lease=EXPIRED, max_attempts=MAX, run_id=run_id)
            run_repo.begin_publish(session, run_id=run_id, owner="slow", lease=EXPIRED)

        def finish() -> bool:
            with database.session() as session:
                return run_repo.finish(session, run_id=run_id, owner="slow", state=RunState.SUCCESS)

        def sweep() -> RunState | None:
            with database.session() as session:
                return run_repo.release(
                    session,
                    run_id=run_id,
                    owner="slow",
                    max_attempts=MAX,
                    reason="worker stopped",
                    expired_before=run_repo.utcnow(),
                )

        finished, released = _race(finish, sweep)
        final = state(database, run_id)[0]
        if finished:
            assert released is None and final == "SUCCESS"
        else:
            assert released is RunState.PENDING and final == "PENDING"
        outcomes.add(final)
    assert outcomes <= {"SUCCESS", "PENDING"}


def test_cancel_beside_publish_never_revokes_a_published_run(database: Database) -> None:
    for round_ in range(ROUNDS):
        run_id = queue(database, _processor(round_))
        with database.session() as session:
            run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX, run_id=run_id)
            job_id = session.scalars(
                select(JobRecord.id)
                .join(JobRunRecord, JobRunRecord.job_id == JobRecord.id)
                .where(JobRunRecord.run_id == run_id)
            ).one()

        def publish_and_finish() -> bool:
            with database.session() as session:
                if not run_repo.begin_publish(session, run_id=run_id, owner="me", lease=LEASE):
                    return False
            with database.session() as session:
                assert run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)
            return True

        def cancel() -> list[str] | None:
            with database.session() as session:
                return run_repo.cancel_job(session, job_id=job_id)

        published, revoked = _race(publish_and_finish, cancel)
        final = state(database, run_id)[0]
        if published:
            assert revoked == [] and final == "SUCCESS"
        else:
            assert revoked == [run_id] and final == "REVOKED"


def test_cancel_beside_finish_never_turns_success_into_revoked(database: Database) -> None:
    for round_ in range(ROUNDS):
        run_id = queue(database, _processor(round_))
        with database.session() as session:
            run_repo.claim(session, owner="me", lease=LEASE, max_attempts=MAX, run_id=run_id)
            run_repo.begin_publish(session, run_id=run_id, owner="me", lease=LEASE)
            job_id = session.scalars(
                select(JobRecord.id)
                .join(JobRunRecord, JobRunRecord.job_id == JobRecord.id)
                .where(JobRunRecord.run_id == run_id)
            ).one()

        def finish() -> bool:
            with database.session() as session:
                return run_repo.finish(session, run_id=run_id, owner="me", state=RunState.SUCCESS)

        def cancel() -> list[str] | None:
            with database.session() as session:
                return run_repo.cancel_job(session, job_id=job_id)

        finished, revoked = _race(finish, cancel)
        assert finished and revoked == []
        assert state(database, run_id)[0] == "SUCCESS"


def test_first_submissions_of_one_new_custom_area_store_it_once(database: Database) -> None:
    # Three submissions of one new area at once used to end in a unique violation on
    # PostgreSQL (a 500) for all but one of them.
    for round_ in range(ROUNDS):
        geometry = shapely.MultiPolygon([shapely.box(round_, 0, round_ + 1, 1)])
        name = f"custom-race{round_:05d}"

        def submit(name_long: str, *, rename: bool) -> Callable[[], None]:
            def store() -> None:
                area = Boundary(name=name, name_long=name_long, admin_level=None, geometry=geometry)
                with database.session() as session:
                    boundary_repo.store_custom_area(session, area, rename=rename)

            return store

        _race(
            submit("Custom area", rename=False),
            submit("Custom area", rename=False),
            submit("Named", rename=True),
        )
        with database.session() as session:
            stored = session.scalars(
                select(BoundaryRecord.name_long).where(BoundaryRecord.name == name)
            ).all()
            found = boundary_repo.get(session, name=name)
        # Whichever inserted it, the submission that named the area renamed it.
        assert stored == ["Named"]
        assert found is not None and shapely.equals(found.geometry, geometry)
        assert found.geometry.bounds == (round_, 0, round_ + 1, 1)
