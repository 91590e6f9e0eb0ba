"""SQLAlchemy models: boundaries, jobs, processor runs and shared counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    BigInteger,
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
    # where its geometry came from (autopkg.boundaries.boundary.Boundary).
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
    # The processor's options in canonical form (autopkg.processors.options) and a key of
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
