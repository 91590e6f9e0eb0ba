"""Generated sources for the clip engine tests: small global rasters and vector layers.

Raster values are a hash of the pixel's (row, column) so that any misplaced pixel shows;
vector layers mix random world-wide lines with dense clusters around Ghana and Fiji.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyogrio.raw import write
from shapely.geometry import MultiPolygon

FIXTURES = Path(__file__).parents[2] / "fixtures"
COUNTRIES = f"/vsizip/{FIXTURES / 'ne_110m_admin_0_countries.zip'}/ne_110m_admin_0_countries.shp"
MOLLWEIDE = "ESRI:54009"
MOLLWEIDE_HALF_WIDTH = 18_040_000.0
MOLLWEIDE_HALF_HEIGHT = 9_020_000.0


def grid_at(west: float, north: float, xres: float, yres: float) -> Affine:
    """North-up geotransform with its top-left corner at (west, north)."""
    return Affine(xres, 0, west, 0, -yres, north)


def pattern(shape: tuple[int, int], dtype: str) -> NDArray[Any]:
    """Pseudo-random pixel values derived from each pixel's row and column."""
    rows, cols = np.indices(shape, dtype=np.uint64)
    mixed = (rows * np.uint64(1_000_003) + cols) * np.uint64(2_654_435_761) % np.uint64(2**32)
    values: NDArray[Any]
    if np.dtype(dtype).kind == "f":
        values = (mixed.astype(np.float64) / 2**32 * 1000 - 500).astype(dtype)
    else:
        info = np.iinfo(dtype)
        values = (mixed % np.uint64(int(info.max) + 1)).astype(dtype)
    return values


def write_raster(
    path: Path,
    data: NDArray[np.generic],
    *,
    crs: str,
    transform: Affine,
    nodata: float | None = None,
) -> Path:
    """Write a tiled, DEFLATE-compressed GeoTIFF (bands first)."""
    count, height, width = data.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype=data.dtype.name,
        crs=crs,
        transform=transform,
        nodata=nodata,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    ) as dst:
        dst.write(data)
    return path


