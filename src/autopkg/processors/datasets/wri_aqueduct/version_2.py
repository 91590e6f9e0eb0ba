"""Aqueduct Floods v2: the riverine and coastal inundation GeoTIFFs WRI's listing names."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import CC_BY_4_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.reference import Reference, authors
from autopkg.domain.sources import RasterPrior, Source, SourceSet
from autopkg.errors import SourceError
from autopkg.processors.base import EstimateContext, IndexContext, Processor, RunContext
from autopkg.processors.options import Selections, every
from autopkg.processors.rasters import clip_published, fetch_each
from autopkg.processors.sizing import files_estimate

_FOLDER = "http://wri-projects.s3.amazonaws.com/AqueductFloodTool/download/v2"
LISTING = Source(url=f"{_FOLDER}/index.html", filename="index.html")

#: Variants left out, as the publisher's other tools do: the 5th and 50th sea-level
#: percentiles of the coastal maps (the 95th is kept) and coastal maps without
#: subsidence. A name containing any of these is skipped.
SKIPPED = ("perc_05", "perc_50", "nosub")

# A file name the listing may name: one dot, a .tif suffix, nothing that could leave
# the folder (names with more dots, such as x.tif.aux.xml, are not rasters).
_TIF_NAME = re.compile(r"[A-Za-z0-9_-]+\.tif")
# The prior for estimates, until a run has read a file: WRI says "1 km grid squares"
# (30", EPSG:4326), so a global grid of 43200 x 21600 cells from (-180, 90) of Float32
# depths in metres with NoData -9999, as a published riverine file has. The coastal
# files' extent is not documented; each file is clipped on its own grid. Depths are
# zero or NoData over most cells, so they deflate to about a twentieth.
PRIOR = SourceFacts("EPSG:4326", north_up(-180, 90, 1 / 120), 43200, 21600, "float32", nodata=-9999)
_RATIO = 0.05

Hazard = Literal["riverine", "coastal"]
Scenario = Literal["historical", "rcp4p5", "rcp8p5"]
Year = Literal["baseline", "2030", "2050", "2080"]
_RETURN_PERIODS = (1.5, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0)
# The file-name grammars (docs/sources.md): riverine return periods are five digits,
# coastal ones four and a decimal (rp0001_5 is 1.5 years); the baseline year is 1980
# for riverine maps and "hist" for coastal ones.
_RIVERINE = re.compile(r"inunriver_([a-z0-9]+)_[A-Za-z0-9-]+_(\d{4})_rp(\d{5})\.tif")
_COASTAL = re.compile(
    r"inuncoast_([a-z0-9]+)_[a-z]+_(hist|\d{4})_rp(\d{4})_(\d)(?:_perc_\d+)?\.tif"
)
_BASELINES = ("1980", "hist")
_REFERENCE = Reference(
    authors=authors(
        "Ward P.J.; Winsemius H.C.; Kuzma S.; Bierkens M.F.P.; Bouwman A.; de Moel H.; "
        "Díaz Loaiza A."
    ),
    et_al=True,
    year=2020,
    version="2",
    url="https://www.wri.org/data/aqueduct-floods-hazard-maps",
    publisher="World Resources Institute",
)


class AqueductOptions(Selections):
    """Which of the listed maps to clip; each list keeps the maps matching one of its values."""

    hazards: tuple[Hazard, ...] = every(Hazard, "`riverine` and/or `coastal`.")
    scenarios: tuple[Scenario, ...] = every(
        Scenario, "`historical`, `rcp4p5` (RCP4.5) or `rcp8p5` (RCP8.5)."
    )
    years: tuple[Year, ...] = every(
        Year, "`baseline` (1980 riverine, today coastal), 2030, 2050 or 2080."
    )
    return_periods: tuple[float, ...] = Field(
        _RETURN_PERIODS,
        description="Return periods in years: 1.5 (coastal only), 2, 5, 10, 25, 50, 100, "
        "250, 500, 1000.",
    )

    def selects(self, name: str) -> bool:
        """Whether the listed file ``name`` is one of the maps these options choose.

        With every default, every listed name is kept, even one outside the grammars.
        """
        if self == AqueductOptions():
            return True
        river, coast = _RIVERINE.fullmatch(name), _COASTAL.fullmatch(name)
        if river:
            hazard, scenario, year = "riverine", river[1], river[2]
            period = float(int(river[3]))
        elif coast:
            hazard, scenario, year = "coastal", coast[1], coast[2]
            period = int(coast[3]) + int(coast[4]) / 10
        else:
            return False
        return (
            hazard in self.hazards
            and scenario in self.scenarios
            and ("baseline" if year in _BASELINES else year) in self.years
            and period in self.return_periods
        )


class _TextNodes(HTMLParser):
    """Collects the text nodes of an HTML page, stripped, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append(data.strip())


