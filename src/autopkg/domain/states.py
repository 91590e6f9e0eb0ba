"""The run state machine on one page: the states, the events, and every transition.

A run is one execution of one processor for one boundary, shared by every job that
asks for it. Its state changes only through the rows of :data:`TRANSITIONS`, each
``(source, event, target, guard)``; ``autopkg.db.runs`` implements every row as one
conditional UPDATE (or, for the rows without a source, one INSERT) and nothing else
writes a run's state. ``docs/architecture.md`` draws the same table.

The API's ``job_status`` knows six states: a PUBLISHING run is reported as EXECUTING
(:attr:`RunState.reported`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RunState(enum.StrEnum):
    """State of one processor run."""

    PENDING = "PENDING"
    EXECUTING = "EXECUTING"
    #: Past the point of no return: the owner is writing the package; a cancel no
    #: longer revokes the run, so what it publishes ends SUCCESS.
    PUBLISHING = "PUBLISHING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"
    REVOKED = "REVOKED"

    @property
    def terminal(self) -> bool:
        """Whether the run will not change state any more."""
        return self not in ACTIVE

    @property
    def leased(self) -> bool:
        """Whether a worker holds the run (under a lease it must keep renewing)."""
        return self in LEASED

    @property
    def reported(self) -> RunState:
        """The state clients are told (``job_status``): PUBLISHING reads as EXECUTING."""
        return RunState.EXECUTING if self is RunState.PUBLISHING else self


#: States a worker holds under a lease.
LEASED = frozenset({RunState.EXECUTING, RunState.PUBLISHING})
#: States that will still change: the work of a job not yet complete.
ACTIVE = frozenset({RunState.PENDING}) | LEASED


class RunEvent(enum.StrEnum):
    """What happens to a run; each names the rows of :data:`TRANSITIONS` it fires."""

    SUBMIT = "submit"
    FIND_CURRENT = "find_current"
    DISPATCH = "dispatch"
    CLAIM = "claim"
    HEARTBEAT = "heartbeat"
    BEGIN_PUBLISH = "begin_publish"
    SUCCEED = "succeed"
    FAIL = "fail"
    RETRY = "retry"
    GIVE_UP = "give_up"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Transition:
    """One row of the machine: ``event`` takes a run from ``source`` to ``target``.

    ``source`` is ``None`` for the events that create a run. ``guard`` says, in words,
    what else the conditional UPDATE requires.
    """

    source: RunState | None
    event: RunEvent
    target: RunState
    guard: str


_OWNER = "the caller holds the lease"
_LOST = "the lease expired (or its owner is known dead) and the caller saw that owner"
_S = RunState
_E = RunEvent

#: Every allowed change of a run's state.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(None, _E.SUBMIT, _S.PENDING, "no active run for the same work (unique index)"),
    Transition(None, _E.FIND_CURRENT, _S.SKIPPED, "the published output is current"),
    Transition(_S.PENDING, _E.DISPATCH, _S.PENDING, "none: a message was sent to the broker"),
    Transition(_S.PENDING, _E.CLAIM, _S.EXECUTING, "tried fewer than the most attempts"),
    Transition(_S.EXECUTING, _E.HEARTBEAT, _S.EXECUTING, _OWNER),
    Transition(_S.PUBLISHING, _E.HEARTBEAT, _S.PUBLISHING, _OWNER),
    Transition(_S.EXECUTING, _E.BEGIN_PUBLISH, _S.PUBLISHING, _OWNER),
    Transition(_S.PUBLISHING, _E.SUCCEED, _S.SUCCESS, _OWNER),
    Transition(_S.EXECUTING, _E.FAIL, _S.FAILURE, _OWNER),
    Transition(_S.PUBLISHING, _E.FAIL, _S.FAILURE, _OWNER),
    Transition(_S.EXECUTING, _E.RETRY, _S.PENDING, f"{_LOST}; tried fewer than the most"),
    Transition(_S.PUBLISHING, _E.RETRY, _S.PENDING, f"{_LOST}; tried fewer than the most"),
    Transition(_S.EXECUTING, _E.GIVE_UP, _S.FAILURE, f"{_LOST}; tried the most attempts"),
    Transition(_S.PUBLISHING, _E.GIVE_UP, _S.FAILURE, f"{_LOST}; tried the most attempts"),
    Transition(_S.PENDING, _E.CANCEL, _S.REVOKED, "no job still waiting for it is live"),
    Transition(_S.EXECUTING, _E.CANCEL, _S.REVOKED, "no job still waiting for it is live"),
)


def sources_of(event: RunEvent) -> frozenset[RunState]:
    """The states ``event`` may leave (empty for the events that create a run)."""
    return frozenset(row.source for row in TRANSITIONS if row.event is event and row.source)


def target_of(event: RunEvent) -> RunState | None:
    """The state ``event`` leads to, or ``None`` when it leaves the state as it is.

    Raises:
        ValueError: the event leads to different states from different sources (the
            table is wrong).
    """
    rows = [row for row in TRANSITIONS if row.event is event]
    if all(row.source is row.target for row in rows):
        return None
    targets = {row.target for row in rows}
    if len(targets) != 1:
        raise ValueError(f"{event} leads to several states: {sorted(targets)}")
    return targets.pop()