@pytest.fixture(scope="session")
def countries() -> dict[str, MultiPolygon]:
    """Natural Earth 1:110m countries by ISO3 (ADM0_A3 where ISO_A3 is -99)."""
    meta, _, wkb, values = pyogrio.raw.read(COUNTRIES, columns=["ISO_A3", "ADM0_A3"])
    table = dict(zip(meta["fields"], values, strict=True))
    shapes = {}
    for iso, adm0, geom in zip(table["ISO_A3"], table["ADM0_A3"], wkb, strict=True):
        shape = shapely.from_wkb(geom)
        if isinstance(shape, shapely.Polygon):
            shape = MultiPolygon([shape])
        shapes[adm0 if iso == "-99" else iso] = shape
    return shapes


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding the generated sources of the session."""
    return tmp_path_factory.mktemp("clip-sources")


@pytest.fixture(scope="session")
def uint8_world(data_dir: Path) -> Path:
    """Global 0.1° uint8 EPSG:4326 raster, 3600x1800, no nodata."""
    data = pattern((1800, 3600), "uint8")[np.newaxis]
    return write_raster(
        data_dir / "uint8_world.tif",
        data,
        crs="EPSG:4326",
        transform=grid_at(-180, 90, 0.1, 0.1),
    )


@pytest.fixture(scope="session")
def float_world(data_dir: Path) -> Path:
    """Global 0.2° float32 raster with nodata -9999, nodata holes and a few NaNs."""
    data = pattern((900, 1800), "float32")
    data[::7, ::5] = -9999
    data[3::11, 2::13] = np.nan
    return write_raster(
        data_dir / "float_world.tif",
        data[np.newaxis],
        crs="EPSG:4326",
        transform=grid_at(-180, 90, 0.2, 0.2),
        nodata=-9999,
    )


@pytest.fixture(scope="session")
def rgb_east(data_dir: Path) -> Path:
    """Three-band 0.25° uint8 raster whose columns run 0..360°E (climate-model style)."""
    data = np.stack([pattern((720, 1440), "uint8") ^ np.uint8(band) for band in (0, 85, 170)])
    path = write_raster(
        data_dir / "rgb_east.tif", data, crs="EPSG:4326", transform=grid_at(0, 90, 0.25, 0.25)
    )
    with rasterio.open(path, "r+") as dst:
        dst.colorinterp = [
            rasterio.enums.ColorInterp.red,
            rasterio.enums.ColorInterp.green,
            rasterio.enums.ColorInterp.blue,
        ]
    return path


@pytest.fixture(scope="session")
def africa_int16(data_dir: Path) -> Path:
    """Regional 0.1° int16 raster over Africa only (-20..55°E, -40..40°N), no nodata."""
    data = pattern((800, 750), "int16")[np.newaxis]
    return write_raster(
        data_dir / "africa_int16.tif",
        data,
        crs="EPSG:4326",
        transform=grid_at(-20, 40, 0.1, 0.1),
    )


@pytest.fixture(scope="session")
def mollweide_world(data_dir: Path) -> Path:
    """Global 20 km uint16 raster in Mollweide (ESRI:54009) with nodata 65535."""
    width = round(2 * MOLLWEIDE_HALF_WIDTH / 20_000)
    height = round(2 * MOLLWEIDE_HALF_HEIGHT / 20_000)
    data = pattern((height, width), "uint16")
    data[data == 65535] = 0
    return write_raster(
        data_dir / "mollweide_world.tif",
        data[np.newaxis],
        crs=MOLLWEIDE,
        transform=grid_at(-MOLLWEIDE_HALF_WIDTH, MOLLWEIDE_HALF_HEIGHT, 20_000, 20_000),
        nodata=65535,
    )


@pytest.fixture(scope="session")
def zipped_uint8_world(uint8_world: Path, data_dir: Path) -> str:
    """The uint8 world raster inside a zip, as a /vsizip/ path."""
    archive = data_dir / "uint8_world.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(uint8_world, "inner/uint8_world.tif")
    return f"/vsizip/{archive}/inner/uint8_world.tif"


def _random_lines(
    rng: np.random.Generator, n: int, box: tuple[float, float, float, float], length: float
) -> NDArray[np.object_]:
    """``n`` three-vertex lines starting inside ``box``, each step up to ``length``°."""
    west, south, east, north = box
    start = np.column_stack([rng.uniform(west, east, n), rng.uniform(south, north, n)])
    step1 = rng.uniform(-length, length, (n, 2))
    step2 = rng.uniform(-length, length, (n, 2))
    coords = np.stack([start, start + step1, start + step1 + step2], axis=1)
    coords[:, :, 0] = np.clip(coords[:, :, 0], -180, 180)
    coords[:, :, 1] = np.clip(coords[:, :, 1], -90, 90)
    lines: NDArray[np.object_] = shapely.linestrings(coords)
    return lines


@pytest.fixture(scope="session")
def lines_gpkg(data_dir: Path) -> Path:
    """GeoPackage layer ``roads`` of 30k LineStrings with id, name and value attributes.

    20k lie anywhere; 4k cluster around Ghana; 6k around Fiji on both sides of 180°.
    """
    rng = np.random.default_rng(42)
    lines = np.concatenate(
        [
            _random_lines(rng, 20_000, (-180, -85, 180, 85), 1.0),
            _random_lines(rng, 4_000, (-4, 4, 2, 12), 0.4),
            _random_lines(rng, 4_000, (176.5, -19, 180, -15.5), 0.4),
            _random_lines(rng, 2_000, (-180, -19, -179, -15.5), 0.4),
        ]
    )
    ids = np.arange(len(lines), dtype=np.int64)
    path = data_dir / "lines.gpkg"
    write(
        path,
        shapely.to_wkb(lines),
        [ids, np.array([f"road {i}" for i in ids], dtype=object), ids * 0.5],
        ["id", "name", "value"],
        layer="roads",
        driver="GPKG",
        geometry_type="LineString",
        crs="EPSG:4326",
    )
    return path


@pytest.fixture(scope="session")
def squares_gpkg(data_dir: Path) -> Path:
    """Polygon layer ``cells``: a 1° grid of squares over 0..10°E, 0..10°N, plus a bow-tie.

    The bow-tie (id 1000) is an invalid polygon that needs repair before clipping.
    """
    cells = [shapely.box(x, y, x + 1, y + 1) for x in range(10) for y in range(10)]
    bowtie = shapely.Polygon([(2.2, 2.2), (2.8, 2.8), (2.8, 2.2), (2.2, 2.8), (2.2, 2.2)])
    geoms = np.array([*cells, bowtie], dtype=object)
    ids = np.array([*range(100), 1000], dtype=np.int64)
    path = data_dir / "squares.gpkg"
    write(
        path,
        shapely.to_wkb(geoms),
        [ids],
        ["id"],
        layer="cells",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    return path


@pytest.fixture(scope="session")
def power_plants_zip(data_dir: Path) -> str:
    """The power-plant CSV fixture inside a zip, as the processor reads it (/vsizip/)."""
    archive = data_dir / "global_power_plant_database_v_1_3.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "gppd_subset.csv", "global_power_plant_database.csv")
    return f"/vsizip/{archive}/global_power_plant_database.csv"
