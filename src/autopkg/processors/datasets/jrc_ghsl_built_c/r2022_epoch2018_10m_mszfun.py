"""GHS-BUILT-C R2022A, 2018, 10 m: settlement morphology (MSZ) and function (FUN) clipped.

The global 10 m grids are ~50 GB each unpacked, so only the 1000 km tiles meeting the
boundary are fetched, as JRC's tile schema lists them; their mosaic (a VRT) is clipped.
What the tiles hold (pixel size, type, NoData) is read from them: the facts below are
priors, and a tile that differs is logged and clipped as it is.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from functools import partial
from pathlib import Path
from typing import ClassVar

from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts, SourceRead, north_up
from autopkg.domain.licences import CC_BY_4_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.publishers import JRC, ghsl_citation, ghsl_r2022a
from autopkg.domain.sources import Source, SourceSet
from autopkg.errors import SourceError
from autopkg.processors.base import (
    EstimateContext,
    IndexContext,
    Processor,
    RunContext,
    Span,
    stage,
)
from autopkg.processors.fetch import SourceNotFoundError, cached_digest
from autopkg.processors.mosaic import Pixels, write_mosaic
from autopkg.processors.rasters import clip_once, digest_of
from autopkg.processors.sizing import raster_estimate
from autopkg.processors.sourcefacts import read_facts, remember
from autopkg.processors.tileschema import Tile, TileSchema, read_schema, regular_schema

log = logging.getLogger(__name__)

_ROOT = "https://jeodpp.jrc.ec.europa.eu/ftp/jrc-opendata/GHSL/GHS_BUILT_C_GLOBE_R2022A"
PRODUCTS = ("MSZ", "FUN")

#: JRC's list of the tiles of its Mollweide grids that exist (land only), a zipped
#: shapefile with one row per tile: ``tile_id`` (``R8_C17``) and its bounds in metres.
SCHEMA = Source(
    url="https://ghsl.jrc.ec.europa.eu/download/GHSL_data_54009_shapefile.zip",
    filename="GHSL_data_54009_shapefile.zip",
)
SCHEMA_LAYER = "GHSL2_0_MWD_L1_tile_schema_land"
#: The grid the schema describes, for when it cannot be fetched: 18 rows x 36 columns
#: of 1000 km from (-18,041,000, 9,000,000), the last column 1,082 km wide.
COMPUTED = regular_schema(
    "ESRI:54009", west=-18_041_000.0, north=9_000_000.0, size=1_000_000.0,
    rows=18, columns=36, east=18_041_000.0,
)  # fmt: skip
#: What the tiles are believed to hold: classes in one Byte band, NoData 255, on the
#: 10 m lattice through the grid's corner. Documented for the next release only, so
#: every mosaic is compared with it and a difference is logged, never refused. A tile
#: declaring no NoData gets 255 outside the boundary.
PRIOR = Pixels(
    crs="ESRI:54009", dtype="uint8", count=1, nodata=255,
    size=(10.0, 10.0), origin=(-18_041_000.0, 9_000_000.0),
)  # fmt: skip
_REFERENCE = ghsl_r2022a(
    "Pesaresi M.; Politis P.",
    url="https://ghsl.jrc.ec.europa.eu/ghs_buC2022.php",
    pid="dde11594-2a66-4c1b-9a19-821382aed36e",
)
# Size estimates: most 10 m cells are open space, so the classes deflate to about a
# tenth of their bytes.
_RATIO = 0.1


def stem(product: str) -> str:
    """The file stem of a product's global zip and GeoTIFF (``MSZ`` or ``FUN``)."""
    return f"GHS_BUILT_C_{product}_E2018_GLOBE_R2022A_54009_10_V1_0"


def tile_source(product: str, tile_id: str) -> Source:
    """The zip of one tile (``R8_C17``) of a product: ``tiles/<stem>_<tile id>.zip``.

    Tiles have no published digests (the SHA-1s known, of the global files and the tile
    R8_C17, are of the unpacked GeoTIFFs, which a download cannot check).
    """
    folder = (
        f"{_ROOT}/GHS_BUILT_C_{product}_GLOBE_R2022A/"
        f"GHS_BUILT_C_{product}_E2018_GLOBE_R2022A_54009_10/V1-0/tiles"
    )
    name = f"{stem(product)}_{tile_id}.zip"
    return Source(url=f"{folder}/{name}", filename=name)


