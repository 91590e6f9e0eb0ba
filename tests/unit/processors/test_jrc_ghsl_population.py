"""jrc_ghsl_population.r2022_epoch2020_1km: Mollweide clips, one per side of ±180°."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from autopkg.domain.boundary import Boundary
from autopkg.processors.datasets.jrc_ghsl_population.r2022_epoch2020_1km import (
    JrcGhslPopulationProcessor,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_rasters import (
    GHSL_POP_NODATA,
    GHSL_POP_ORIGIN,
    GHSL_POP_STEM,
    ghsl_pop_value,
)
from tests.unit.processors.checks import check_against_mask, check_clipped_pixels
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run, _clip_progress

NAME = "jrc_ghsl_population-r2022_epoch2020_1km"
# Pixel centres within 0.01° of the border are not checked: the clip densifies the
# border to 0.1° before projecting it, and Mollweide bends the straight edges between.
TOLERANCE = 0.01


def test_population_is_clipped_in_mollweide(
    tmp_path: Path, source_mirror: str, country: Boundary
) -> None:
    run = Run(tmp_path, country, source_mirror)

    outputs = JrcGhslPopulationProcessor().run(run.ctx)

    sides = ["-east", "-west"] if country.name == "fji" else [""]
    assert [o.path.name for o in outputs] == [f"{NAME}{s}-{country.name}.tif" for s in sides]
    inside = 0
    for output in outputs:
        assert (output.format, output.mediatype, output.empty) == ("tif", COG_MEDIATYPE, False)
        with rasterio.open(output.path) as out:
            assert out.crs.to_string() == "ESRI:54009"
            assert (out.count, out.dtypes[0]) == (1, "float32")
            assert out.width < 1200, "a side is never as wide as the world"
            assert out.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        inside += check_clipped_pixels(
            output.path,
            country.geometry,
            ghsl_pop_value,
            from_origin(*GHSL_POP_ORIGIN, 1000, 1000),
            nodata=GHSL_POP_NODATA,
            tolerance=TOLERANCE,
        )
    assert inside > {"gha": 200_000, "bhs": 5_000, "fji": 10_000}[country.name]
    if country.name == "fji":
        tasks = [task for _, task in run.reports]
        assert f"clipping {GHSL_POP_STEM}.tif (east of the antimeridian)" in tasks
        assert f"clipping {GHSL_POP_STEM}.tif (west of the antimeridian)" in tasks
    else:
        _clip_progress(run, f"clipping {GHSL_POP_STEM}.tif")


def test_a_source_in_another_crs_is_clipped_in_its_own_crs(
    tmp_path: Path, gha: Boundary, caplog: pytest.LogCaptureFixture
) -> None:
    mirror = tmp_path / "mirror"
    zipped = mirror / mirror_relpath(JrcGhslPopulationProcessor.sources[0].url)
    zipped.parent.mkdir(parents=True)
    tif = tmp_path / "pop.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "float32"}
    with rasterio.open(
        tif, "w", crs="EPSG:4326", transform=from_origin(-4, 12, 1, 1), **profile
    ) as dst:
        dst.write(np.arange(16, dtype="float32").reshape(1, 4, 4))
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(tif, f"{GHSL_POP_STEM}.tif")
    run = Run(tmp_path, gha, f"file://{mirror}")

    (output,) = JrcGhslPopulationProcessor().run(run.ctx)

    with rasterio.open(output.path) as out:
        assert out.crs.to_epsg() == 4326
    source = f"/vsizip/{zipped}/{GHSL_POP_STEM}.tif"
    assert check_against_mask(output.path, source, gha.geometry) > 0
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING" and "differs" in r.message]
    assert f"{GHSL_POP_STEM}.tif differs" in warning.message
    assert "CRS EPSG:4326, not ESRI:54009" in warning.message
