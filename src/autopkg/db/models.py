"""SQLAlchemy models: boundaries, jobs, processor runs, shared counters and callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from autopkg.db.types import MultiPolygonType, UTCDateTime
from autopkg.domain.states import ACTIVE


class Base(DeclarativeBase):
    """Declarative base of every autopkg table."""


#: The values of the active states (autopkg.domain.states.ACTIVE), as stored.
ACTIVE_STATES = tuple(sorted(state.value for state in ACTIVE))
# Spelled out for the partial unique index (and its migration, 0011).
_ACTIVE_SQL = "state IN ('PENDING', 'EXECUTING', 'PUBLISHING')"


class BoundaryRecord(Base):
    """A named polygon that packages are cut to."""

    __tablename__ = "boundaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    name_long: Mapped[str] = mapped_column(String(255), index=True)
    admin_level: Mapped[str] = mapped_column(String(16))
    geometry: Mapped[BaseGeometry] = mapped_column(MultiPolygonType())
    min_x: Mapped[float] = mapped_column(Float)
    min_y: Mapped[float] = mapped_column(Float)
    max_x: Mapped[float] = mapped_column(Float)
    max_y: Mapped[float] = mapped_column(Float)
    # Folded names and alternative names, one per line (autopkg.boundaries.search).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The unit holding this one (a country for an admin-1 unit), its codes elsewhere and
    # where its geometry came from (autopkg.domain.boundary.Boundary).
    parent: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    codes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    edition: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class BoundaryLoadRecord(Base):
    """A country whose admin units of one level were loaded from geoBoundaries.

    Present once the units are stored (in the same transaction), also when the
    publisher has none at that level, so they are fetched once.
    """

    __tablename__ = "boundary_loads"

    country: Mapped[str] = mapped_column(String(63), primary_key=True)
    admin_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRecord(Base):
    """One request to run processors for a boundary."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    boundary_name: Mapped[str] = mapped_column(String(63), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who submitted it: an API key's name (``key-<index>``, never the key) or, without
    # keys, the client address; None from the CLI. Queued jobs are counted by it.
    client: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # What the job asks of the package's summary: {"thresholds": {processor: [..]}},
    # false (none), or None (the thresholds the package records). The newest job of a
    # run that says anything decides for its publication (autopkg.db.runs.summary_request).
    summary: Mapped[dict[str, Any] | bool | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )
    # Read with the job as one scalar subquery, so a job list names its boundaries
    # without loading their geometries; None once a custom area has been retired.
    boundary_name_long: Mapped[str | None] = column_property(
        select(BoundaryRecord.name_long)
        .where(BoundaryRecord.name == boundary_name)
        .correlate_except(BoundaryRecord)
        .scalar_subquery()
    )
    runs: Mapped[list[JobRunRecord]] = relationship(
        back_populates="job", order_by="JobRunRecord.position", lazy="selectin"
    )


class RunRecord(Base):
    """One execution of one processor for one boundary, shared by every job that asks."""

    __tablename__ = "runs"
    __table_args__ = (
        Index(
            "uq_runs_active_work",
            "boundary_name",
            "processor_id",
            "options_key",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_runs_state", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    boundary_name: Mapped[str] = mapped_column(String(63))
    processor_id: Mapped[str] = mapped_column(String(130))
    # The processor's options in canonical form (processors/options.py) and a key of
    # them for the index: the same processor with other options is other work.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options_key: Mapped[str] = mapped_column(String(64), default="")
    # What the processor estimated at submission ({"error": …} when it could not).
    estimate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    current_task: Mapped[str] = mapped_column(String(255), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When the owner moved the run to PUBLISHING (just before it writes the manifest).
    publishing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When a message for this run was last handed to the broker; a PENDING run with
    # none, or an old one, is sent again by the reconciler.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Made for a job whose processors are all current but which asks the summary for
    # other thresholds: while its processor's files stay current, the run recomputes
    # and republishes the summary only (no dataset is clipped again).
    summary_only: Mapped[bool] = mapped_column(Boolean, default=False)


class JobRunRecord(Base):
    """Links a job to the run doing (or having done) one of its processors."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    job: Mapped[JobRecord] = relationship(back_populates="runs")
    run: Mapped[RunRecord] = relationship(lazy="joined")


class CounterRecord(Base):
    """A named number every process shares (versions of cached data, event counts)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class CallbackSubscriptionRecord(Base):
    """A URL a job's submitter asked to be told of the job's state changes at.

    ``role`` says which changes and which document: ``notify`` (``notify_url`` of
    ``POST /v1/jobs``: every change, the ``/v1/jobs/{id}`` body) or an OGC subscriber's
    ``in_progress``, ``success`` or ``failed`` URI (the OGC status info). Open
    (``closed_at`` unset) until the job's last change has been recorded.
    """

    __tablename__ = "callback_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    # The API's base URL at submission: the OGC document's links are built from it.
    base_url: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)


class CallbackDeliveryRecord(Base):
    """One POST owed to one URL for one state change of a job, until sent or given up.

    Unique on (job, event, url): whichever process sees a change first records it and
    the others' inserts are ignored. ``next_attempt_at`` is also the claim: a sender
    moves it past the request's timeout before sending, so no other sender takes it.
    """

    __tablename__ = "callback_deliveries"
    __table_args__ = (
        Index("uq_callback_deliveries_change", "job_id", "event", "url", unique=True),
        Index("ix_callback_deliveries_due", "next_attempt_at"),
    )

    # Also the delivery id sent with each attempt, so a receiver can drop a repeat.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    event: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    # The exact bytes signed and sent at every attempt (UTF-8 JSON).
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