def _mosaic_grid(schema: TileSchema) -> SourceFacts:
    """The prior's 10 m grid over the schema's tiles and the computed grid together."""
    west, south, east, north = _extent(schema)
    step = PRIOR.size[0]
    return SourceFacts(
        schema.crs, north_up(west, north, step),
        round((east - west) / step), round((north - south) / step), PRIOR.dtype,
    )  # fmt: skip


def _extent(schema: TileSchema) -> tuple[float, float, float, float]:
    # The computed grid's extent too, so an output's window never depends on which
    # tiles the schema lists.
    mine, whole = schema.bounds(), COMPUTED.bounds()
    return (
        min(mine[0], whole[0]), min(mine[1], whole[1]),
        max(mine[2], whole[2]), max(mine[3], whole[3]),
    )  # fmt: skip


class JrcGhslBuiltCProcessor(Processor):
    """Clip GHS-BUILT-C MSZ and FUN (10 m, Mollweide) from the tiles meeting the boundary."""

    metadata = Metadata(
        name="jrc_ghsl_built_c",
        version="r2022_epoch2018_10m_mszfun",
        data_group="exposure",
        description=(
            "GHS-BUILT-C R2022A: settlement characteristics in 2018 on a 10 m grid, the "
            "morphological settlement zone (MSZ) and the functional classification (FUN), "
            "clipped to the boundary as Cloud Optimized GeoTIFFs in World Mollweide "
            "(ESRI:54009)."
        ),
        data_author=JRC,
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
            "Mollweide (ESRI:54009)**; only the tiles meeting the boundary, as JRC's tile "
            "schema lists them, are fetched and mosaicked (where the publisher has no tile, "
            "over the sea, cells are NoData). The output is not reprojected, so each value "
            "is the published class; cells whose centre is outside the boundary are NoData "
            "(255 unless the tiles declare another value). Files "
            "larger than 4 GB are BigTIFF. A boundary crossing the antimeridian gives one "
            "file per product and side (names ending in `east` and `west`)."
        ),
        data_citation=ghsl_citation(
            _REFERENCE,
            title="GHS-BUILT-C R2022A - GHS Settlement Characteristics, derived from Sentinel2 "
            "composite (2018) and other GHS R2022A data",
            method="Schiavina M., Melchiorri M., Pesaresi M., et al. (2022): GHSL Data Package "
            "2022, JRC 129516, ISBN 978-92-76-53071-8, doi:10.2760/19817.",
        ),
        data_license=CC_BY_4_0,
        data_reference=_REFERENCE,
    )
    # The tiles are decided at run time from the boundary and the schema.
    sources: ClassVar[tuple[Source, ...]] = ()

    def list_sources(self, ctx: IndexContext) -> SourceSet:
        """The tile schema, and both products' tile of every cell it lists."""
        schema = read_schema(ctx.fetch(SCHEMA), SCHEMA_LAYER)
        tiles = tuple(tile_source(p, tile.id) for p in PRODUCTS for tile in schema.tiles)
        return SourceSet(indexes=(SCHEMA,), listed=tiles, may_be_absent=True)

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Both products' windows of their grid (one file per side of ±180°).

        A product's grid is the one a run last read from its tiles (kept beside the
        cached schema), else the prior's 10 m grid over the cached tile schema, else over
        the computed one; nothing is fetched for an estimate.
        """
        cached = ctx.cached(SCHEMA)
        schema = COMPUTED
        if cached is not None:
            try:
                schema = read_schema(cached, SCHEMA_LAYER)
            except SourceError as exc:
                log.warning("%s: %s; estimating on the computed grid", self.metadata.id, exc)
        total = Estimate(bytes=0, files=0, pixels=0)
        for product in PRODUCTS:
            grid = ctx.last_seen(SCHEMA, product) or _mosaic_grid(schema)
            total += raster_estimate(grid, ctx.boundary.geometry, ratio=_RATIO, files=1)
        return total

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Per product: fetch the tiles meeting the boundary, mosaic them, clip the mosaic.

        A tile the publisher does not have (HTTP 404: the sea) reads as NoData and is
        listed as missing in the run's sources; any other failure to fetch one fails
        the run. A product an earlier attempt of the run clipped from the same tiles is
        reused without unpacking its tiles again (gigabytes for a large country).
        """
        ctx.progress(0, f"downloading {SCHEMA.filename}")
        schema, schema_file = self._schema(ctx)
        tiles = schema.meeting(ctx.boundary.geometry)
        share = 98 / len(PRODUCTS)
        outputs: list[OutputFile] = []
        for number, product in enumerate(PRODUCTS):
            start, end = 1 + number * share, 1 + (number + 1) * share
            middle = (start + end) / 2
            archives = _fetch_tiles(ctx, product, tiles, (start, middle))
            name = f"{stem(product)}.tif"
            clip = partial(
                self._clip_mosaic,
                ctx,
                product,
                archives,
                _extent(schema),
                schema_file=schema_file,
                span=(middle, end),
            )
            digests = [
                (tile.id, "missing" if archive is None else cached_digest(archive).sha256)
                for tile, archive in archives
            ]
            part = {"name": name, "sub": stem(product).lower(), "nodata": repr(PRIOR.nodata)}
            done, _ = clip_once(ctx, source_sha256=digest_of(digests), part=part, clip=clip)
            outputs += done
            ctx.progress(end, f"clipped {name} ({number + 1} of {len(PRODUCTS)})")
        ctx.progress(100, "done")
        return outputs

    def _schema(self, ctx: RunContext) -> tuple[TileSchema, Path | None]:
        """JRC's tile schema and its cached file; the computed grid (no file) if it cannot be."""
        try:
            cached = ctx.fetch(SCHEMA)
            return read_schema(cached, SCHEMA_LAYER), cached
        except SourceError as exc:
            log.warning(
                "%s: the tile schema cannot be used (%s); fetching the tiles of the "
                "computed grid instead",
                self.metadata.id,
                exc,
            )
            return COMPUTED, None

    def _clip_mosaic(
        self,
        ctx: RunContext,
        product: str,
        archives: list[tuple[Tile, Path | None]],
        extent: tuple[float, float, float, float],
        *,
        schema_file: Path | None,
        span: Span,
    ) -> list[OutputFile]:
        """Unpack a product's tiles, mosaic them (VRT) and clip the mosaic; remove the tiles.

        The mosaic's facts go to the run's provenance and, beside the cached schema (the
        product as its member), to the next estimate.
        """
        folder = ctx.scratch / ".mosaic" / product
        folder.mkdir(parents=True, exist_ok=True)
        try:
            tiles = []
            for _, archive in archives:
                if archive is not None:
                    tif = _unpack(archive, folder)
                    tiles.append((tif, tif.name))
            vrt = folder / f"{stem(product)}.vrt"
            pixels = write_mosaic(tiles, extent, vrt, empty=PRIOR)
            differences = pixels.differences(PRIOR) if tiles else []
            if differences:
                log.warning(
                    "%s: the tiles of %s differ from what the processor assumed: %s; "
                    "clipped as they are",
                    self.metadata.id, stem(product), "; ".join(differences),
                )  # fmt: skip
            if tiles:
                facts = read_facts(vrt, name=f"{stem(product)} tiles")
                ctx.note_source(SourceRead(f"{stem(product)} tiles", facts, tuple(differences)))
                if schema_file is not None:
                    remember(schema_file, product, facts)
            return self.clip_to_cogs(
                ctx, vrt, span=span, sub=stem(product).lower(), nodata=PRIOR.nodata,
                title=f"GHS-BUILT-C R2022A {product} 2018 10 m (Mollweide), clipped",
            )  # fmt: skip
        finally:
            shutil.rmtree(folder)


def _fetch_tiles(
    ctx: RunContext, product: str, tiles: list[Tile], span: Span
) -> list[tuple[Tile, Path | None]]:
    """Fetch a product's tile zips, one share of ``span`` each; ``None`` where none exists."""
    share = (span[1] - span[0]) / max(len(tiles), 1)
    archives: list[tuple[Tile, Path | None]] = []
    for number, tile in enumerate(tiles):
        source = tile_source(product, tile.id)
        start = span[0] + number * share
        task = f"downloading {source.filename} ({number + 1} of {len(tiles)})"
        ctx.progress(start, task)
        try:
            archive: Path | None = ctx.fetch(
                source, progress=stage(ctx, start, start + share, task)
            )
        except SourceNotFoundError:
            log.info("no tile %s at the publisher: its pixels read as NoData", source.filename)
            archive = None
        archives.append((tile, archive))
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
