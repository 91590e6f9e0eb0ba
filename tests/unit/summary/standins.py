"""Package files with known contents for the summary tests, made by the real clip engine.

Global sources are written sparse (:func:`tests.fixtures.standin_rasters.write_sparse`,
data only around Ghana, the Bahamas and Fiji's two sides), then clipped to a boundary
as the processors do: the population and built-up grids in World Mollweide (one file
per side of ±180°), three flood return periods in EPSG:4326, plants and roads as
GeoPackages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from rasterio.transform import from_origin

from autopkg.clip import clip_raster, clip_vector, raster_sides
from autopkg.domain.boundary import Boundary
from autopkg.summary.files import DataFile
from tests.fixtures.files import DATA_AREAS, building, cached, random_lines
from tests.fixtures.standin_rasters import (
    GHSL_POP_HEIGHT,
    GHSL_POP_NODATA,
    GHSL_POP_ORIGIN,
    GHSL_POP_WIDTH,
    ghsl_pop_value,
    write_sparse,
)

POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"
BUILT = "jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun"
FLOODS = "wri_aqueduct.version_2"
PLANTS = "wri_powerplants.version_130"
ROADS = "natural_earth_vector.version_1"
#: Return period → flood file stem (Aqueduct's riverine grammar).
FLOOD_FILES = {rp: f"inunriver_rcp4p5_MIROC-ESM-CHEM_2030_rp{rp:05d}" for rp in (10, 100, 1000)}
FLOOD_NODATA = -9999.0
FUELS = ("Hydro", "Solar", "Gas")


def flood_value(rp: int):  # type: ignore[no-untyped-def]
    """Depths (m) on the 0.1° grid: 0-1.9 m in a pattern, deeper for rarer floods."""
    scale = {10: 1.0, 100: 1.5, 1000: 2.0}[rp]

    def value(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        depth = ((rows * 7 + cols * 13) % 20 * 0.1 * scale).astype(np.float32)
        return np.where((rows + cols) % 17 == 0, np.float32(FLOOD_NODATA), depth)

    return value


def msz_value(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Settlement classes: open space (1, 2), built (11, 12, 21, 25), a few NoData (255)."""
    classes = np.array([1, 2, 11, 12, 21, 25, 255], dtype=np.uint8)
    values: np.ndarray = classes[(rows * 3 + cols * 5) % len(classes)]
    return values


@dataclass(frozen=True)
class Sources:
    """The global stand-ins."""

    population: Path
    built: Path
    floods: dict[int, Path]
    plants: Path
    roads: Path


def make_sources(folder: Path) -> Sources:
    """Write (once, cached) the global stand-ins into ``folder``."""
    with building(folder):
        return _write_sources(folder)


def _write_sources(folder: Path) -> Sources:

    def population(target: Path) -> None:
        write_sparse(
            target,
            crs="ESRI:54009",
            transform=from_origin(*GHSL_POP_ORIGIN, 1000, 1000),
            shape=(GHSL_POP_HEIGHT, GHSL_POP_WIDTH),
            dtype="float32",
            nodata=GHSL_POP_NODATA,
            value=ghsl_pop_value,
        )

    def built(target: Path) -> None:
        # 250 m here rather than the publisher's 10 m: the same code, a small file.
        write_sparse(
            target,
            crs="ESRI:54009",
            transform=from_origin(*GHSL_POP_ORIGIN, 250, 250),
            shape=(GHSL_POP_HEIGHT * 4, GHSL_POP_WIDTH * 4),
            dtype="uint8",
            nodata=255,
            value=msz_value,
        )

    floods = {}
    for rp in FLOOD_FILES:

        def flood(target: Path, rp: int = rp) -> None:
            write_sparse(
                target,
                crs="EPSG:4326",
                transform=from_origin(-180, 90, 0.1, 0.1),
                shape=(1800, 3600),
                dtype="float32",
                nodata=FLOOD_NODATA,
                value=flood_value(rp),
            )

        floods[rp] = cached(folder / f"{FLOOD_FILES[rp]}.tif", flood)

    def plants(target: Path) -> None:
        rng = np.random.default_rng(16)
        lon, lat, fuel, capacity = [], [], [], []
        for west, south, east, north in DATA_AREAS:
            for _ in range(40):
                lon.append(rng.uniform(west, east))
                lat.append(rng.uniform(south, north))
                fuel.append(FUELS[int(rng.integers(len(FUELS)))])
                capacity.append(float(rng.integers(1, 500)))
        pyogrio.raw.write(
            target,
            geometry=np.array(shapely.to_wkb(shapely.points(lon, lat)), dtype=object),
            field_data=[np.array(fuel, dtype=object), np.array(capacity)],
            fields=["primary_fuel", "capacity_mw"],
            layer="plants",
            crs="EPSG:4326",
            driver="GPKG",
            geometry_type="Point",
        )

    def roads(target: Path) -> None:
        rng = np.random.default_rng(61)
        lines = random_lines(rng, [(box, 30) for box in DATA_AREAS])
        kinds = np.array([("Major Highway", "Secondary Highway")[i % 2] for i in range(len(lines))])
        pyogrio.raw.write(
            target,
            geometry=np.array(shapely.to_wkb(lines), dtype=object),
            field_data=[kinds.astype(object)],
            fields=["type"],
            layer="roads",
            crs="EPSG:4326",
            driver="GPKG",
            geometry_type="LineString",
        )

    return Sources(
        population=cached(folder / "population.tif", population),
        built=cached(folder / "msz.tif", built),
        floods=floods,
        plants=cached(folder / "plants.gpkg", plants),
        roads=cached(folder / "roads.gpkg", roads),
    )


def package_files(sources: Sources, boundary: Boundary, folder: Path) -> list[DataFile]:
    """Clip every source to ``boundary`` as its processor would; describe the files."""
    files = []

    def add(processor: str, sub: str, clip: object, ext: str) -> None:
        name, _, version = processor.partition(".")
        stem = (
            f"{name}-{version}-{sub}-{boundary.name}"
            if sub
            else f"{name}-{version}-{boundary.name}"
        )
        local = folder / f"{stem}.{ext}"
        files.append(
            DataFile(
                path=f"datasets/{name}/{version}/data/{local.name}",
                processor=processor,
                sub=sub,
                local=local,
            )
        )
        clip(local)  # type: ignore[operator]

    for processor, source, stem in (
        (POPULATION, sources.population, ""),
        (BUILT, sources.built, "ghs_built_c_msz_e2018_globe_r2022a_54009_10_v1_0"),
    ):
        for side, geometry in raster_sides(source, boundary.geometry):
            sub = "-".join(part for part in (stem, side) if part)
            add(processor, sub, lambda dst, s=source, g=geometry: clip_raster(s, g, dst), "tif")
    for rp, path in sources.floods.items():
        sub = FLOOD_FILES[rp].lower()
        add(FLOODS, sub, lambda dst, s=path: clip_raster(s, boundary.geometry, dst), "tif")
    add(PLANTS, "", lambda dst: clip_vector(sources.plants, boundary.geometry, dst), "gpkg")
    add(ROADS, "", lambda dst: clip_vector(sources.roads, boundary.geometry, dst), "gpkg")
    return files
