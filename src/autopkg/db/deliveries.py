"""Callback subscriptions and deliveries: who is told of a job's changes, and what is owed.

A state change is recorded once, whichever process sees it first: a delivery row is
inserted with ``ON CONFLICT DO NOTHING`` on (job, event, url). A delivery is taken by
one sender at a time: :func:`claim_due` moves its ``next_attempt_at`` past the attempt's
time limit in one conditional UPDATE (its candidate chosen ``FOR UPDATE SKIP LOCKED``
on PostgreSQL), so a second sender finds it not due; a sender that dies mid-attempt
leaves it due again once that time has passed.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, and_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from autopkg.db.models import CallbackDeliveryRecord, CallbackSubscriptionRecord


class Role(enum.StrEnum):
    """What a subscribed URL is told, and in which document."""

    # notify_url of POST /v1/jobs: every change, as the /v1/jobs/{id} body.
    NOTIFY = "notify"
    # An OGC subscriber's URIs, each sent the OGC status info.
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class Target:
    """A URL to tell of a job's changes in ``role``'s way."""

    role: Role
    url: str


@dataclass(frozen=True)
class Subscription:
    """An open subscription as stored."""

    job_id: str
    role: Role
    url: str
    base_url: str


@dataclass(frozen=True)
class Change:
    """A state change owed to a URL, with the document to send."""

    job_id: str
    event: str
    url: str
    body: str


@dataclass(frozen=True)
class Delivery:
    """A delivery a sender has just claimed; ``attempts`` counts this attempt."""

    id: str
    job_id: str
    event: str
    url: str
    body: str
    attempts: int
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def subscribe(session: Session, *, job_id: str, targets: Sequence[Target], base_url: str) -> None:
    """Record the job's callback targets (in the transaction that creates the job)."""
    for target in targets:
        session.add(
            CallbackSubscriptionRecord(
                job_id=job_id, role=target.role.value, url=target.url, base_url=base_url
            )
        )


def open_subscriptions(reader: Session | Connection) -> list[Subscription]:
    """Every subscription whose job's last change has not been recorded yet."""
    rows = reader.execute(
        select(
            CallbackSubscriptionRecord.job_id,
            CallbackSubscriptionRecord.role,
            CallbackSubscriptionRecord.url,
            CallbackSubscriptionRecord.base_url,
        )
        .where(CallbackSubscriptionRecord.closed_at.is_(None))
        .order_by(CallbackSubscriptionRecord.id)
    ).tuples()
    return [
        Subscription(job_id=job_id, role=Role(role), url=url, base_url=base_url)
        for job_id, role, url, base_url in rows
    ]


def recorded(reader: Session | Connection, job_ids: Iterable[str]) -> set[tuple[str, str, str]]:
    """The (job, event, url) of every delivery already recorded for these jobs."""
    rows = reader.execute(
        select(
            CallbackDeliveryRecord.job_id, CallbackDeliveryRecord.event, CallbackDeliveryRecord.url
        ).where(CallbackDeliveryRecord.job_id.in_(list(job_ids)))
    ).tuples()
    return set(rows)


def record(session: Session, changes: Sequence[Change], *, closing: Sequence[str] = ()) -> int:
    """Owe each change to its URL, unless some process has already; returns how many were new.

    The subscriptions of the jobs in ``closing``, whose last change is among those
    recorded (or was already), are closed in the same transaction.
    """
    _close(session, sorted(closing))
    now = _now()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = 0
    # In one order everywhere, so two processes recording the same changes at once wait
    # for each other on the unique index rather than deadlock.
    for change in sorted(changes, key=lambda change: (change.job_id, change.event, change.url)):
        statement = (
            insert(CallbackDeliveryRecord)
            .values(
                id=str(uuid.uuid4()),
                job_id=change.job_id,
                event=change.event,
                url=change.url,
                body=change.body,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["job_id", "event", "url"])
            # A row comes back only when this insert made it (rowcount is not reliable
            # for ORM inserts on every driver).
            .returning(CallbackDeliveryRecord.id)
        )
        added += session.execute(statement).first() is not None
    return added


def _close(session: Session, job_ids: Sequence[str]) -> None:
    if job_ids:
        session.execute(
            update(CallbackSubscriptionRecord)
            .where(
                CallbackSubscriptionRecord.job_id.in_(job_ids),
                CallbackSubscriptionRecord.closed_at.is_(None),
            )
            .values(closed_at=_now())
            .execution_options(synchronize_session=False)
        )


def claim_due(session: Session, *, hold_until: datetime) -> Delivery | None:
    """Take the delivery due longest, if any, until ``hold_until``; count the attempt."""
    now = _now()
    candidate = session.scalar(
        select(CallbackDeliveryRecord.id)
        .where(CallbackDeliveryRecord.next_attempt_at <= now)
        .order_by(CallbackDeliveryRecord.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if candidate is None:
        return None
    taken = session.execute(
        update(CallbackDeliveryRecord)
        .where(
            CallbackDeliveryRecord.id == candidate, CallbackDeliveryRecord.next_attempt_at <= now
        )
        .values(next_attempt_at=hold_until, attempts=CallbackDeliveryRecord.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(taken, CursorResult)
    if taken.rowcount != 1:
        return None
    row = session.execute(
        select(
            CallbackDeliveryRecord.id,
            CallbackDeliveryRecord.job_id,
            CallbackDeliveryRecord.event,
            CallbackDeliveryRecord.url,
            CallbackDeliveryRecord.body,
            CallbackDeliveryRecord.attempts,
            CallbackDeliveryRecord.created_at,
        ).where(CallbackDeliveryRecord.id == candidate)
    ).one()
    return Delivery(*row)


def _attempt(delivery: Delivery) -> ColumnElement[bool]:
    # The attempt the caller made is still the last one taken: a sender that outlived
    # its hold and was overtaken records nothing over its successor's attempt.
    return and_(
        CallbackDeliveryRecord.id == delivery.id,
        CallbackDeliveryRecord.attempts == delivery.attempts,
        CallbackDeliveryRecord.delivered_at.is_(None),
        CallbackDeliveryRecord.given_up_at.is_(None),
    )


def delivered(session: Session, delivery: Delivery) -> None:
    """Record that the receiver accepted the delivery."""
    session.execute(
        update(CallbackDeliveryRecord)
        .where(_attempt(delivery))
        .values(delivered_at=_now(), next_attempt_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def failed(session: Session, delivery: Delivery, *, error: str, retry_at: datetime | None) -> None:
    """Record a failed attempt: tried again at ``retry_at``, or given up without one."""
    values: dict[str, object] = {"last_error": error[:2000], "next_attempt_at": retry_at}
    if retry_at is None:
        values["given_up_at"] = _now()
    session.execute(
        update(CallbackDeliveryRecord)
        .where(_attempt(delivery))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
