"""The engine around a processor: cancel and takeover stop publication; inputs decide SKIPPED.

Runs execute in real threads against a real database (SQLite and PostgreSQL) and a
real package folder; the processors are small ones defined here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import shapely
from pydantic import SecretStr

from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db import runs as run_repo
from autopkg.db.session import Database
from autopkg.domain.boundary import Boundary
from autopkg.domain.estimate import Estimate
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import PostgresSource, Source
from autopkg.domain.states import RunState
from autopkg.jobs import engine, service
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.jobs.policy import MAX_ATTEMPTS
from autopkg.packaging.inputs import geometry_digest
from autopkg.packaging.publish import read_manifest
from autopkg.packaging.summary import data_resources
from autopkg.processors.base import EstimateContext, Processor, RunContext
from autopkg.processors.registry import Registry
from autopkg.runtime import Runtime
from autopkg.storage.localfs import LocalFSStorage
from tests.unit.jobs.conftest import ZONE

SOURCE_BYTES = b"a source file\n" * 100


def _metadata(name: str) -> Metadata:
    return Metadata(
        name=name,
        version="version_1",
        description="engine test",
        data_author="tests",
        data_title=name,
        data_title_long=name,
        data_summary="test",
        data_citation="test",
        data_license=License(name="CC0-1.0", path="https://example.org/cc0", title="CC0"),
        data_origin_url="https://example.org",
        data_formats=("text",),
    )


class Gate:
    """Lets a test hold a processor inside a step that reports no progress."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.scratch: list[Path] = []


GATE = Gate()


class TextProcessor(Processor):
    """A processor writing one small text file."""

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """One text file of a few bytes."""
        return Estimate(bytes=32, files=1)


class SilentProcessor(TextProcessor):
    """Waits at the gate without reporting, then writes one file."""

    metadata = _metadata("silent")

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Wait for the test, then produce a file."""
        GATE.scratch.append(ctx.scratch)
        GATE.entered.set()
        assert GATE.release.wait(30)
        out = self.output_path(ctx, "txt")
        out.write_text("silent output\n")
        return [OutputFile(out, "txt", "text/plain")]


class FetchingProcessor(TextProcessor):
    """Fetches one source through the cache and publishes a copy of it."""

    metadata = _metadata("fetching")
    sources = (Source(url="https://example.org/data/source.txt", filename="source.txt"),)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Copy the fetched source into one output file."""
        path = self.fetch(ctx, self.sources[0], span=(0, 50))
        out = self.output_path(ctx, "txt")
        out.write_bytes(path.read_bytes())
        return [OutputFile(out, "txt", "text/plain")]


