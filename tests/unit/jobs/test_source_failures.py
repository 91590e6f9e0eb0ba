"""Sources that fail: one unreadable file of many, all of them, a file not served.

Real processors run in the engine against a real database (SQLite and PostgreSQL)
and a real package folder, fetching drifted stand-ins over HTTP from a mirror. One bad
file of a dataset costs that file only (the job is PARTIAL); a failure's task and
result start with a sentence a person can act on.
"""

from __future__ import annotations

import json
from pathlib import Path

from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db.jobs import JobCondition, JobOutcome
from autopkg.db.session import Database
from autopkg.domain.states import RunState
from autopkg.jobs import engine, service
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.processors.base import Processor
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
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
NE_URL = NaturalEarthRasterProcessor.sources[0].url
BROKEN = AQUEDUCT_NAMES[1]


def _mirror_with_broken_maps(root: Path, drifted: Path, broken: list[str]) -> Path:
    """The drifted Aqueduct listing and maps, with ``broken`` ones replaced by no raster.

    Natural Earth's raster is served too, for a job that succeeds beside.
    """
    urls = (LISTING.url, *(file_source(name).url for name in AQUEDUCT_NAMES), NE_URL)
    for url in urls:
        target = root / mirror_relpath(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(drifted / mirror_relpath(url))
    for name in broken:
        target = root / mirror_relpath(file_source(name).url)
        target.unlink()
        target.write_bytes(b"<html>Access Denied</html>")
    return root


def _run(
    database: Database, data: Path, mirror: Path, *processors: type[Processor]
) -> tuple[Runtime, str, RunState]:
    """Run one job per processor for Ghana from ``mirror`` served over HTTP, in turn.

    Returns the runtime, the first job's id and the state its run ended in.
    """
    with database.session() as session:
        boundary_repo.upsert(session, [load_country("gha")])
    with serve_directory(mirror) as url:
        settings = Settings(data_dir=data, source_mirror=url, run_lease_seconds=30)
        rt = Runtime(
            settings=settings,
            database=database,
            storage=LocalFSStorage(settings.packages_root),
            registry=Registry(list(processors)),
        )
        ended = []
        for processor in processors:
            job = service.submit(
                rt,
                EmbeddedExecutor(rt, workers=0),
                boundary_name="gha",
                processor_ids=[processor.metadata.id],
            )
            run = engine.claim_next(rt, owner="w1")
            assert run is not None
            ended.append((job.job_id, engine.execute(rt, run, owner="w1")))
        return rt, *ended[0]


def test_one_unreadable_file_fails_that_file_only(
    database: Database, tmp_path: Path, drifted_mirror_root: Path
) -> None:
    mirror = _mirror_with_broken_maps(tmp_path / "mirror", drifted_mirror_root, [BROKEN])

    rt, job_id, state = _run(
        database, tmp_path / "data", mirror, WriAqueductProcessor, NaturalEarthRasterProcessor
    )

    assert state is RunState.SUCCESS
    settings = rt.settings
    status = service.status(rt, job_id=job_id)
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

    # Listing filters say the same as each job's own outcome, on either database.
    for outcome in (JobOutcome.PARTIAL, JobOutcome.SUCCESS, JobOutcome.FAILURE):
        page = service.list_jobs(rt, any_of=[JobCondition(outcome=outcome)])
        assert [job.outcome for job in page.jobs] == [outcome] * page.total, outcome
        assert page.total == (outcome is not JobOutcome.FAILURE), outcome

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


def test_a_dataset_with_no_readable_file_fails_with_the_first_reason(
    database: Database, tmp_path: Path, drifted_mirror_root: Path
) -> None:
    names = list(AQUEDUCT_NAMES)
    mirror = _mirror_with_broken_maps(tmp_path / "mirror", drifted_mirror_root, names)

    rt, job_id, state = _run(database, tmp_path / "data", mirror, WriAqueductProcessor)

    assert state is RunState.FAILURE
    status = service.status(rt, job_id=job_id)
    assert status.outcome is JobOutcome.FAILURE
    (failed,) = status.runs
    assert failed.result is not None
    assert failed.result["error"] == "source_error"
    assert failed.result["detail"].startswith(
        f"the publisher's file {names[0]} could not be read as a raster; it may be damaged"
    )
    assert failed.result["detail"].endswith("; none of the 4 files could be made")
    assert failed.task.startswith(f"failed: the publisher's file {names[0]} could not be read")


def test_a_file_the_mirror_does_not_serve_is_reported_in_plain_words(
    database: Database, tmp_path: Path
) -> None:
    empty = tmp_path / "mirror"
    empty.mkdir()

    rt, job_id, state = _run(database, tmp_path / "data", empty, NaturalEarthRasterProcessor)

    assert state is RunState.FAILURE
    (failed,) = service.status(rt, job_id=job_id).runs
    assert failed.task.startswith(
        "failed: the publisher's file NE2_50M_SR.zip could not be downloaded intact; try again "
        "later, and if it fails again the publisher may have moved or changed it"
    )
    assert failed.result is not None
    assert "HTTP 404" in failed.result["detail"]
