"""gridfinder.version_1: grid lines cut to the boundary, targets and LV rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import rasterio
import shapely
from rasterio.transform import from_origin

from autopkg.domain.boundary import Boundary
from autopkg.processors.datasets.gridfinder.version_1 import GridfinderProcessor
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_rasters import (
    GHSL_POP_ORIGIN,
    GRIDFINDER_PIXEL_DEGREES,
    gridfinder_lv,
    gridfinder_target,
)
from tests.unit.processors.checks import check_clipped_pixels
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "gridfinder-version_1"


def test_grid_targets_and_lv_for_a_country(
    tmp_path: Path, source_mirror: str, source_mirror_root: Path, country: Boundary
) -> None:
    run = Run(tmp_path, country, source_mirror)

    outputs = GridfinderProcessor().run(run.ctx)

    b = country.name
    lv = ["lv-east", "lv-west"] if b == "fji" else ["lv"]
    assert [o.path.name for o in outputs] == [
        f"{NAME}-grid-{b}.gpkg",
        f"{NAME}-targets-{b}.tif",
        *(f"{NAME}-{sub}-{b}.tif" for sub in lv),
    ]
    assert [o.mediatype for o in outputs[1:]] == [COG_MEDIATYPE] * (len(outputs) - 1)
    assert not any(o.empty for o in outputs)

    # Lines: exactly the source lines cut to the boundary, with their source attribute.
    grid = source_mirror_root / mirror_relpath(GridfinderProcessor.sources[0].url)
    _, _, source_wkb, (source_kind,) = pyogrio.raw.read(grid, layer="grid")
    cut = shapely.intersection(shapely.from_wkb(source_wkb), country.geometry)
    expected = sorted(
        (kind, round(line.length, 9))
        for kind, line in zip(source_kind, cut, strict=True)
        if line.length
    )
    info = pyogrio.read_info(outputs[0].path)
    assert (info["layer_name"], info["crs"], list(info["fields"])) == (
        "grid",
        "EPSG:4326",
        ["source"],
    )
    _, _, got_wkb, (got_kind,) = pyogrio.raw.read(outputs[0].path)
    got_lines = shapely.from_wkb(got_wkb)
    assert len(expected) >= 10
    assert sorted(zip(got_kind, np.round(shapely.length(got_lines), 9), strict=True)) == expected
    assert shapely.covered_by(got_lines, country.geometry.buffer(1e-9)).all()

    # Targets: 0/1 kept inside, 255 outside; LV: Mollweide, NaN outside.
    with rasterio.open(outputs[1].path) as out:
        assert (out.crs.to_epsg(), out.dtypes[0], out.nodata) == (4326, "uint8", 255)
    step = GRIDFINDER_PIXEL_DEGREES
    inside = check_clipped_pixels(
        outputs[1].path, country.geometry, gridfinder_target, from_origin(-180, 90, step, step),
        nodata=255, period=43200,
    )  # fmt: skip
    assert inside > {"gha": 200_000, "bhs": 5_000, "fji": 10_000}[b]
    for output in outputs[2:]:
        with rasterio.open(output.path) as out:
            assert (out.crs.to_string(), out.dtypes[0]) == ("ESRI:54009", "float32")
        check_clipped_pixels(
            output.path, country.geometry, gridfinder_lv, from_origin(*GHSL_POP_ORIGIN, 1000, 1000),
            nodata=float("nan"), tolerance=0.01,
        )  # fmt: skip

    percents = run.percents()
    assert percents == sorted(percents) and percents[-1] == 100
    tasks = {task for _, task in run.reports}
    assert {"clipping grid.gpkg", "clipping targets.tif"} <= tasks
