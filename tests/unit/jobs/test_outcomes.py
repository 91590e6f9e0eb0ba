"""A job's outcome is one rule: the status read in Python and the SQL filter agree.

Jobs are stored with every mix of run states that matters (and cancelled or not, and
with a run lacking some files); each outcome filter must select exactly the jobs
whose status has that outcome, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

from autopkg.db import jobs as job_repo
from autopkg.db import runs as run_repo
from autopkg.db.models import JobRecord, JobRunRecord, RunRecord
from autopkg.db.session import Database
from autopkg.domain.states import RunState

S = RunState
# (run states, cancelled, a SUCCESS run lacks files)
MIXES: list[tuple[tuple[RunState, ...], bool, bool]] = [
    ((S.SUCCESS,), False, False),
    ((S.SUCCESS, S.SKIPPED), False, False),
    ((S.SUCCESS,), False, True),
    ((S.SUCCESS, S.FAILURE), False, False),
    ((S.FAILURE,), False, False),
    ((S.FAILURE, S.FAILURE), False, False),
    ((S.SUCCESS, S.REVOKED), False, False),
    ((S.SUCCESS,), True, False),
    ((S.FAILURE, S.PENDING), False, False),
    ((S.SUCCESS, S.PUBLISHING), False, False),
    ((S.EXECUTING,), True, False),
    ((), False, False),
]


def _store(database: Database) -> dict[str, job_repo.JobOutcome | None]:
    """Store every mix as a job; return each job's outcome as its status reads it."""
    now = run_repo.utcnow()
    ids = []
    with database.session() as session:
        for number, (states, cancelled, lacking) in enumerate(MIXES):
            job = JobRecord(
                id=str(uuid.uuid4()),
                boundary_name="zone",
                created_at=now,
                cancelled_at=now if cancelled else None,
            )
            session.add(job)
            session.flush()
            for position, run_state in enumerate(states):
                result: dict[str, Any] | None = None
                if run_state is S.SUCCESS and lacking:
                    result = {"files": [], job_repo.FAILED_KEY: [{"name": "x", "reason": "y"}]}
                run = RunRecord(
                    id=str(uuid.uuid4()),
                    boundary_name="zone",
                    processor_id=f"p{number}.v{position}",
                    options={},
                    options_key="",
                    state=run_state.value,
                    percent=0.0,
                    current_task="",
                    attempts=0,
                    result=result,
                    created_at=now,
                )
                session.add(run)
                session.flush()
                session.add(JobRunRecord(job_id=job.id, position=position, run_id=run.id))
            ids.append(job.id)
    with database.engine.connect() as connection:
        jobs = job_repo.read_jobs(connection, ids)
    return {
        job.id: job_repo.outcome_of(
            [run.state for run in job.runs],
            cancelled=job.cancelled_at is not None,
            files_failed=job_repo.files_failed(job.runs),
        )
        for job in jobs
    }


def test_each_outcome_filter_selects_the_jobs_whose_status_has_it(database: Database) -> None:
    read = _store(database)
    assert set(read.values()) == {*job_repo.JobOutcome, None}
    for outcome in job_repo.JobOutcome:
        with database.engine.connect() as connection:
            listed, total = job_repo.list_jobs(
                connection, any_of=[job_repo.JobCondition(outcome=outcome)], limit=100
            )
        expected = {job_id for job_id, found in read.items() if found is outcome}
        assert {job.id for job in listed} == expected, outcome
        assert total == len(expected)
    with database.engine.connect() as connection:
        _, incomplete = job_repo.list_jobs(
            connection, any_of=[job_repo.JobCondition(complete=False)]
        )
    assert incomplete == sum(found is None for found in read.values())
