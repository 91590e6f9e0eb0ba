"""Every raster processor on drifted sources: each file clipped on the grid read from it.

The drifted stand-ins (``tests.fixtures.standin_drifted``) differ from the processors'
priors in resolution, extent, pixel type and NoData. Each run must publish, every
output must equal a mask of the source as served computed here with rasterio, each
difference must be one WARNING line and a provenance record, and the next estimate
must size the output on the grid last read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rasterio

from autopkg.domain.boundary import Boundary
from autopkg.processors.base import Processor
from autopkg.processors.context import LocalEstimateContext
from autopkg.processors.datasets.gridfinder.version_1 import GridfinderProcessor
from autopkg.processors.datasets.isimp_drought.version_1 import (
    IsimipDroughtProcessor,
    source_file_names,
)
from autopkg.processors.datasets.jrc_ghsl_population.r2022_epoch2020_1km import (
    JrcGhslPopulationProcessor,
)
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
from autopkg.processors.datasets.storm.global_mosaics_version_1 import (
    StormGlobalMosaicsProcessor,
)
from autopkg.processors.datasets.wri_aqueduct.version_2 import WriAqueductProcessor, file_source
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_drifted import (
    AQUEDUCT_NAMES,
    drifted_mirror,
    drifted_mirror_root,
)
from tests.fixtures.standin_rasters import GHSL_POP_STEM, ISIMIP_FOLDER
from tests.unit.processors.checks import check_against_mask
from tests.unit.processors.conftest import load_country
from tests.unit.processors.test_datasets import Run

__all__ = ["drifted_mirror", "drifted_mirror_root"]

#: Per processor: each source raster as served, by the part of the output name it gives.
Served = Callable[[Path], dict[str, str]]


def _zipped(processor: type[Processor], member: str) -> Served:
    return lambda root: {"": f"/vsizip/{root / mirror_relpath(processor.sources[0].url)}/{member}"}


def _each(names: list[str], url: Callable[[str], str]) -> Served:
    return lambda root: {
        f"-{name.removesuffix('.tif').lower()}-": str(root / mirror_relpath(url(name)))
        for name in names
    }


_STORM = {s.filename: s.url for s in StormGlobalMosaicsProcessor.sources}
_ISIMIP_ZIP = mirror_relpath(IsimipDroughtProcessor.sources[0].url)
CASES: dict[type[Processor], Served] = {
    NaturalEarthRasterProcessor: _zipped(NaturalEarthRasterProcessor, "NE2_50M_SR/NE2_50M_SR.tif"),
    JrcGhslPopulationProcessor: _zipped(JrcGhslPopulationProcessor, f"{GHSL_POP_STEM}.tif"),
    GridfinderProcessor: lambda root: {
        f"-{sub}-": str(root / mirror_relpath(GridfinderProcessor.sources[n].url))
        for n, sub in ((1, "targets"), (2, "lv"))
    },
    WriAqueductProcessor: _each(list(AQUEDUCT_NAMES), lambda name: file_source(name).url),
    StormGlobalMosaicsProcessor: _each(list(_STORM), _STORM.__getitem__),
    IsimipDroughtProcessor: lambda root: {
        f"-{name.removesuffix('.tif')}-": f"/vsizip/{root / _ISIMIP_ZIP}/{ISIMIP_FOLDER}/{name}"
        for name in source_file_names()
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("processor", list(CASES), ids=lambda p: p.metadata.id)
def test_a_drifted_source_is_clipped_on_its_own_grid(
    tmp_path: Path,
    drifted_mirror: str,
    drifted_mirror_root: Path,
    gha: Boundary,
    processor: type[Processor],
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = Run(tmp_path, gha, drifted_mirror)
    cache = tmp_path / "cache"
    estimate_context = LocalEstimateContext(gha, {}, cache, mirror=drifted_mirror, verify=False)
    before = processor().estimate(estimate_context)

    outputs = processor().run(run.ctx)

    assert not run.ctx.failures
    served = CASES[processor](drifted_mirror_root)
    rasters = [o for o in outputs if o.path.suffix == ".tif"]
    assert len(rasters) == len(served)
    for output in rasters:
        (source,) = [path for part, path in served.items() if part in output.path.name]
        assert check_against_mask(output.path, source, gha.geometry) > 0, output.path.name
        assert not output.empty

    # Every file differs from the prior: one WARNING each, naming processor and file,
    # and its facts as read in the run's record for provenance.
    read = run.ctx.sources_read
    assert len(read) == len(served) and all(r.differs for r in read)
    warnings = [r.getMessage() for r in caplog.records if "differs from what" in r.getMessage()]
    assert len(warnings) == len(read)
    for record, line in zip(read, warnings, strict=True):
        assert line == (
            f"{processor.metadata.id}: the publisher's file {record.name} differs from what "
            f"the processor expected: {'; '.join(record.differs)}"
        )
        assert record.record()["differs_from_prior"] == list(record.differs)

    # The next estimate sizes the windows of the grids last read, exactly.
    after = processor().estimate(estimate_context)
    pixels = 0
    for output in rasters:
        with rasterio.open(output.path) as out:
            pixels += out.width * out.height
    assert after.pixels == pixels and after != before


def test_a_boundary_outside_a_regional_grid_gives_empty_files(
    tmp_path: Path, drifted_mirror: str
) -> None:
    # gridfinder's drifted rasters cover Ghana only: Fiji meets neither. No overlap is
    # not a failure: the run publishes all-NoData files marked empty.
    fiji = load_country("fji")
    run = Run(tmp_path, fiji, drifted_mirror)

    outputs = GridfinderProcessor().run(run.ctx)

    # Mollweide cannot wrap at ±180°: lv gives one file per side, both empty too.
    names = [o.path.name for o in outputs[1:]]
    assert names == [
        f"gridfinder-version_1-{sub}-fji.tif" for sub in ("targets", "lv-east", "lv-west")
    ]
    assert all(o.empty for o in outputs[1:])
    assert not run.ctx.failures
    for output in outputs[1:]:
        with rasterio.open(output.path) as out:
            assert (out.width, out.height) == (1, 1)


def test_a_processor_keeps_its_other_files_when_one_cannot_be_read(
    tmp_path: Path, drifted_mirror_root: Path, gha: Boundary
) -> None:
    mirror = tmp_path / "mirror"
    for source in GridfinderProcessor.sources:
        target = mirror / mirror_relpath(source.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(drifted_mirror_root / mirror_relpath(source.url))
    lv = mirror / mirror_relpath(GridfinderProcessor.sources[2].url)
    lv.unlink()
    lv.write_bytes(b"II*\x00 cut short")
    run = Run(tmp_path, gha, f"file://{mirror}")

    outputs = GridfinderProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == [
        "gridfinder-version_1-grid-gha.gpkg",
        "gridfinder-version_1-targets-gha.tif",
    ]
    (failed,) = run.ctx.failures
    assert failed.name == "lv.tif"
    assert failed.reason.startswith("the publisher's file lv.tif could not be read as a raster")
    targets = str(drifted_mirror_root / mirror_relpath(GridfinderProcessor.sources[1].url))
    assert check_against_mask(outputs[1].path, targets, gha.geometry) > 0
