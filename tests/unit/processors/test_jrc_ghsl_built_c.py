"""jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun: the tiles JRC's schema lists, mosaicked.

Every output is compared, pixel for pixel, with a reference clip made here from the
tiles as the mirror serves them (rasterio windows, the boundary rasterised by centre).
"""

from __future__ import annotations

import logging
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import geometry_mask
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from autopkg.clip.geometry import DENSIFY_DEGREES
from autopkg.clip.raster import clip_raster
from autopkg.domain.boundary import Boundary
from autopkg.domain.outputs import OutputFile
from autopkg.errors import SourceError
from autopkg.packaging.provenance import processor_entry
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.context import LocalEstimateContext
from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    COMPUTED,
    PRIOR,
    PRODUCTS,
    SCHEMA,
    SCHEMA_LAYER,
    JrcGhslBuiltCProcessor,
    stem,
    tile_source,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.mosaic import write_mosaic
from autopkg.processors.tileschema import read_schema
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.standin_tiles import (
    DOCUMENTED,
    DRIFTED,
    MET_TILES,
    UNMET_TILES,
    TileVariant,
    areas,
    make_built_c_tiles,
)
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "jrc_ghsl_built_c-r2022_epoch2018_10m_mszfun"
AREAS = areas()
#: The areas small enough to clip at 10 m in a test (Fiji is 1.4 Gpx a side there).
SMALL = ("corner", "dateline", "equator")
LOGGER = "autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun"
_TO_MOLLWEIDE = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror folder of the documented variant, with data over the small areas."""
    root = tmp_path_factory.mktemp("built-c-documented")
    return make_built_c_tiles(root, [AREAS[name] for name in SMALL])


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror folder of the drifted variant (2 km uint16 tiles, land-only schema)."""
    return make_built_c_tiles(tmp_path_factory.mktemp("built-c-drifted"), [], DRIFTED)


def reference_clip(
    output: Path, root: Path, product: str, tile_ids: tuple[str, ...], geometry: BaseGeometry
) -> np.ndarray:
    """What ``output`` must hold: the served tiles' pixels on its grid, centres inside kept.

    Tiles missing at the mirror read as the output's NoData. The boundary (lon/lat) is
    densified as the clip documents and projected to Mollweide.
    """
    with rasterio.open(output) as out:
        transform, height, width = out.transform, out.height, out.width
        nodata, dtype = out.nodata, out.dtypes[0]
    expected = np.full((height, width), nodata, dtype=dtype)
    for tile_id in tile_ids:
        zipped = root / mirror_relpath(tile_source(product, tile_id).url)
        if not zipped.exists():
            continue
        member = zipped.name.replace(".zip", ".tif")
        with rasterio.open(f"/vsizip/{zipped}/{member}") as tile:
            assert tile.transform.a == transform.a, "the output keeps the tiles' pixels"
            col_off = round((transform.c - tile.transform.c) / transform.a)
            row_off = round((tile.transform.f - transform.f) / transform.a)
            r0, r1 = max(0, row_off), min(tile.height, row_off + height)
            c0, c1 = max(0, col_off), min(tile.width, col_off + width)
            if r0 < r1 and c0 < c1:
                expected[r0 - row_off : r1 - row_off, c0 - col_off : c1 - col_off] = tile.read(
                    1, window=Window(c0, r0, c1 - c0, r1 - r0)
                )

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_MOLLWEIDE.transform(coords[:, 0], coords[:, 1]))

    local = shapely.transform(shapely.segmentize(geometry, DENSIFY_DEGREES), project)
    inside = geometry_mask([local], out_shape=(height, width), transform=transform, invert=True)
    assert inside.any()
    # The window is the pixel centres within some part's bounds (the clip's crop).
    spans = []
    for part in getattr(local, "geoms", [local]):
        west, south, east, north = part.bounds
        cols = (
            math.ceil((west - transform.c) / transform.a - 0.5),
            math.floor((east - transform.c) / transform.a - 0.5),
        )
        rows = (
            math.ceil((transform.f - north) / transform.a - 0.5),
            math.floor((transform.f - south) / transform.a - 0.5),
        )
        if cols[0] <= cols[1] and rows[0] <= rows[1]:
            spans.append((*cols, *rows))
    assert (min(s[0] for s in spans), max(s[1] for s in spans)) == (0, width - 1)
    assert (min(s[2] for s in spans), max(s[3] for s in spans)) == (0, height - 1)
    expected[~inside] = nodata
    return expected


