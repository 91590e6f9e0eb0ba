"""GHS-BUILT-C R2022A, 2018, 10 m: settlement morphology (MSZ) and function (FUN) clipped.

The global 10 m grids are ~50 GB each unpacked, so only the 1000 km tiles meeting the
boundary are fetched; their mosaic (a VRT over the global grid) is clipped.
"""

from __future__ import annotations

import shutil
import zipfile
from functools import partial
from pathlib import Path
from typing import ClassVar

from affine import Affine

from autopkg.errors import SourceError
from autopkg.processors.base import (
    EstimateContext,
    License,
    Metadata,
    OutputFile,
    Processor,
    RunContext,
    Source,
    Span,
    stage,
)
from autopkg.processors.estimate import Estimate
from autopkg.processors.fetch import cached_digest
from autopkg.processors.mosaic import Cell, TileGrid, write_mosaic
from autopkg.processors.rasters import clip_once, clip_to_cogs, digest_of, observe
from autopkg.processors.sizing import raster_estimate
from autopkg.processors.sourcefacts import SourceFacts

_ROOT = "https://jeodpp.jrc.ec.europa.eu/ftp/jrc-opendata/GHSL/GHS_BUILT_C_GLOBE_R2022A"
PRODUCTS = ("MSZ", "FUN")

#: JRC's tiling of its Mollweide grids [web]: 1000 km cells from (-18041000, 9000000),
#: numbered R1_C1 at the top-left; at 10 m the global grid is 3,608,200 x 1,800,000 px
#: (the 1 km grid's extent) and a tile 100,000 px square, the last column cut short.
GRID = TileGrid(
    crs="ESRI:54009",
    west=-18_041_000.0,
    north=9_000_000.0,
    pixel=10.0,
    width=3_608_200,
    height=1_800_000,
    tile=100_000,
)
# Both products are believed to be classes in one Byte band (MSZ: open space, then
# residential and non-residential built-up by height; NoData 255): the prior of each
# tile, whose facts are read and compared. A tile declaring no NoData gets 255 outside
# the boundary.
_NODATA = 255
# Size estimates: the mosaic's window of the global grid, per product; most 10 m cells
# are open space, so the classes deflate to about a tenth of their bytes.
_MOSAIC = SourceFacts(GRID.crs, GRID.transform, GRID.width, GRID.height, "uint8")
_RATIO = 0.1


def stem(product: str) -> str:
    """The file stem of a product's global zip and GeoTIFF (``MSZ`` or ``FUN``)."""
    return f"GHS_BUILT_C_{product}_E2018_GLOBE_R2022A_54009_10_V1_0"


def tile_source(product: str, cell: Cell) -> Source:
    """The zip of one tile (0-based cell) of a product: ``tiles/<stem>_R<row>_C<col>.zip``.

    Tiles have no published digests (PROCESSORS.md pins only the global files and the
    tile R8_C17, as SHA-1s of the unpacked GeoTIFFs, which a download cannot check).
    """
    folder = (
        f"{_ROOT}/GHS_BUILT_C_{product}_GLOBE_R2022A/"
        f"GHS_BUILT_C_{product}_E2018_GLOBE_R2022A_54009_10/V1-0/tiles"
    )
    name = f"{stem(product)}_R{cell[0] + 1}_C{cell[1] + 1}.zip"
    return Source(url=f"{folder}/{name}", filename=name)


