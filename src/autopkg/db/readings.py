"""The database's share of the service metrics: what the records count at one moment.

Read in one session, so the numbers agree with each other; the API turns them into
Prometheus families (``autopkg.api.metrics``) without knowing how they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from autopkg.db import counters
from autopkg.db import jobs as job_repo
from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.domain.states import RunState


@dataclass(frozen=True)
class Readings:
    """Runs by state, jobs by state and outcome, finished runs' times, cache lookups.

    Every run state and job outcome is present, with 0 when none is in it.
    """

    runs: dict[str, int]
    queued_runs: int
    pending_jobs: int
    complete_jobs: dict[str, int]
    #: ``(final state, seconds from claim to end)`` of every finished run.
    run_durations: list[tuple[str, float]]
    source_cache_hits: int
    source_cache_misses: int


def read(database: Database) -> Readings:
    """Take the readings in one read-only session."""
    with database.read_session() as session:
        cache = counters.read(
            session, counters.Counter.SOURCE_CACHE_HITS, counters.Counter.SOURCE_CACHE_MISSES
        )
        run_counts = run_repo.count_by_state(session)
        durations = run_repo.durations(session)
        pending = job_repo.count_jobs(session, any_of=[job_repo.JobCondition(complete=False)])
        outcomes = {
            outcome.value: job_repo.count_jobs(
                session, any_of=[job_repo.JobCondition(outcome=outcome)]
            )
            for outcome in job_repo.JobOutcome
        }
    return Readings(
        runs={state.value: run_counts.get(state.value, 0) for state in RunState},
        queued_runs=run_counts.get(RunState.PENDING.value, 0),
        pending_jobs=pending,
        complete_jobs=outcomes,
        run_durations=durations,
        source_cache_hits=cache[counters.Counter.SOURCE_CACHE_HITS],
        source_cache_misses=cache[counters.Counter.SOURCE_CACHE_MISSES],
    )
