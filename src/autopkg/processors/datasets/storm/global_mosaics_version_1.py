"""STORM tropical cyclone wind speed return periods: 140 global GeoTIFFs, each clipped."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import CC0_1_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.publishers import ZenodoRecord
from autopkg.domain.sources import RasterPrior, Source
from autopkg.processors.base import EstimateContext, Processor, RunContext
from autopkg.processors.options import Selections, every
from autopkg.processors.rasters import clip_published, fetch_each
from autopkg.processors.sizing import files_estimate

_RECORD = ZenodoRecord(7438145)
_REFERENCE = _RECORD.reference("Russell T.", 2022, version="1.0.0")
# The present climate ("constant") and four climate models under RCP8.5 around 2050.
Model = Literal["constant", "CMCC-CM2-VHR4", "CNRM-CM6-1-HR", "EC-Earth3P-HR", "HadGEM3-GC31-HM"]
_RETURN_PERIODS = (*range(10, 100, 10), *range(100, 1000, 100), *range(1000, 10001, 1000))
# The prior for estimates, until a run has read a file. The record says EPSG:4326 at
# 0.1° (10 km); the mosaics' grid, 3600 x 1200 cells from (-180, 60), is derived from
# the rule that made them, which sets NoData 0. The pixel type is whatever the basin
# files had: Float32 wind speeds in m/s are assumed. Each file is clipped on its own
# grid, keeping its NoData. Smooth wind speeds deflate to about a third of their bytes.
PRIOR = SourceFacts("EPSG:4326", north_up(-180, 60, 0.1), 3600, 1200, "float32", nodata=0)
_RATIO = 0.3


class StormOptions(Selections):
    """Which of the 140 mosaics to clip: climates (models) and return periods."""

    models: tuple[Model, ...] = every(
        Model, "Climates: the present (`constant`) and four models in 2050 under RCP8.5."
    )
    return_periods: tuple[int, ...] = Field(
        _RETURN_PERIODS,
        description="Return periods in years: 10-90 by 10, 100-900 by 100, 1000-10000 by 1000.",
    )


def source_file_names(options: StormOptions | None = None) -> tuple[str, ...]:
    """The GeoTIFFs of the record ``options`` select (all 140 by default), in clip order."""
    chosen = options or StormOptions()
    return tuple(
        f"STORM_FIXED_RETURN_PERIODS_{model}_{period}_YR_RP.tif"
        for model in chosen.models
        for period in chosen.return_periods
    )


_SOURCES = tuple(_RECORD.file(name) for name in source_file_names())
_BY_NAME = {source.filename: source for source in _SOURCES}


class StormGlobalMosaicsProcessor(Processor):
    """Clip the 140 STORM wind speed return-period mosaics to the boundary."""

    metadata = Metadata(
        name="storm",
        version="global_mosaics_version_1",
        data_group="hazards",
        description=(
            "STORM tropical cyclone maximum wind speeds for 28 return periods (10 to 10,000 "
            "years), present climate and four climate models in 2050 under RCP8.5: 140 "
            "Cloud Optimized GeoTIFFs clipped to the boundary."
        ),
        data_author="Russell T.; Bloemendaal N. et al.",
        data_title="STORM tropical cyclone wind speed return periods",
        data_title_long=(
            "STORM tropical cyclone wind speed return periods as global GeoTIFFs (1.0.0)"
        ),
        data_summary=(
            "Maximum **tropical cyclone wind speeds** (m/s, 10-minute sustained at 10 m) "
            "expected once in a given return period, from STORM: 10,000 years of synthetic "
            "cyclone tracks generated from observed statistics (IBTrACS). The basin maps of "
            "Bloemendaal et al. are mosaicked into global grids at 0.1° (about 10 km) "
            "between 60°S and 60°N.\n\n"
            "Return periods: 10 to 90 years in steps of 10, 100 to 900 in steps of 100 and "
            "1,000 to 10,000 in steps of 1,000. Climates: the present (`constant`) and "
            "2050 under RCP8.5 as simulated by CMCC-CM2-VHR4, CNRM-CM6-1-HR, EC-Earth3P-HR "
            "and HadGEM3-GC31-HM.\n\n"
            "One file per published GeoTIFF, named after it (lower-cased); grids are "
            "EPSG:4326, cells outside the boundary are NoData."
        ),
        data_citation=_REFERENCE.cite(
            "STORM tropical cyclone wind speed return periods as global GeoTIFFs (1.0.0). "
            f"Zenodo, doi:{_REFERENCE.doi}. Derived from Bloemendaal N., de Moel H., Muis S., "
            "Haigh I.D., Aerts J.C.J.H. (2020): Estimation of global tropical cyclone wind "
            "speed probabilities using the STORM dataset, doi:10.4121/12705164.v3, and "
            "Bloemendaal N. et al. (2022): STORM climate change tropical cyclone wind speed "
            "return periods, doi:10.4121/14510817.v3"
        ),
        data_license=CC0_1_0,
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = _SOURCES
    options_model = StormOptions
    raster_priors = dict.fromkeys(_SOURCES, RasterPrior(PRIOR))

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The boundary's window of each selected file's grid (last seen, else the prior)."""
        names = source_file_names(StormOptions.model_validate(ctx.options))
        return files_estimate(ctx, [(_BY_NAME[name], "") for name in names], PRIOR, ratio=_RATIO)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch and clip each selected file (all 140 by default); one COG per file."""
        names = source_file_names(StormOptions.model_validate(ctx.options))
        locate = fetch_each(self, ctx, _BY_NAME.__getitem__)
        return clip_published(self, ctx, names, locate, prior=PRIOR, span=(0, 99), locate_share=0.5)