class JrcGhslBuiltCProcessor(Processor):
    """Clip GHS-BUILT-C MSZ and FUN (10 m, Mollweide) from the tiles meeting the boundary."""

    metadata = Metadata(
        name="jrc_ghsl_built_c",
        version="r2022_epoch2018_10m_mszfun",
        description=(
            "GHS-BUILT-C R2022A: settlement characteristics in 2018 on a 10 m grid, the "
            "morphological settlement zone (MSZ) and the functional classification (FUN), "
            "clipped to the boundary as Cloud Optimized GeoTIFFs in World Mollweide "
            "(ESRI:54009)."
        ),
        data_author="European Commission, Joint Research Centre (JRC)",
        data_title="GHS-BUILT-C R2022A, 2018, 10 m (MSZ and FUN)",
        data_title_long=(
            "GHS-BUILT-C R2022A - GHS Settlement Characteristics, derived from Sentinel2 "
            "composite (2018) and other GHS R2022A data, 10 m, World Mollweide"
        ),
        data_summary=(
            "The Global Human Settlement Layer's **settlement characteristics** (GHS-BUILT-C, "
            "release R2022A) classify each 10 m cell of 2018, mapped from a Sentinel-2 "
            "composite: the **morphological settlement zone (MSZ)** tells open spaces from "
            "built-up areas, residential and non-residential, by building height; the "
            "**functional classification (FUN)** tells residential from non-residential "
            "use.\n\n"
            "Each product is published as 1000 km tiles of a global grid in **World "
            "Mollweide (ESRI:54009)**; only the tiles meeting the boundary are fetched and "
            "mosaicked. The output is not reprojected, so each value is the published "
            "class; cells whose centre is outside the boundary are NoData (255). Files "
            "larger than 4 GB are BigTIFF. A boundary crossing the antimeridian gives one "
            "file per product and side (names ending in `east` and `west`)."
        ),
        data_citation=(
            "Pesaresi M., Politis P. (2022): GHS-BUILT-C R2022A - GHS Settlement "
            "Characteristics, derived from Sentinel2 composite (2018) and other GHS R2022A "
            "data. European Commission, Joint Research Centre (JRC). PID: "
            "http://data.europa.eu/89h/dde11594-2a66-4c1b-9a19-821382aed36e, "
            "doi:10.2905/DDE11594-2A66-4C1B-9A19-821382AED36E. Method: Schiavina M., "
            "Melchiorri M., Pesaresi M., et al. (2022): GHSL Data Package 2022, JRC 129516, "
            "ISBN 978-92-76-53071-8, doi:10.2760/19817."
        ),
        data_license=License(
            name="CC-BY-4.0",
            path="https://creativecommons.org/licenses/by/4.0/",
            title=(
                "Creative Commons Attribution 4.0 International; reuse authorised under "
                "Commission Decision 2011/833/EU, (c) European Union 2022"
            ),
        ),
        data_origin_url="https://ghsl.jrc.ec.europa.eu/ghs_buC2022.php",
        data_formats=("GeoTIFF",),
    )
    # The tiles are decided at run time from the boundary (see ``tile_source``).
    sources: ClassVar[tuple[Source, ...]] = ()

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Both products' windows of the global 10 m grid (one file per side of ±180°)."""
        return raster_estimate(_MOSAIC, ctx.boundary.geometry, ratio=_RATIO, files=len(PRODUCTS))

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Per product: fetch the tiles meeting the boundary, mosaic them, clip the mosaic.

        A product an earlier attempt of the run clipped from the same tiles is reused
        without unpacking its tiles again (gigabytes for a large country).
        """
        cells = GRID.cells(ctx.boundary.geometry)
        if not cells:
            raise SourceError(f"boundary {ctx.boundary.name} meets no tile of the GHS-BUILT-C grid")
        share = 99 / len(PRODUCTS)
        outputs: list[OutputFile] = []
        for number, product in enumerate(PRODUCTS):
            start, end = number * share, (number + 1) * share
            middle = (start + end) / 2
            archives = _fetch_tiles(ctx, product, cells, (start, middle))
            name = f"{stem(product)}.tif"
            clip = partial(self._clip_mosaic, ctx, product, archives, span=(middle, end))
            digests = [(archive.name, cached_digest(archive).sha256) for _, archive in archives]
            part = {"name": name, "sub": stem(product).lower(), "nodata": repr(_NODATA)}
            done, _ = clip_once(ctx, source_sha256=digest_of(digests), part=part, clip=clip)
            outputs += done
            ctx.progress(end, f"clipped {name} ({number + 1} of {len(PRODUCTS)})")
        ctx.progress(100, "done")
        return outputs

    def _clip_mosaic(
        self, ctx: RunContext, product: str, archives: list[tuple[Cell, Path]], *, span: Span
    ) -> list[OutputFile]:
        """Unpack a product's tiles, mosaic them (VRT) and clip the mosaic; remove the tiles."""
        folder = ctx.scratch / ".mosaic" / product
        folder.mkdir(parents=True, exist_ok=True)
        try:
            tiles = []
            for cell, archive in archives:
                tif = _unpack(archive, folder)
                prior = _tile_prior(cell)
                observe(self, ctx, tif, name=tif.name, prior=prior, cached=archive, member=tif.name)
                tiles.append((cell, tif, tif.name))
            vrt = write_mosaic(GRID, tiles, folder / f"{stem(product)}.vrt")
            return clip_to_cogs(
                self, ctx, vrt, span=span, sub=stem(product).lower(), nodata=_NODATA,
                title=f"GHS-BUILT-C R2022A {product} 2018 10 m (Mollweide), clipped",
            )  # fmt: skip
        finally:
            shutil.rmtree(folder)


def _tile_prior(cell: Cell) -> SourceFacts:
    """What a tile is believed to be: its cell of the global grid, Byte, NoData 255."""
    col_off, row_off, width, height = GRID.window(cell)
    transform = GRID.transform @ Affine.translation(col_off, row_off)
    return SourceFacts(GRID.crs, transform, width, height, "uint8", nodata=_NODATA)


def _fetch_tiles(
    ctx: RunContext, product: str, cells: list[Cell], span: Span
) -> list[tuple[Cell, Path]]:
    """Fetch a product's tile zips for ``cells``, one share of ``span`` each."""
    share = (span[1] - span[0]) / len(cells)
    archives = []
    for number, cell in enumerate(cells):
        source = tile_source(product, cell)
        start = span[0] + number * share
        task = f"downloading {source.filename} ({number + 1} of {len(cells)})"
        ctx.progress(start, task)
        archives.append((cell, ctx.fetch(source, progress=stage(ctx, start, start + share, task))))
    return archives


def _unpack(archive: Path, folder: Path) -> Path:
    """Copy the tile's GeoTIFF out of its zip into ``folder``; return it.

    The zip holds one GeoTIFF named like the zip at its root; other members are ignored.
    Reading a deflated member in place would inflate it from the start again for each
    block the clip reads, so it is copied out, block-wise, once.

    Raises:
        SourceError: the zip does not hold exactly one such GeoTIFF.
    """
    wanted = archive.name.removesuffix(".zip") + ".tif"
    with zipfile.ZipFile(archive) as zipped:
        names = [n for n in zipped.namelist() if n.lower().endswith((".tif", ".tiff"))]
        if wanted not in names:
            raise SourceError(f"{archive.name} holds no {wanted} (GeoTIFFs found: {names})")
        target = folder / wanted
        with zipped.open(wanted) as member, target.open("wb") as handle:
            shutil.copyfileobj(member, handle, 1 << 20)
    return target