class OsmProbe(TextProcessor):
    """Records the OSM database its context offers, and publishes one file."""

    metadata = _metadata("osm_probe")
    seen: ClassVar[list[object]] = []

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Record ``ctx.osm_database``."""
        OsmProbe.seen.append(getattr(ctx, "osm_database", "missing"))
        out = self.output_path(ctx, "txt")
        out.write_text("probe\n")
        return [OutputFile(out, "txt", "text/plain")]


@pytest.fixture
def rt(database: Database, tmp_path: Path) -> Iterator[Runtime]:
    mirror = tmp_path / "mirror"
    (mirror / "example.org" / "data").mkdir(parents=True)
    (mirror / "example.org" / "data" / "source.txt").write_bytes(SOURCE_BYTES)
    settings = Settings(
        data_dir=tmp_path / "data", source_mirror=mirror.as_uri(), run_lease_seconds=30
    )
    global GATE
    GATE = Gate()
    yield Runtime(
        settings=settings,
        database=database,
        storage=LocalFSStorage(settings.packages_root),
        registry=Registry([SilentProcessor, FetchingProcessor, OsmProbe]),
    )
    GATE.release.set()


def _start(rt: Runtime, processor_id: str, owner: str = "w1") -> tuple[str, threading.Thread]:
    job_id = service.submit(
        rt, EmbeddedExecutor(rt, workers=0), boundary_name="zone", processor_ids=[processor_id]
    )
    run = engine.claim_next(rt, owner=owner)
    assert run is not None
    worker = threading.Thread(target=engine.execute, args=(rt, run), kwargs={"owner": owner})
    worker.start()
    return job_id.job_id, worker


def _run_state(rt: Runtime, job_id: str) -> RunState:
    return service.status(rt, job_id=job_id).runs[0].state


def _published_files(rt: Runtime) -> list[Path]:
    root = rt.settings.packages_root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_cancel_during_a_silent_step_publishes_nothing(rt: Runtime) -> None:
    job_id, worker = _start(rt, "silent.version_1")
    assert GATE.entered.wait(30)
    service.cancel(rt, job_id=job_id)
    GATE.release.set()
    worker.join(30)
    assert _run_state(rt, job_id) is RunState.REVOKED
    assert read_manifest(rt.storage, "zone") is None
    assert _published_files(rt) == []
    assert not GATE.scratch[0].exists()
    # The run has ended: its folder, with the clips kept for a later attempt, goes.
    assert not GATE.scratch[0].parent.exists()


def test_a_run_taken_over_while_silent_publishes_nothing(rt: Runtime) -> None:
    job_id, worker = _start(rt, "silent.version_1")
    assert GATE.entered.wait(30)
    with rt.database.session() as session:
        (executing,) = run_repo.leased_runs(session)
    # The first worker is believed dead: its run is released and another takes it.
    with rt.database.session() as session:
        assert run_repo.release(
            session,
            run_id=executing.id,
            owner="w1",
            max_attempts=MAX_ATTEMPTS,
            reason="worker stopped",
            expired_before=None,
        )
    second = engine.claim_next(rt, owner="w2")
    assert second is not None and second.id == executing.id and second.attempts == 2
    GATE.release.set()
    worker.join(30)
    assert _run_state(rt, job_id) is RunState.EXECUTING
    assert read_manifest(rt.storage, "zone") is None
    assert _published_files(rt) == []
    assert GATE.scratch[0].name.startswith("1-")
    # The run goes on in the second attempt, which needs the clips kept so far.
    assert (GATE.scratch[0].parent / "clips").is_dir()


def test_inputs_are_recorded_and_a_replaced_boundary_is_stale(rt: Runtime) -> None:
    job_id, worker = _start(rt, "fetching.version_1")
    worker.join(30)
    assert _run_state(rt, job_id) is RunState.SUCCESS
    manifest = read_manifest(rt.storage, "zone")
    assert manifest is not None
    (resource,) = data_resources(manifest)
    digest = hashlib.sha256(SOURCE_BYTES).hexdigest()
    assert resource.inputs == {
        "boundary": geometry_digest(ZONE.geometry),
        "processor": "fetching.version_1",
        "options": {},
        "sources": [
            {
                "url": "https://example.org/data/source.txt",
                "filename": "source.txt",
                "size": len(SOURCE_BYTES),
                "sha256": digest,
            }
        ],
    }
    provenance = rt.storage.get_bytes("zone/provenance.json")
    assert provenance is not None and digest.encode() in provenance

    again = service.submit(
        rt,
        EmbeddedExecutor(rt, workers=0),
        boundary_name="zone",
        processor_ids=["fetching.version_1"],
    )
    assert _run_state(rt, again.job_id) is RunState.SKIPPED

    moved = Boundary("zone", "Zone", 0, shapely.MultiPolygon([shapely.box(0, 0, 2, 1)]))
    with rt.database.session() as session:
        boundary_repo.upsert(session, [moved])
    stale = service.submit(
        rt,
        EmbeddedExecutor(rt, workers=0),
        boundary_name="zone",
        processor_ids=["fetching.version_1"],
    )
    assert _run_state(rt, stale.job_id) is RunState.PENDING
    assert stale.new_run_ids


def test_the_osm_settings_reach_the_run_context(rt: Runtime) -> None:
    settings = rt.settings.model_copy(
        update={
            "osm_pghost": "osm.internal",
            "osm_port": 6432,
            "osm_pgdatabase": "planet",
            "osm_pguser": "reader",
            "osm_pgpassword": SecretStr("s3cret"),
        }
    )
    configured = Runtime(settings, rt.database, rt.storage, rt.registry)
    OsmProbe.seen.clear()
    job_id, worker = _start(configured, "osm_probe.version_1")
    worker.join(30)
    assert _run_state(configured, job_id) is RunState.SUCCESS
    assert OsmProbe.seen == [
        PostgresSource(
            host="osm.internal", port=6432, dbname="planet", user="reader", password="s3cret"
        )
    ]


def test_without_osm_settings_the_context_offers_none(rt: Runtime) -> None:
    OsmProbe.seen.clear()
    job_id, worker = _start(rt, "osm_probe.version_1")
    worker.join(30)
    assert _run_state(rt, job_id) is RunState.SUCCESS
    assert OsmProbe.seen == [None]
