"""jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun: only the tiles meeting the area, mosaicked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, box

from autopkg.boundaries.boundary import Boundary
from autopkg.clip.raster import clip_raster
from autopkg.errors import SourceError
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    GRID,
    PRODUCTS,
    JrcGhslBuiltCProcessor,
    stem,
    tile_source,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.mosaic import write_mosaic
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.standin_tiles import (
    BUILT_C_NODATA,
    MET_CELLS,
    UNMET_CELLS,
    antimeridian_area,
    built_c_value,
    corner_area,
    make_built_c_tiles,
)
from tests.unit.processors.checks import check_clipped_pixels
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "jrc_ghsl_built_c-r2022_epoch2018_10m_mszfun"
# Pixel centres within 0.0005° (about 50 m, 5 pixels) of the border are not checked:
# the clip projects the area's vertices, so its straight edges in Mollweide bend a few
# metres away from the straight edges in degrees the check tests against.
TOLERANCE = 0.0005
AREAS = {"corner": corner_area(), "dateline": antimeridian_area()}


@pytest.fixture(scope="module")
def tiles_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror folder holding both products' stand-in tiles around the test areas."""
    return make_built_c_tiles(tmp_path_factory.mktemp("built-c"), list(AREAS.values()))


@pytest.mark.parametrize("area", list(AREAS))
def test_only_the_tiles_meeting_the_area_are_fetched_and_clipped(
    tmp_path: Path, tiles_root: Path, area: str
) -> None:
    boundary = AREAS[area]
    for cell in UNMET_CELLS:  # present at the mirror, so not fetching them means something
        assert (tiles_root / mirror_relpath(tile_source("MSZ", cell).url)).is_file()
    log = RequestLog()
    with serve_directory(tiles_root, log=log) as mirror:
        run = Run(tmp_path, boundary, mirror)
        outputs = JrcGhslBuiltCProcessor().run(run.ctx)

    requested = {
        f"/{mirror_relpath(tile_source(product, cell).url)}"
        for product in PRODUCTS
        for cell in MET_CELLS[area]
    }
    assert dict(log.hits) == dict.fromkeys(requested, 1)
    sides = ["-east", "-west"] if area == "dateline" else [""]
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{stem(product).lower()}{side}-{area}.tif" for product in PRODUCTS for side in sides
    ]
    for index, output in enumerate(outputs):
        product = PRODUCTS[index // len(sides)]
        assert (output.format, output.mediatype, output.empty) == ("tif", COG_MEDIATYPE, False)
        with rasterio.open(output.path) as out:
            assert out.crs.to_string() == "ESRI:54009"
            assert (out.count, out.dtypes[0]) == (1, "uint8")
            assert out.width < 1000 and out.height < 1000, "tight, whatever the mosaic's size"
            assert out.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        inside = check_clipped_pixels(
            output.path, boundary.geometry, built_c_value(product), GRID.transform,
            nodata=BUILT_C_NODATA, tolerance=TOLERANCE,
        )  # fmt: skip
        assert inside > {"corner": 150_000, "dateline": 200_000}[area]
    tasks = [task for _, task in run.reports]
    count = len(MET_CELLS[area])
    for number, cell in enumerate(MET_CELLS[area], start=1):
        assert f"downloading {tile_source('FUN', cell).filename} ({number} of {count})" in tasks
    assert tasks.index(f"clipped {stem('MSZ')}.tif (1 of 2)") < tasks.index(
        f"downloading {tile_source('FUN', MET_CELLS[area][0]).filename} (1 of {count})"
    )
    assert run.percents() == sorted(run.percents()) and run.percents()[-1] == 100
    assert not (run.ctx.scratch / ".mosaic" / "MSZ").exists(), "unpacked tiles are removed"


def test_cells_follow_the_boundary_not_its_bounding_box() -> None:
    assert GRID.cells(AREAS["corner"].geometry) == list(MET_CELLS["corner"])
    assert GRID.cells(AREAS["dateline"].geometry) == list(MET_CELLS["dateline"])
    assert GRID.window((0, 36)) == (3_600_000, 0, 8_200, 100_000), "the last column is short"


def test_a_tile_off_its_cell_is_refused(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    tif = tmp_path / "tile.tif"
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": 1, "dtype": "uint8"}
    with rasterio.open(tif, "w", crs="ESRI:54009", transform=from_origin(0, 0, 10, 10), **profile):
        pass
    for cell in MET_CELLS["corner"]:
        source = tile_source("MSZ", cell)
        zipped = mirror / mirror_relpath(source.url)
        zipped.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.write(tif, source.filename.replace(".zip", ".tif"))
    run = Run(tmp_path, AREAS["corner"], f"file://{mirror}")

    with pytest.raises(SourceError, match=r"_R8_C17\.tif is not on its grid cell: 8x8 px at"):
        JrcGhslBuiltCProcessor().run(run.ctx)


def test_a_boundary_beyond_the_grid_is_refused(tmp_path: Path) -> None:
    # The grid stops at 9,000 km north of the equator, about 87.8°N in Mollweide.
    polar = Boundary(
        name="pole", name_long="North Pole", admin_level="custom",
        geometry=MultiPolygon([box(0, 89.5, 20, 89.9)]),
    )  # fmt: skip
    run = Run(tmp_path, polar, "http://127.0.0.1:9")

    with pytest.raises(SourceError, match=r"^boundary pole meets no tile of the GHS-BUILT-C grid$"):
        JrcGhslBuiltCProcessor().run(run.ctx)


def test_a_mosaic_window_streams_through_a_compressed_scratch_file(
    tmp_path: Path, tiles_root: Path
) -> None:
    # A large country's window passes the scratch limit; a limit of 0 takes that path here.
    boundary = AREAS["corner"]
    tiles = []
    for cell in MET_CELLS["corner"]:
        zipped = tiles_root / mirror_relpath(tile_source("MSZ", cell).url)
        name = zipped.name.replace(".zip", ".tif")
        with zipfile.ZipFile(zipped) as archive:
            archive.extract(name, tmp_path)
        tiles.append((cell, tmp_path / name, name))
    vrt = write_mosaic(GRID, tiles, tmp_path / "msz.vrt")

    plain = clip_raster(vrt, boundary.geometry, tmp_path / "plain.tif", nodata=BUILT_C_NODATA)
    streamed = clip_raster(
        vrt, boundary.geometry, tmp_path / "streamed.tif", nodata=BUILT_C_NODATA, scratch_limit=0
    )

    assert streamed.path.read_bytes() == plain.path.read_bytes()
    inside = check_clipped_pixels(
        streamed.path, boundary.geometry, built_c_value("MSZ"), GRID.transform,
        nodata=BUILT_C_NODATA, tolerance=TOLERANCE,
    )  # fmt: skip
    assert inside > 150_000
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_new_attempt_reuses_the_products_kept_by_an_earlier_one(
    tmp_path: Path, tiles_root: Path
) -> None:
    store = ClipStore(tmp_path / "clips", {"processor": "jrc_ghsl_built_c"})
    with serve_directory(tiles_root) as mirror:
        first = Run(tmp_path / "first", AREAS["corner"], mirror, clips=store)
        kept = JrcGhslBuiltCProcessor().run(first.ctx)
        second = Run(tmp_path / "second", AREAS["corner"], mirror, clips=store)
        reused = JrcGhslBuiltCProcessor().run(second.ctx)

    assert [o.path.name for o in reused] == [o.path.name for o in kept]
    assert [o.path.read_bytes() for o in reused] == [o.path.read_bytes() for o in kept]
    tasks = [task for _, task in second.reports]
    assert not any(task.startswith("clipping ") for task in tasks)
    # The tiles are still fetched (from the cache), so the package names every source.
    assert len(second.ctx.fetched) == 2 * len(MET_CELLS["corner"])
    assert second.percents() == sorted(second.percents()) and second.percents()[-1] == 100
    assert not (second.ctx.scratch / ".mosaic").exists(), "no tile was unpacked"
