"""The one recovery rule for runs whose worker is gone, shared by every executor.

A worker that dies (killed, its machine lost, its heartbeat stopped by the policy)
leaves its run EXECUTING or PUBLISHING under a lease nobody renews. :func:`recover`
releases such runs: each goes back to PENDING to be retried, or to FAILURE once it has
been attempted ``MAX_ATTEMPTS`` times, so nothing stays held forever. It is the only
path by which an expired lease is recovered (a claim takes PENDING runs only). Every
executor calls it at start-up and then periodically: the embedded pool's idle workers,
the reconciler of ``autopkg serve`` in Celery mode, and each ``autopkg worker`` as it
starts. A run whose owner is a process of this host that no longer exists is released
at once, without waiting for its lease, so a restarted process resumes mid-flight work.
"""

from __future__ import annotations

import logging
import os
import socket

from autopkg.db import runs as run_repo
from autopkg.domain.states import RunState
from autopkg.jobs.engine import discard_run_folder
from autopkg.jobs.policy import MAX_ATTEMPTS
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)


def owner_is_dead_here(owner: str) -> bool:
    """Whether a lease owner (``host:pid:thread``) is a process of this host that is gone."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(rt: Runtime) -> list[str]:
    """Release runs whose lease expired or whose owner is known dead.

    Each release is conditional on what was seen (state, owner, expiry), so a run that
    finishes or renews its lease meanwhile is left alone. The folder of a run that
    fails here goes with it.

    Returns:
        The ids of the runs put back to PENDING, for the caller to dispatch again.
    """
    now = run_repo.utcnow()
    with rt.database.read_session() as session:
        seen = [
            (run.id, run.lease_owner, run.lease_expires_at) for run in run_repo.leased_runs(session)
        ]
    retried: list[str] = []
    failed = 0
    for run_id, owner, expires in seen:
        expired = expires is None or expires < now
        dead = owner is not None and owner_is_dead_here(owner)
        if not (expired or dead):
            continue
        with rt.database.session() as session:
            outcome = run_repo.release(
                session,
                run_id=run_id,
                owner=owner,
                max_attempts=MAX_ATTEMPTS,
                reason="worker stopped",
                expired_before=None if dead else now,
            )
        if outcome is RunState.PENDING:
            retried.append(run_id)
        elif outcome is RunState.FAILURE:
            failed += 1
            discard_run_folder(rt, run_id)
    if retried or failed:
        log.warning(
            "released %d run(s) left by stopped workers: %d to retry, %d failed",
            len(retried) + failed,
            len(retried),
            failed,
        )
    return retried
