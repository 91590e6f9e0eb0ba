"""ISIMIP drought and heatwave occurrence (Lange et al. 2020): 245 global rasters clipped."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import ClassVar, Literal

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import CC0_1_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.publishers import ZenodoRecord
from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.base import EstimateContext, Processor, RunContext, Span
from autopkg.processors.fetch import cached_digest
from autopkg.processors.options import Selections, every
from autopkg.processors.rasters import Located, RasterFile, clip_published
from autopkg.processors.sizing import files_estimate

_RECORD = ZenodoRecord(7732393)
_SOURCE = _RECORD.file("lange2020_expected_occurrence.zip")
_REFERENCE = _RECORD.reference(
    "Lange S.; Volkholz J.; Geiger T.; Zhao F.; Vega I.; Veldkamp T.", 2020, et_al=True
)
# The prior for estimates, until a run has read a file: a 0.5° global grid, 720 x 360
# cells from (-180, 90), of Float32 probabilities in EPSG:4326 with no NoData value
# (cells without data are NaN, as they stay outside the boundary). Each file is clipped
# on its own grid. Probabilities in steps of 0.025, NaN at sea, deflate to about a
# third of their bytes.
PRIOR = SourceFacts("EPSG:4326", north_up(-180, 90, 0.5), 720, 360, "float32")
_RATIO = 0.3

# The impact models (im) and climate models (gcm) of the published set: every pair but
# MPI-HM driven by HadGEM2-ES, each with a historical baseline and three epochs of two
# scenarios, 35 x 7 = 245 files.
ImpactModel = Literal[
    "clm45", "h08", "hwmid-humidex", "jules-w1", "lpjml", "mpi-hm", "orchidee",
    "pcr-globwb", "watergap2",
]  # fmt: skip
ClimateModel = Literal["gfdl-esm2m", "hadgem2-es", "ipsl-cm5a-lr", "miroc5"]
Scenario = Literal["historical", "rcp26", "rcp60"]
Epoch = Literal["baseline", "2030", "2050", "2080"]
Variable = Literal["drought", "heatwave"]
_MISSING_PAIRS = {("mpi-hm", "hadgem2-es")}
_PERIODS = (
    ("historical", "1861_2005", "baseline"),
    *(
        (scenario, "2006_2099", epoch)
        for scenario in ("rcp26", "rcp60")
        for epoch in ("2030", "2050", "2080")
    ),
)
# Socio-economic setting per model: fixed for some, historical then 2005 for the others.
_FIXED_SOC = {
    "clm45": "2005soc",
    "hwmid-humidex": "nosoc",
    "jules-w1": "nosoc",
    "orchidee": "nosoc",
}


class IsimipOptions(Selections):
    """Which of the 245 rasters to clip; each list keeps the files matching one of its values."""

    variables: tuple[Variable, ...] = every(
        Variable, "`drought` (led, eight models) or `heatwave` (leh, HWMId-humidex)."
    )
    impact_models: tuple[ImpactModel, ...] = every(ImpactModel, "ISIMIP impact models.")
    climate_models: tuple[ClimateModel, ...] = every(ClimateModel, "Climate models driving them.")
    scenarios: tuple[Scenario, ...] = every(
        Scenario, "`historical` (1861-2005), `rcp26` or `rcp60` (2006-2099)."
    )
    epochs: tuple[Epoch, ...] = every(
        Epoch, "`baseline` (the historical run) or an epoch of the scenarios."
    )


def source_file_names(options: IsimipOptions | None = None) -> tuple[str, ...]:
    """The GeoTIFFs ``options`` select (all 245 by default), in the order they are clipped."""
    chosen = options or IsimipOptions()
    names = []
    # The chosen models are in the published order (Selections), so the names are too.
    for model in chosen.impact_models:
        for gcm in chosen.climate_models:
            if (model, gcm) in _MISSING_PAIRS:
                continue
            # HWMId-humidex gives heatwave occurrence (leh); every other model drought (led).
            variable = "leh" if model == "hwmid-humidex" else "led"
            kind = "heatwave" if variable == "leh" else "drought"
            for scenario, years, epoch in _PERIODS:
                wanted = (
                    kind in chosen.variables
                    and scenario in chosen.scenarios
                    and epoch in chosen.epochs
                )
                if not wanted:
                    continue
                soc = _FIXED_SOC.get(model, "histsoc" if scenario == "historical" else "2005soc")
                names.append(
                    f"lange2020_{model}_{gcm}_ewembi_{scenario}_{soc}_co2_{variable}_global_"
                    f"annual_{years}_{epoch}_occurrence.tif"
                )
    return tuple(names)


class IsimipDroughtProcessor(Processor):
    """Clip the 245 ISIMIP drought and heatwave occurrence rasters to the boundary."""

    metadata = Metadata(
        name="isimp_drought",
        version="version_1",
        data_group="hazards",
        description=(
            "ISIMIP annual probability of drought and of heatwaves (Lange et al. 2020) for "
            "the historical baseline and 2030, 2050, 2080 under RCP2.6 and RCP6.0: 245 "
            "Cloud Optimized GeoTIFFs clipped to the boundary."
        ),
        data_title="ISIMIP drought and heatwave occurrence",
        data_title_long=(
            "Annual expected occurrence of droughts and heatwaves from the ISIMIP2b "
            "ensemble (Lange et al. 2020)"
        ),
        data_summary=(
            "The annual probability of a **drought** (`led`: land area exposed to drought, "
            "from eight global hydrological and land-surface models) or of a **heatwave** "
            "(`leh`: HWMId with humidex) in each 0.5° cell, from the ISIMIP2b simulations "
            "analysed by Lange et al. (2020), as compiled for the Global Resilience Index "
            "risk viewer.\n\n"
            "Each impact model is driven by four climate models (GFDL-ESM2M, HadGEM2-ES, "
            "IPSL-CM5A-LR, MIROC5; MPI-HM has no HadGEM2-ES run): a historical baseline "
            "(1861-2005) and the epochs 2030, 2050 and 2080 of RCP2.6 and RCP6.0 "
            "(2006-2099). Values run from 0 to 1.\n\n"
            "One file per published GeoTIFF, named after it; grids are EPSG:4326 at 0.5°, "
            "cells outside the boundary or without data are NaN."
        ),
        data_citation=_REFERENCE.cite(
            "Projecting exposure to extreme climate impact events across six event "
            "categories and three spatial scales. Earth's Future 8, e2020EF001616, "
            f"doi:10.1029/2020EF001616. Data: Zenodo, doi:{_REFERENCE.doi}"
        ),
        data_license=CC0_1_0,
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_SOURCE,)
    options_model = IsimipOptions

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The boundary's window of each selected file's grid (last seen, else the prior)."""
        names = source_file_names(IsimipOptions.model_validate(ctx.options))
        return files_estimate(ctx, [(_SOURCE, name) for name in names], PRIOR, ratio=_RATIO)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the zip once, then clip each selected GeoTIFF (all 245 by default) in turn."""
        archive = self.fetch(ctx, _SOURCE, span=(0, 20))
        members = _members(str(archive))
        archive_sha256 = cached_digest(archive).sha256
        unpacked = ctx.scratch / ".unpacked"
        unpacked.mkdir(exist_ok=True)
        with zipfile.ZipFile(archive) as zipped:
            # Each file is unpacked, clipped and removed in turn: GDAL reading a member of
            # a compressed zip in place inflates it again from the start for each strip.
            @contextmanager
            def locate(file: RasterFile, _span: Span) -> Iterator[Located]:
                path = unpacked / file.name
                with zipped.open(members[file.name]) as member, path.open("wb") as handle:
                    shutil.copyfileobj(member, handle)
                try:
                    yield Located(path, archive_sha256, archive, file.name)
                finally:
                    path.unlink()

            names = source_file_names(IsimipOptions.model_validate(ctx.options))
            return clip_published(self, ctx, names, locate, prior=PRIOR, span=(20, 99))


def _members(archive: str) -> dict[str, str]:
    """Map each expected file name to its path in the zip, wherever the zip keeps it.

    The record's zip is believed to hold the files in a folder named like the zip; a
    later record uses ``data/``. Files are therefore found by name in any folder;
    others (``*_exposure.tif`` twins, documents) are ignored.

    Raises:
        SourceError: an expected file is missing or present twice.
    """
    with zipfile.ZipFile(archive) as zipped:
        paths = [info.filename for info in zipped.infolist() if not info.is_dir()]
    expected = set(source_file_names())
    found: dict[str, str] = {}
    for path in paths:
        name = PurePosixPath(path).name
        if name in expected:
            if name in found:
                raise SourceError(
                    f"the publisher's file {_SOURCE.filename} holds {name} twice, so which "
                    "to clip is unclear"
                )
            found[name] = path
    missing = sorted(expected - set(found))
    if missing:
        raise SourceError(
            f"the publisher's file {_SOURCE.filename} lacks {len(missing)} of the "
            f"{len(expected)} expected GeoTIFFs, e.g. {missing[0]}"
        )
    return found
