"""Gridfinder: the predicted power grid (lines) and its two rasters, clipped to the boundary."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import ClassVar

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import CC_BY_4_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.publishers import ZenodoRecord
from autopkg.domain.sources import RasterPrior, Source
from autopkg.processors.base import EstimateContext, Processor, RunContext
from autopkg.processors.fetch import cached_digest
from autopkg.processors.rasters import (
    RasterFile,
    attempt,
    clip_file,
    clip_once,
    fetched,
    require_some,
)
from autopkg.processors.sizing import known_facts, raster_estimate, vector_estimate
from autopkg.processors.vectors import read_layer_info, require_lines

_RECORD = ZenodoRecord(3628142)
_GRID = _RECORD.file("grid.gpkg")
_TARGETS = _RECORD.file("targets.tif")
_LV = _RECORD.file("lv.tif")
_REFERENCE = _RECORD.reference("Arderne C.; Nicolas C.; Zorn C.; Koks E.E.", 2020, version="1.1.1")
_GRID_LAYER = "grid"
# The record documents the GeoPackage (layer "grid", lines in EPSG:4326) but not the
# rasters; a run clips whatever grid, type and NoData each file has, and these priors
# only size estimates until a run has read the files. targets.tif, a 0/1 mask, is
# taken as Byte in EPSG:4326, global at 30" (43200 x 21600 from (-180, 90)); the
# evidence points to 15" merged from country pieces, so probably not global. lv.tif,
# the predicted low-voltage line length per cell, as Float32 in World Mollweide
# (ESRI:54009) on GHS-POP's 1 km grid (36082 x 18000 from (-18041000, 9000000)); the
# evidence points to the 250 m grid. A source without a NoData value gets 255 outside
# the boundary for targets (0, "not a target", stays data; a float file keeps 255 too)
# and NaN for lv. A 0/1 mask deflates to about a tenth of its bytes, line lengths (zero
# over most cells) to about a fifth.
TARGETS_PRIOR = SourceFacts("EPSG:4326", north_up(-180, 90, 1 / 120), 43200, 21600, "uint8")
LV_PRIOR = SourceFacts(
    "ESRI:54009", north_up(-18_041_000, 9_000_000, 1000), 36082, 18000, "float32"
)
_TARGETS_NODATA = 255
_TARGETS_RATIO = 0.1
_LV_RATIO = 0.2
# The grid lines: about 1.1 million lines worldwide [?, gridfinder's paper maps about
# 1.5 million km of MV lines], about 250 bytes each (a few vertices, one short field).
_GRID_LINES = 1_100_000
_BYTES_PER_LINE = 250


class GridfinderProcessor(Processor):
    """Clip gridfinder's grid lines, electrification targets and LV estimate to the boundary."""

    metadata = Metadata(
        name="gridfinder",
        version="version_1",
        data_group="infrastructure",
        description=(
            "Gridfinder: predicted medium-voltage power lines (GeoPackage, cut to the "
            "boundary), grid-connected target cells and low-voltage line length (Cloud "
            "Optimized GeoTIFFs)."
        ),
        data_title="Gridfinder",
        data_title_long=(
            "Gridfinder: predictive mapping of the global power system using open data "
            "(grid, targets and LV, v1.1.1)"
        ),
        data_summary=(
            "Gridfinder maps the world's electricity network from open data: night-time "
            "lights locate the places likely to be electrified (**targets**), and an "
            "algorithm connects them along roads and known power lines from OpenStreetMap "
            "to predict the medium-voltage **grid**. A model of the local distribution "
            "network estimates the length of **low-voltage (LV)** lines in each cell.\n\n"
            "Three files per boundary:\n\n"
            "- `grid`: the grid lines (GeoPackage, EPSG:4326), cut to the boundary, with "
            "their `source` (`gridfinder` for predicted lines, `openstreetmap` for mapped "
            "ones);\n"
            "- `targets`: 1 where a cell is predicted to be grid-connected, 0 where not "
            "(GeoTIFF, EPSG:4326);\n"
            "- `lv`: predicted low-voltage line length per cell (GeoTIFF, World Mollweide "
            "ESRI:54009; across the antimeridian one file per side).\n\n"
            "Rasters keep their source grid; cells whose centre is outside the boundary "
            "are NoData."
        ),
        data_citation=_REFERENCE.cite(
            "Data from: Predictive mapping of the global power system using open data "
            f"(v1.1.1). Zenodo, doi:{_REFERENCE.doi}. Paper: Arderne C., Zorn C., Nicolas C., "
            "Koks E.E. (2020): Predictive mapping of the global power system using open data. "
            "Scientific Data 7, 19, doi:10.1038/s41597-019-0347-4"
        ),
        data_license=CC_BY_4_0,
        data_formats=("GeoPackage", "GeoTIFF"),
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_GRID, _TARGETS, _LV)

    raster_priors = {_TARGETS: RasterPrior(TARGETS_PRIOR), _LV: RasterPrior(LV_PRIOR)}

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The grid lines by land share, and both rasters' windows of the grids last seen."""
        geometry = ctx.boundary.geometry
        return (
            vector_estimate(
                geometry, global_features=_GRID_LINES, bytes_per_feature=_BYTES_PER_LINE
            )
            + raster_estimate(
                known_facts(ctx, _TARGETS, TARGETS_PRIOR), geometry, ratio=_TARGETS_RATIO
            )
            + raster_estimate(known_facts(ctx, _LV, LV_PRIOR), geometry, ratio=_LV_RATIO)
        )

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the three files one by one, clip each, return a GeoPackage and the COGs.

        Each raster is clipped on the grid read from it. A file that cannot be read is
        left out with its reason and the others are still made; a file an earlier
        attempt of the run clipped from the same bytes is reused.
        """
        grid = self.fetch(ctx, _GRID, span=(0, 15))
        outputs = attempt(ctx, _GRID.filename, partial(self._clip_lines, ctx, grid)) or []
        rasters = (
            (_TARGETS, TARGETS_PRIOR, "targets", "targets (grid-connected cells)", (40, 70)),
            (_LV, LV_PRIOR, "lv", "low-voltage line length", (70, 99)),
        )
        for source, prior, sub, what, (start, end) in rasters:
            path = self.fetch(ctx, source, span=(start, (start + end) / 2))
            file = RasterFile(source.filename, sub=sub, title=f"Gridfinder {what}, clipped")
            made = attempt(
                ctx, file.name, partial(
                    clip_file, self, ctx, file, fetched(path), prior=prior,
                    span=((start + end) / 2, end),
                    nodata=_TARGETS_NODATA if sub == "targets" else None,
                ),
            )  # fmt: skip
            outputs += made[0] if made else []
        ctx.progress(100, "done")
        return require_some(ctx, outputs, len(self.sources))

    def _clip_lines(self, ctx: RunContext, grid: Path) -> list[OutputFile]:
        """The grid lines cut to the boundary, or those an earlier attempt cut."""
        layer = f"layer {_GRID_LAYER!r}"
        info = read_layer_info(str(grid), filename=_GRID.filename, member=layer, layer=_GRID_LAYER)
        require_lines(info, filename=_GRID.filename, member=layer)

        def clip_grid() -> list[OutputFile]:
            title = "Gridfinder grid lines, clipped"
            return [
                self.clip_to_geopackage(
                    ctx, grid, title=title, span=(15, 40), sub="grid", layer=_GRID_LAYER
                )
            ]

        digest = cached_digest(grid).sha256
        return clip_once(ctx, source_sha256=digest, part={"sub": "grid"}, clip=clip_grid)[0]
