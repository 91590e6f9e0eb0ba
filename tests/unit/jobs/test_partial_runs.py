"""A dataset with one unreadable file: the others are published and the job is PARTIAL.

The real Aqueduct processor runs in the engine against a real database (SQLite and
PostgreSQL) and a real package folder, fetching its drifted stand-ins over HTTP from a
mirror in which one map is not a GeoTIFF.
"""

from __future__ import annotations

import json
from pathlib import Path

from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db.jobs import JobCondition, JobOutcome
from autopkg.db.models import RunState
from autopkg.db.session import Database
from autopkg.jobs import engine, service
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.processors.datasets.wri_aqueduct.version_2 import (
    LISTING,
    WriAqueductProcessor,
    file_source,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.registry import Registry
from autopkg.runtime import Runtime
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_drifted import AQUEDUCT_NAMES, drifted_mirror_root
from tests.unit.processors.conftest import load_country

__all__ = ["drifted_mirror_root"]

AQUEDUCT = WriAqueductProcessor.metadata.id
BROKEN = AQUEDUCT_NAMES[1]


def _mirror_with_a_broken_map(root: Path, drifted: Path) -> Path:
    """The drifted Aqueduct listing and maps, with ``BROKEN`` replaced by bytes of no raster."""
    for url in (LISTING.url, *(file_source(name).url for name in AQUEDUCT_NAMES)):
        target = root / mirror_relpath(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(drifted / mirror_relpath(url))
    broken = root / mirror_relpath(file_source(BROKEN).url)
    broken.unlink()
    broken.write_bytes(b"<html>Access Denied</html>")
    return root


def test_one_unreadable_file_fails_that_file_only(
    database: Database, tmp_path: Path, drifted_mirror_root: Path
) -> None:
    gha = load_country("gha")
    with database.session() as session:
        boundary_repo.upsert(session, [gha])
    mirror = _mirror_with_a_broken_map(tmp_path / "mirror", drifted_mirror_root)
    with serve_directory(mirror) as url:
        settings = Settings(data_dir=tmp_path / "data", source_mirror=url, run_lease_seconds=30)
        rt = Runtime(
            settings=settings,
            database=database,
            storage=LocalFSStorage(settings.packages_root),
            registry=Registry([WriAqueductProcessor]),
        )
        job = service.submit(
            rt, EmbeddedExecutor(rt, workers=0), boundary_name="gha", processor_ids=[AQUEDUCT]
        )
        run = engine.claim_next(rt, owner="w1")
        assert run is not None
        assert engine.execute(rt, run, owner="w1") is RunState.SUCCESS

    status = service.status(rt, job_id=job.job_id)
    assert status.outcome is JobOutcome.PARTIAL
    (done,) = status.runs
    assert done.state is RunState.SUCCESS and done.result is not None
    kept = [name for name in AQUEDUCT_NAMES if name != BROKEN]
    assert sorted(path.rsplit("/", 1)[-1] for path in done.result["files"]) == sorted(
        f"wri_aqueduct-version_2-{name.removesuffix('.tif').lower()}-gha.tif" for name in kept
    )
    (failed,) = done.result["failed"]
    assert failed["file"] == BROKEN
    assert failed["reason"] == (
        f"the publisher's file {BROKEN} could not be read as a raster; it may be damaged or "
        f"not a GeoTIFF ({BROKEN} not recognized as being in a supported file format.)"
    )
    assert done.result["message"].startswith(
        f"1 source file(s) could not be made and are missing: {BROKEN}: the publisher's file"
    )

    # Listing filters say the same as the job's own outcome, on either database.
    for outcome, listed in ((JobOutcome.PARTIAL, 1), (JobOutcome.SUCCESS, 0)):
        page = service.list_jobs(rt, any_of=[JobCondition(outcome=outcome)])
        assert page.total == listed, outcome

    provenance = json.loads((settings.packages_root / "gha" / "provenance.json").read_text())
    entry = provenance["processors"][AQUEDUCT]
    assert entry["failed_files"] == [failed]
    assert [read["file"] for read in entry["source_rasters"]] == kept
    coastal = entry["source_rasters"][-1]
    assert (coastal["dtype"], coastal["nodata"], coastal["transform"][0]) == (
        "float64",
        None,
        1 / 60,
    )
    assert "pixel type float64, not float32" in coastal["differs_from_prior"]
