"""Each processor's estimate against what it produces from the stand-in sources.

Pixels and files must match the outputs exactly: the window is computed as the clip
computes it. Bytes depend on how the data compress, and the stand-ins' values are not
the publishers'; they must be within :data:`BYTES_FACTOR` of the output either way.
Vector features are estimated from the publisher's global count and the boundary's
land share, which the stand-ins (a few lines over the test areas) do not follow; they
are checked against the publisher's density elsewhere (larger country, larger count).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import rasterio

from autopkg.domain.boundary import Boundary
from autopkg.domain.estimate import Estimate
from autopkg.domain.outputs import OutputFile
from autopkg.processors.base import Processor
from autopkg.processors.context import LocalEstimateContext
from autopkg.processors.datasets.gridfinder.version_1 import GridfinderProcessor
from autopkg.processors.datasets.isimp_drought.version_1 import IsimipDroughtProcessor
from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    JrcGhslBuiltCProcessor,
)
from autopkg.processors.datasets.jrc_ghsl_population.r2022_epoch2020_1km import (
    JrcGhslPopulationProcessor,
)
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
from autopkg.processors.datasets.natural_earth_vector.version_1 import (
    NaturalEarthVectorProcessor,
)
from autopkg.processors.datasets.storm.global_mosaics_version_1 import (
    StormGlobalMosaicsProcessor,
)
from autopkg.processors.datasets.test_fail_processor.version_1 import FailingTestProcessor
from autopkg.processors.datasets.test_processor.version_1 import SyntheticRasterTestProcessor
from autopkg.processors.datasets.wri_aqueduct.version_2 import WriAqueductProcessor
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from autopkg.processors.options import canonical_options
from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_aqueduct import make_aqueduct_folder
from tests.fixtures.standin_tiles import antimeridian_area, corner_area, make_built_c_tiles
from tests.unit.processors.conftest import load_country
from tests.unit.processors.test_datasets import Run

#: How far an estimate's bytes may be from the output's, either way. The stand-ins'
#: smooth synthetic values compress better than the publishers' data, so the estimates
#: run 2 to 9 times high on them.
BYTES_FACTOR = 10

# Options keep the many-file datasets to a file or two here.
STORM = {"models": ["constant"], "return_periods": [100, 1000]}
ISIMIP = {
    "impact_models": ["clm45"],
    "climate_models": ["gfdl-esm2m"],
    "scenarios": ["historical", "rcp60"],
    "epochs": ["baseline", "2050"],
}
AQUEDUCT = {"hazards": ["coastal"], "years": ["baseline"], "return_periods": [100]}


def estimate_of(
    processor: type[Processor],
    boundary: Boundary,
    tmp_path: Path,
    mirror: str | None,
    options: Mapping[str, Any] | None = None,
) -> Estimate:
    canonical = canonical_options(processor.metadata.id, processor.options_model, options or {})
    ctx = LocalEstimateContext(boundary, canonical, tmp_path / "cache", mirror=mirror, verify=False)
    return processor().estimate(ctx)


def run_of(
    processor: type[Processor],
    boundary: Boundary,
    tmp_path: Path,
    mirror: str | None,
    options: Mapping[str, Any] | None = None,
) -> list[OutputFile]:
    canonical = canonical_options(processor.metadata.id, processor.options_model, options or {})
    run = Run(tmp_path, boundary, mirror)
    run.ctx = type(run.ctx)(
        boundary,
        tmp_path / "scratch",
        tmp_path / "cache",
        mirror=mirror,
        verify=False,
        on_progress=lambda _p, _t: None,
        options=canonical,
    )
    return processor().run(run.ctx)


def measured(outputs: list[OutputFile]) -> Estimate:
    """The outputs' real figures, in the shape of an estimate."""
    total = Estimate(bytes=0, files=0)
    for output in outputs:
        size = output.path.stat().st_size
        if output.format == "tif":
            with rasterio.open(output.path) as raster:
                total += Estimate(bytes=size, files=1, pixels=raster.width * raster.height)
        else:
            features = int(pyogrio.read_info(output.path)["features"])
            total += Estimate(bytes=size, files=1, features=features)
    return total


def assert_close(estimate: Estimate, actual: Estimate) -> None:
    assert estimate.files == actual.files
    assert estimate.pixels == actual.pixels
    assert actual.bytes / BYTES_FACTOR <= estimate.bytes <= actual.bytes * BYTES_FACTOR
    assert (estimate.features is None) == (actual.features is None)


RASTERS: list[tuple[type[Processor], dict[str, Any]]] = [
    (SyntheticRasterTestProcessor, {}),
    (NaturalEarthRasterProcessor, {}),
    (JrcGhslPopulationProcessor, {}),
    (GridfinderProcessor, {}),
    (StormGlobalMosaicsProcessor, STORM),
    (IsimipDroughtProcessor, ISIMIP),
]


@pytest.mark.parametrize(
    ("processor", "options"), RASTERS, ids=lambda p: getattr(p, "__name__", "")
)
def test_raster_estimates_match_the_outputs(
    processor: type[Processor],
    options: dict[str, Any],
    country: Boundary,
    tmp_path: Path,
    source_mirror: str,
) -> None:
    estimate = estimate_of(processor, country, tmp_path, source_mirror, options)
    outputs = run_of(processor, country, tmp_path, source_mirror, options)
    assert_close(estimate, measured(outputs))


