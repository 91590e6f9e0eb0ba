"""GHS-POP R2022A, epoch 2020, 1 km: the global population grid clipped in Mollweide."""

from __future__ import annotations

from typing import ClassVar

from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import CC_BY_4_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.publishers import JRC, ghsl_citation, ghsl_r2022a
from autopkg.domain.sources import Source
from autopkg.processors.zipped import ZippedRaster

_STEM = "GHS_POP_E2020_GLOBE_R2022A_54009_1000_V1_0"
_SOURCE = Source(
    url=(
        "https://jeodpp.jrc.ec.europa.eu/ftp/jrc-opendata/GHSL/GHS_POP_GLOBE_R2022A/"
        f"GHS_POP_E2020_GLOBE_R2022A_54009_1000/V1-0/{_STEM}.zip"
    ),
    filename=f"{_STEM}.zip",
)
_REFERENCE = ghsl_r2022a(
    "Schiavina M.; Freire S.; MacManus K.",
    url="https://ghsl.jrc.ec.europa.eu/ghs_pop2022.php",
    pid="d6d86a90-4351-4508-99c1-cb074b022c4a",
)


class JrcGhslPopulationProcessor(ZippedRaster):
    """Clip the GHS-POP R2022A 2020 population grid (1 km, Mollweide) to the boundary."""

    metadata = Metadata(
        name="jrc_ghsl_population",
        version="r2022_epoch2020_1km",
        data_group="exposure",
        description=(
            "GHS-POP R2022A: residential population in 2020 on a 1 km grid, clipped to the "
            "boundary as a Cloud Optimized GeoTIFF in World Mollweide (ESRI:54009)."
        ),
        data_author=JRC,
        data_title="GHS-POP R2022A, 2020, 1 km",
        data_title_long=(
            "GHS-POP R2022A - GHS population grid multitemporal (1975-2030), epoch 2020, "
            "1 km, World Mollweide"
        ),
        data_summary=(
            "The Global Human Settlement Layer population grid (**GHS-POP**, release R2022A) "
            "gives the number of residents in each cell. Census population counts are "
            "disaggregated from administrative units to grid cells in proportion to the "
            "built-up volume mapped by the GHSL from satellite imagery.\n\n"
            "This is the 2020 epoch on the **1 km** grid, in the grid's own coordinate "
            "reference system, **World Mollweide (ESRI:54009)**, an equal-area projection: "
            "the output is not reprojected, so each value is the published one. Cells whose "
            "centre is outside the boundary are NoData. A boundary crossing the "
            "antimeridian gives one file for each side (names ending in `east` and `west`)."
        ),
        data_citation=ghsl_citation(
            _REFERENCE,
            title="GHS-POP R2022A - GHS population grid multitemporal (1975-2030)",
            method="Freire S., MacManus K., Pesaresi M., Doxsey-Whitfield E., Mills J. (2016): "
            "Development of new open and free multi-temporal global population grids at 250 m "
            "resolution. Proceedings of the 19th AGILE Conference on Geographic Information "
            "Science.",
        ),
        data_license=CC_BY_4_0,
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_SOURCE,)
    # The zip holds one GeoTIFF of the same stem at its root; other members are documents.
    member = f"{_STEM}.tif"
    # The prior for estimates. JRC documents the CRS (World Mollweide) and the grid,
    # 36082 x 18000 cells of 1000 m from (-18041000, 9000000), but not for this release
    # the pixel type: Float32 people per cell with NoData -200 is assumed (the next
    # release documents Float64). A run clips whatever the file holds, and the clip
    # keeps its NoData. Population is zero or NoData over most of any country, so the
    # cells deflate to about 15 % of their raw bytes.
    prior = SourceFacts(
        "ESRI:54009", north_up(-18_041_000, 9_000_000, 1000), 36082, 18000, "float32",
        nodata=-200,
    )  # fmt: skip
    ratio = 0.15
    title = "GHS-POP R2022A 2020 1 km (Mollweide), clipped"