def listed_files(html: str) -> list[str]:
    """The GeoTIFFs an Aqueduct listing names, skipped variants left out, in listing order.

    A file is named by a text node of the page (the link text); a name listed twice is
    taken once.
    """
    parser = _TextNodes()
    parser.feed(html)
    parser.close()
    names = [text for text in parser.texts if _TIF_NAME.fullmatch(text)]
    return [
        name for name in dict.fromkeys(names) if not any(variant in name for variant in SKIPPED)
    ]


def _read_listing(listing: Path) -> list[str]:
    """The GeoTIFFs the fetched listing names (see :func:`listed_files`)."""
    return listed_files(listing.read_text(encoding="utf-8", errors="replace"))


def file_source(name: str) -> Source:
    """Where WRI serves one listed GeoTIFF: beside the listing."""
    return Source(url=f"{_FOLDER}/{name}", filename=name)


class WriAqueductProcessor(Processor):
    """Clip every Aqueduct Floods v2 GeoTIFF the listing names, skipped variants aside."""

    metadata = Metadata(
        name="wri_aqueduct",
        version="version_2",
        data_group="hazards",
        description=(
            "WRI Aqueduct Floods v2: riverine and coastal inundation depths for return "
            "periods of 2 to 1,000 years, today and in 2030, 2050 and 2080 under RCP4.5 "
            "and RCP8.5, one Cloud Optimized GeoTIFF per published map (379 as listed), "
            "clipped to the boundary."
        ),
        data_author="World Resources Institute (WRI); Ward P.J., Winsemius H.C., et al.",
        data_title="Aqueduct Floods hazard maps v2",
        data_title_long="Aqueduct Flood Hazard Maps (Version 2, updated October 20, 2020)",
        data_summary=(
            "**Inundation depth** (m) in each 30″ (about 1 km) cell for floods of a given "
            "return period, from WRI's Aqueduct Floods.\n\n"
            "- **Riverine** (`inunriver_…`): return periods 2 to 1,000 years; the "
            "historical baseline (WATCH, 1980) and 2030, 2050, 2080 under RCP4.5 and "
            "RCP8.5, each driven by five climate models (NorESM1-M, GFDL-ESM2M, "
            "HadGEM2-ES, IPSL-CM5A-LR, MIROC-ESM-CHEM).\n"
            "- **Coastal** (`inuncoast_…`): return periods 1.5 to 1,000 years, with land "
            "subsidence, for the historical baseline and 2030, 2050, 2080 under RCP4.5 "
            "and RCP8.5 at the 95th percentile of sea-level rise. The 5th and 50th "
            "percentile maps and the maps without subsidence are left out.\n\n"
            "One file per published GeoTIFF, named after it (lower-cased); grids are "
            "EPSG:4326, cells outside the boundary are NoData."
        ),
        data_citation=_REFERENCE.cite(
            "Aqueduct Floods Methodology. Technical Note. Washington, D.C.: World Resources "
            "Institute. www.wri.org/publication/aqueduct-floods-methodology"
        ),
        data_license=CC_BY_4_0,
        data_reference=_REFERENCE,
    )
    # The GeoTIFFs are the ones the listing names when the run starts.
    sources: ClassVar[tuple[Source, ...]] = (LISTING,)
    options_model = AqueductOptions

    def list_sources(self, ctx: IndexContext) -> SourceSet:
        """The listing, and every GeoTIFF it names that a run may clip."""
        listing = ctx.fetch(LISTING)
        names = _read_listing(listing)
        return SourceSet(indexes=(LISTING,), listed=tuple(file_source(name) for name in names))

    def raster_prior(self, source: Source) -> RasterPrior | None:
        """Every listed GeoTIFF is believed to be on the 30" grid of the estimates."""
        return RasterPrior(PRIOR) if source != LISTING else None

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The boundary's window of each listed map the options select, on its grid.

        A map's grid is the one a run last read from it, else the 30" prior. The listing
        (about 100 KB) is fetched into the source cache, where the run then finds it.
        """
        listing = ctx.fetch(LISTING)
        options = AqueductOptions.model_validate(ctx.options)
        names = _read_listing(listing)
        chosen = [(file_source(name), "") for name in names if options.selects(name)]
        return files_estimate(ctx, chosen, PRIOR, ratio=_RATIO)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the listing, then fetch and clip each GeoTIFF it names in turn."""
        listing = self.fetch(ctx, LISTING, span=(0, 1))
        names = _read_listing(listing)
        if not names:
            raise SourceError(f"the publisher's listing {LISTING.url} names no GeoTIFF")
        options = AqueductOptions.model_validate(ctx.options)
        names = [name for name in names if options.selects(name)]
        if not names:
            raise SourceError(f"the options select none of the maps {LISTING.url} names")
        locate = fetch_each(self, ctx, file_source)
        return clip_published(self, ctx, names, locate, prior=PRIOR, span=(1, 99), locate_share=0.5)