def sides(name: str) -> list[tuple[str, BaseGeometry]]:
    """The output name suffixes of an area and the part of it each holds."""
    geometry = AREAS[name].geometry
    if name in ("dateline", "fji"):
        return [
            ("-east", shapely.clip_by_rect(geometry, 0, -90, 180, 90)),
            ("-west", shapely.clip_by_rect(geometry, -180, -90, 0, 90)),
        ]
    return [("", geometry)]


def check_outputs(
    run: Run, root: Path, variant: TileVariant, name: str, outputs: list[OutputFile]
) -> dict[str, int]:
    """Each output against its reference clip; the pixels holding data, by file name."""
    parts = sides(name)
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{stem(product).lower()}{side}-{name}.tif"
        for product in PRODUCTS
        for side, _ in parts
    ]
    counts = {}
    for index, output in enumerate(outputs):
        product = PRODUCTS[index // len(parts)]
        assert (output.format, output.mediatype, output.empty) == ("tif", COG_MEDIATYPE, False)
        with rasterio.open(output.path) as out:
            assert out.crs.to_string() == "ESRI:54009"
            assert (out.count, out.dtypes[0], out.nodata) == (1, variant.dtype, variant.nodata)
            assert out.transform.a == variant.pixel
            assert out.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            data = out.read(1)
        geometry = parts[index % len(parts)][1]
        expected = reference_clip(output.path, root, product, MET_TILES[name], geometry)
        np.testing.assert_array_equal(data, expected)
        counts[output.path.name] = int((data != variant.nodata).sum())
    return counts


def tile_paths(name: str, *, schema: bool = True) -> dict[str, int]:
    """The mirror paths a run for area ``name`` must GET, each once."""
    wanted = {
        f"/{mirror_relpath(tile_source(product, tile).url)}"
        for product in PRODUCTS
        for tile in MET_TILES[name]
    }
    if schema:
        wanted.add(f"/{mirror_relpath(SCHEMA.url)}")
    return dict.fromkeys(wanted, 1)


@pytest.mark.parametrize("name", SMALL)
def test_the_documented_tiles_the_schema_lists_for_the_area_are_clipped(
    tmp_path: Path, documented: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    for tile in UNMET_TILES:  # present at the mirror, so not fetching them means something
        assert (documented / mirror_relpath(tile_source("MSZ", tile).url)).is_file()
    log = RequestLog()
    with (
        caplog.at_level(logging.WARNING, logger=LOGGER),
        serve_directory(documented, log=log) as mirror,
    ):
        run = Run(tmp_path, AREAS[name], mirror)
        outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    assert dict(log.hits) == tile_paths(name)
    counts = check_outputs(run, documented, DOCUMENTED, name, outputs)
    assert min(counts.values()) > {"corner": 150_000, "dateline": 80_000, "equator": 500_000}[name]
    assert not [r for r in caplog.records if r.name == LOGGER], "the documented tiles are the prior"
    tasks = [task for _, task in run.reports]
    count = len(MET_TILES[name])
    for number, tile in enumerate(MET_TILES[name], start=1):
        assert f"downloading {tile_source('FUN', tile).filename} ({number} of {count})" in tasks
    assert tasks.index(f"clipped {stem('MSZ')}.tif (1 of 2)") < tasks.index(
        f"downloading {tile_source('FUN', MET_TILES[name][0]).filename} (1 of {count})"
    )
    assert run.percents() == sorted(run.percents()) and run.percents()[-1] == 100
    assert not (run.ctx.scratch / ".mosaic" / "MSZ").exists(), "unpacked tiles are removed"


@pytest.mark.parametrize("name", [*SMALL, "fji"])
def test_drifted_tiles_are_clipped_as_they_are_with_a_warning(
    tmp_path: Path, drifted: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    log = RequestLog()
    with (
        caplog.at_level(logging.WARNING, logger=LOGGER),
        serve_directory(drifted, log=log) as mirror,
    ):
        run = Run(tmp_path, AREAS[name], mirror)
        outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    assert dict(log.hits) == tile_paths(name)
    counts = check_outputs(run, drifted, DRIFTED, name, outputs)
    assert min(counts.values()) > 0
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert warnings == [
        f"jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun: the tiles of {stem(product)} differ "
        "from what the processor assumed: 2000 x 2000 m pixels (prior 10 x 10); 1 band(s) of "
        "uint16 (prior 1 of uint8); NoData 0.0 (prior 255); clipped as they are"
        for product in PRODUCTS
    ]


def test_fiji_needs_the_wide_last_column(tmp_path: Path, drifted: Path) -> None:
    wide = drifted / mirror_relpath(tile_source("MSZ", "R12_C36").url)
    with rasterio.open(f"/vsizip/{wide}/{wide.name.replace('.zip', '.tif')}") as tile:
        assert (tile.width, tile.height) == (541, 500), "1,082 km at 2 km"
    assert [t.id for t in COMPUTED.meeting(AREAS["fji"].geometry)] == list(MET_TILES["fji"])
    east = next(t for t in COMPUTED.tiles if t.id == "R12_C36")
    assert (east.left, east.right) == (16_959_000.0, 18_041_000.0)
    assert len(COMPUTED.tiles) == 648 and not any(t.id.endswith("_C37") for t in COMPUTED.tiles)


def test_a_tile_the_publisher_lacks_reads_as_nodata_and_provenance_says_so(
    tmp_path: Path, drifted: Path
) -> None:
    missing = DRIFTED.missing[0]
    assert missing in MET_TILES["corner"]
    with serve_directory(drifted) as mirror:
        run = Run(tmp_path, AREAS["corner"], mirror)
        outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    entry = processor_entry("p", [], run.ctx.fetched, published_at="now")
    absent = [s for s in entry["sources"] if "missing" in s]
    assert [(s["filename"], s["size"], s["sha256"]) for s in absent] == [
        (tile_source(product, missing).filename, 0, "") for product in PRODUCTS
    ]
    assert all("HTTP 404" in s["missing"] for s in absent)
    # The missing tile's pixels are NoData in the output; the others hold data.
    cell = next(t for t in COMPUTED.tiles if t.id == missing)
    with rasterio.open(outputs[0].path) as out:
        data, transform = out.read(1), out.transform
    rows, cols = np.indices(data.shape)
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    in_missing = (xs > cell.left) & (xs < cell.right) & (ys < cell.top) & (ys > cell.bottom)
    assert in_missing.any() and (data[in_missing] == DRIFTED.nodata).all()
    assert (data[~in_missing] != DRIFTED.nodata).any()


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        (None, r"could not download .*GHSL_data_54009_shapefile\.zip: HTTP 404 Not Found"),
        (b"readme only", rf"GHSL_data_54009_shapefile\.zip holds no {SCHEMA_LAYER}\.shp"),
    ],
    ids=["absent", "unreadable"],
)
def test_without_a_usable_schema_the_computed_grid_is_used_with_a_warning(
    tmp_path: Path,
    drifted: Path,
    caplog: pytest.LogCaptureFixture,
    schema: bytes | None,
    reason: str,
) -> None:
    bare = make_built_c_tiles(tmp_path / "bare", [], DRIFTED, schema=False)
    if schema is not None:
        (bare / mirror_relpath(SCHEMA.url)).parent.mkdir(parents=True)
        with zipfile.ZipFile(bare / mirror_relpath(SCHEMA.url), "w") as archive:
            archive.writestr("readme.txt", schema)
    with serve_directory(drifted) as mirror:
        listed = JrcGhslBuiltCProcessor().run(Run(tmp_path / "listed", AREAS["corner"], mirror).ctx)
    log = RequestLog()
    with caplog.at_level(logging.WARNING, logger=LOGGER), serve_directory(bare, log=log) as mirror:
        computed = JrcGhslBuiltCProcessor().run(Run(tmp_path / "bare", AREAS["corner"], mirror).ctx)

    assert [o.path.read_bytes() for o in computed] == [o.path.read_bytes() for o in listed]
    assert dict(log.hits) == tile_paths("corner")
    (warning,) = [r.getMessage() for r in caplog.records if "tile schema" in r.getMessage()]
    # A download's own reason comes after the sentence for people, in brackets.
    assert re.search(
        f"the tile schema cannot be used \\(.*{reason}\\)+; fetching the tiles", warning
    )


def test_a_tile_failing_otherwise_fails_the_run_with_its_cause(
    tmp_path: Path, drifted: Path
) -> None:
    broken = f"/{mirror_relpath(tile_source('MSZ', 'R8_C18').url)}"
    with serve_directory(drifted, failures={broken: 500}) as mirror:
        run = Run(tmp_path, AREAS["corner"], mirror)
        with pytest.raises(
            SourceError,
            match=r"could not be downloaded intact.*_R8_C18\.zip: HTTP 500 Internal Server Error\)",
        ):
            JrcGhslBuiltCProcessor().run(run.ctx)


def test_the_schema_is_read_from_the_publishers_zip(documented: Path, drifted: Path) -> None:
    full = read_schema(documented / mirror_relpath(SCHEMA.url), SCHEMA_LAYER)
    assert sorted(full.tiles, key=lambda t: t.place) == sorted(
        COMPUTED.tiles, key=lambda t: t.place
    )
    land = read_schema(drifted / mirror_relpath(SCHEMA.url), SCHEMA_LAYER)
    assert {t.id for t in land.tiles} == {*UNMET_TILES, *(t for m in MET_TILES.values() for t in m)}
    with zipfile.ZipFile(drifted / mirror_relpath(SCHEMA.url)) as archive:
        assert {f"{SCHEMA_LAYER}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= set(
            archive.namelist()
        )
    for name, met in MET_TILES.items():
        assert [t.id for t in land.meeting(AREAS[name].geometry)] == list(met)


def test_tiles_off_one_lattice_are_refused(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": 1, "dtype": "uint8"}
    for number, tile in enumerate(MET_TILES["corner"]):
        tif = tmp_path / f"{tile}.tif"
        with rasterio.open(
            tif, "w", crs="ESRI:54009", transform=from_origin(0, 0, 10 + number, 10), **profile
        ):
            pass
        source = tile_source("MSZ", tile)
        zipped = mirror / mirror_relpath(source.url)
        zipped.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.write(tif, source.filename.replace(".zip", ".tif"))
    run = Run(tmp_path, AREAS["corner"], f"file://{mirror}")

    with pytest.raises(
        SourceError, match=r"_R8_C18\.tif cannot join the mosaic: pixels of 11 x 10, the first"
    ):
        JrcGhslBuiltCProcessor().run(run.ctx)


def test_a_boundary_beyond_the_grid_gives_empty_files(tmp_path: Path) -> None:
    # The grid stops at 9,000 km north of the equator, about 87.8°N in Mollweide.
    polar = Boundary(
        name="pole", name_long="North Pole", admin_level=None,
        geometry=MultiPolygon([box(0, 89.5, 20, 89.9)]),
    )  # fmt: skip
    run = Run(tmp_path, polar, f"file://{tmp_path / 'empty-mirror'}")

    outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    assert [o.empty for o in outputs] == [True, True]
    with rasterio.open(outputs[0].path) as out:
        assert (out.width, out.height, out.dtypes[0], out.nodata) == (1, 1, "uint8", 255)
        assert out.transform.a == PRIOR.size[0]


def test_a_mosaic_window_streams_through_a_compressed_scratch_file(
    tmp_path: Path, documented: Path
) -> None:
    # A large country's window passes the scratch limit; a limit of 0 takes that path here.
    boundary = AREAS["corner"]
    tiles = []
    for tile in MET_TILES["corner"]:
        zipped = documented / mirror_relpath(tile_source("MSZ", tile).url)
        name = zipped.name.replace(".zip", ".tif")
        with zipfile.ZipFile(zipped) as archive:
            archive.extract(name, tmp_path)
        tiles.append((tmp_path / name, name))
    vrt = tmp_path / "msz.vrt"
    pixels = write_mosaic(tiles, COMPUTED.bounds(), vrt, empty=PRIOR)
    assert (pixels.dtype, pixels.nodata, pixels.size, pixels.differences(PRIOR)) == (
        "uint8", 255.0, (10.0, 10.0), [],
    )  # fmt: skip

    plain = clip_raster(vrt, boundary.geometry, tmp_path / "plain.tif", nodata=255)
    streamed = clip_raster(
        vrt, boundary.geometry, tmp_path / "streamed.tif", nodata=255, scratch_limit=0
    )

    assert streamed.path.read_bytes() == plain.path.read_bytes()
    np.testing.assert_array_equal(
        rasterio.open(streamed.path).read(1),
        reference_clip(streamed.path, documented, "MSZ", MET_TILES["corner"], boundary.geometry),
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_new_attempt_reuses_the_products_kept_by_an_earlier_one(
    tmp_path: Path, documented: Path
) -> None:
    store = ClipStore(tmp_path / "clips", {"processor": "jrc_ghsl_built_c"})
    with serve_directory(documented) as mirror:
        first = Run(tmp_path / "first", AREAS["corner"], mirror, clips=store)
        kept = JrcGhslBuiltCProcessor().run(first.ctx)
        second = Run(tmp_path / "second", AREAS["corner"], mirror, clips=store)
        reused = JrcGhslBuiltCProcessor().run(second.ctx)

    assert [o.path.name for o in reused] == [o.path.name for o in kept]
    assert [o.path.read_bytes() for o in reused] == [o.path.read_bytes() for o in kept]
    tasks = [task for _, task in second.reports]
    assert not any(task.startswith("clipping ") for task in tasks)
    # The schema and tiles are still fetched (from the cache), so the package names them.
    assert len(second.ctx.fetched) == 1 + 2 * len(MET_TILES["corner"])
    assert second.percents() == sorted(second.percents()) and second.percents()[-1] == 100
    assert not (second.ctx.scratch / ".mosaic").exists(), "no tile was unpacked"


def test_the_estimate_reads_the_schema_only_from_the_cache(tmp_path: Path, drifted: Path) -> None:
    boundary = AREAS["equator"]
    ctx = LocalEstimateContext(boundary, {}, tmp_path / "cache", mirror=None, verify=False)
    assert ctx.cached(SCHEMA) is None
    computed = JrcGhslBuiltCProcessor().estimate(ctx)  # no mirror: nothing could be fetched
    with serve_directory(drifted) as mirror:
        Run(tmp_path, boundary, mirror).ctx.fetch(SCHEMA)
    assert ctx.cached(SCHEMA) == tmp_path / "cache" / mirror_relpath(SCHEMA.url)
    # The drifted schema lists a few tiles only; the window is still the whole grid's.
    assert JrcGhslBuiltCProcessor().estimate(ctx) == computed
    # 0.1° at the equator, one file per product: about 1,100 px square each at 10 m.
    assert computed.pixels is not None
    assert computed.files == 2 and 2 * 1_000**2 < computed.pixels < 2 * 1_200**2


def test_a_later_estimate_uses_the_tiles_last_read(tmp_path: Path, drifted: Path) -> None:
    boundary = AREAS["equator"]
    ctx = LocalEstimateContext(boundary, {}, tmp_path / "cache", mirror=None, verify=False)
    with serve_directory(drifted) as mirror:
        Run(tmp_path, boundary, mirror).ctx.fetch(SCHEMA)
        before = JrcGhslBuiltCProcessor().estimate(ctx)  # the prior's 10 m over the schema
        run = Run(tmp_path, boundary, mirror)
        outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    after = JrcGhslBuiltCProcessor().estimate(ctx)
    written = 0
    for output in outputs:
        with rasterio.open(output.path) as clipped:
            written += clipped.width * clipped.height
    assert after.pixels == written and after.files == len(outputs) == 2
    assert before.pixels is not None
    assert after.pixels < before.pixels / 10_000  # 2 km pixels, not 10 m
    (read,) = {r.facts for r in run.ctx.sources_read}
    assert read.transform.a == 2_000 and read.dtype == "uint16" and read.nodata == 0
    assert {r.name for r in run.ctx.sources_read} == {f"{stem(p)} tiles" for p in PRODUCTS}
