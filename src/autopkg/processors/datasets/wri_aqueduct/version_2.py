"""Aqueduct Floods v2: the riverine and coastal inundation GeoTIFFs WRI's listing names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import ClassVar

from autopkg.errors import SourceError
from autopkg.processors.base import (
    License,
    Metadata,
    OutputFile,
    Processor,
    RunContext,
    Source,
    Span,
)
from autopkg.processors.rasters import Located, RasterFacts, RasterFile, clip_each, fetched

_FOLDER = "http://wri-projects.s3.amazonaws.com/AqueductFloodTool/download/v2"
LISTING = Source(url=f"{_FOLDER}/index.html", filename="index.html")

#: Variants left out, as the publisher's other tools do: the 5th and 50th sea-level
#: percentiles of the coastal maps (the 95th is kept) and coastal maps without
#: subsidence. A name containing any of these is skipped.
SKIPPED = ("perc_05", "perc_50", "nosub")

# A file name the listing may name: one dot, a .tif suffix, nothing that could leave
# the folder (names with more dots, such as x.tif.aux.xml, are not rasters).
_TIF_NAME = re.compile(r"[A-Za-z0-9_-]+\.tif")
# WRI says "1 km grid squares" (30", EPSG:4326); the pixel type is not documented:
# Float32 inundation depths in metres are assumed, and checked on every file.
_FACTS = RasterFacts(crs="EPSG:4326", dtype="float32")


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


def file_source(name: str) -> Source:
    """Where WRI serves one listed GeoTIFF: beside the listing."""
    return Source(url=f"{_FOLDER}/{name}", filename=name)


class WriAqueductProcessor(Processor):
    """Clip every Aqueduct Floods v2 GeoTIFF the listing names, skipped variants aside."""

    metadata = Metadata(
        name="wri_aqueduct",
        version="version_2",
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
        data_citation=(
            "Ward P.J., Winsemius H.C., Kuzma S., Bierkens M.F.P., Bouwman A., de Moel H., "
            "Díaz Loaiza A., et al. (2020): Aqueduct Floods Methodology. Technical Note. "
            "Washington, D.C.: World Resources Institute. "
            "www.wri.org/publication/aqueduct-floods-methodology"
        ),
        data_license=License(
            name="CC-BY-4.0",
            path="https://creativecommons.org/licenses/by/4.0/",
            title="Creative Commons Attribution 4.0 International",
        ),
        data_origin_url="https://www.wri.org/data/aqueduct-floods-hazard-maps",
        data_formats=("GeoTIFF",),
    )
    # The GeoTIFFs are the ones the listing names when the run starts.
    sources: ClassVar[tuple[Source, ...]] = (LISTING,)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the listing, then fetch and clip each GeoTIFF it names in turn."""
        listing = self.fetch(ctx, LISTING, span=(0, 1))
        names = listed_files(listing.read_text(encoding="utf-8", errors="replace"))
        if not names:
            raise SourceError(f"the Aqueduct listing {LISTING.url} names no GeoTIFF")
        files = [
            RasterFile(name, sub=name.removesuffix(".tif").lower(), title=f"{name}, clipped")
            for name in names
        ]

        @contextmanager
        def locate(file: RasterFile, span: Span) -> Iterator[Located]:
            yield fetched(self.fetch(ctx, file_source(file.name), span=span))

        outputs = clip_each(self, ctx, files, locate, facts=_FACTS, span=(1, 99), locate_share=0.5)
        ctx.progress(100, "done")
        return outputs