def test_the_aqueduct_estimate_reads_the_listing_and_matches_the_outputs(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, gha: Boundary
) -> None:
    root = make_aqueduct_folder(tmp_path_factory.mktemp("aqueduct"))
    with serve_directory(root) as mirror:
        estimate = estimate_of(WriAqueductProcessor, gha, tmp_path, mirror, AQUEDUCT)
        outputs = run_of(WriAqueductProcessor, gha, tmp_path, mirror, AQUEDUCT)
    assert estimate.files == 1
    assert_close(estimate, measured(outputs))
    with serve_directory(root) as mirror:
        everything = estimate_of(WriAqueductProcessor, gha, tmp_path, mirror)
        larger = estimate_of(WriAqueductProcessor, load_country("nga"), tmp_path, mirror)
    # The stand-in listing names the 100-year maps: 31 riverine and 10 coastal kept.
    assert everything.files == 41
    assert larger.bytes > everything.bytes


@pytest.mark.parametrize("area", [corner_area(), antimeridian_area()], ids=["corner", "dateline"])
def test_the_built_up_estimate_matches_the_mosaic_clips(
    area: Boundary, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = make_built_c_tiles(tmp_path_factory.mktemp("built-c"), [area])
    with serve_directory(root) as mirror:
        estimate = estimate_of(JrcGhslBuiltCProcessor, area, tmp_path, mirror)
        outputs = run_of(JrcGhslBuiltCProcessor, area, tmp_path, mirror)
    assert_close(estimate, measured(outputs))


@pytest.mark.parametrize("processor", [WriPowerplantsProcessor, NaturalEarthVectorProcessor])
def test_vector_estimates_are_files_of_features(
    processor: type[Processor], gha: Boundary, tmp_path: Path, source_mirror: str
) -> None:
    estimate = estimate_of(processor, gha, tmp_path, source_mirror)
    actual = measured(run_of(processor, gha, tmp_path, source_mirror))
    assert estimate.files == actual.files == 1
    assert estimate.pixels is None and estimate.features is not None
    assert actual.bytes / BYTES_FACTOR <= estimate.bytes <= actual.bytes * BYTES_FACTOR


@pytest.mark.parametrize(
    "processor",
    [
        SyntheticRasterTestProcessor,
        NaturalEarthRasterProcessor,
        JrcGhslPopulationProcessor,
        JrcGhslBuiltCProcessor,
        GridfinderProcessor,
        StormGlobalMosaicsProcessor,
        IsimipDroughtProcessor,
        WriPowerplantsProcessor,
        NaturalEarthVectorProcessor,
    ],
)
def test_a_larger_country_has_a_larger_estimate(
    processor: type[Processor], gha: Boundary, tmp_path: Path
) -> None:
    # No mirror at all: these estimates read nothing.
    ghana = estimate_of(processor, gha, tmp_path, None)
    nigeria = estimate_of(processor, load_country("nga"), tmp_path, None)
    assert nigeria.bytes > ghana.bytes > 0
    assert (nigeria.pixels or 0) >= (ghana.pixels or 0)
    assert (nigeria.features or 0) >= (ghana.features or 0)


def test_the_failing_test_processor_expects_nothing(gha: Boundary, tmp_path: Path) -> None:
    assert estimate_of(FailingTestProcessor, gha, tmp_path, None) == Estimate(bytes=0, files=0)


def test_options_select_the_files_estimated(gha: Boundary, tmp_path: Path) -> None:
    every_storm = estimate_of(StormGlobalMosaicsProcessor, gha, tmp_path, None)
    two_storms = estimate_of(StormGlobalMosaicsProcessor, gha, tmp_path, None, STORM)
    assert (every_storm.files, two_storms.files) == (140, 2)
    assert every_storm.bytes == 70 * two_storms.bytes
    assert estimate_of(IsimipDroughtProcessor, gha, tmp_path, None).files == 245
    assert estimate_of(IsimipDroughtProcessor, gha, tmp_path, None, ISIMIP).files == 2


def test_a_boundary_across_the_antimeridian_is_estimated_per_side(tmp_path: Path) -> None:
    fiji = load_country("fji")
    population = estimate_of(JrcGhslPopulationProcessor, fiji, tmp_path, None)
    # Two tight windows (a file each) in Mollweide, not one as wide as the world.
    assert population.files == 2
    assert population.pixels is not None and population.pixels < 200_000


def test_a_single_clip_across_the_antimeridian_is_estimated_as_one_file(tmp_path: Path) -> None:
    # The synthetic grid over Russia's 360° bounding box cannot wrap (one column too
    # many), so the clip is one file as wide as the grid: so must the estimate be.
    russia = load_country("rus")
    estimate = estimate_of(SyntheticRasterTestProcessor, russia, tmp_path, None)
    outputs = run_of(SyntheticRasterTestProcessor, russia, tmp_path, None)
    assert_close(estimate, measured(outputs))
