"""storm.global_mosaics_version_1: 140 files fetched and clipped one after another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rasterio

from autopkg.boundaries.boundary import Boundary
from autopkg.errors import SourceError
from autopkg.processors.datasets.storm.global_mosaics_version_1 import (
    StormGlobalMosaicsProcessor,
    source_file_names,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_rasters import STORM_GRID, storm_value
from tests.unit.processors.checks import check_clipped_pixels
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "storm-global_mosaics_version_1"


def test_names_follow_the_published_grammar() -> None:
    names = source_file_names()
    assert len(names) == len(set(names)) == 140
    assert names[0] == "STORM_FIXED_RETURN_PERIODS_constant_10_YR_RP.tif"
    assert "STORM_FIXED_RETURN_PERIODS_CMCC-CM2-VHR4_10000_YR_RP.tif" in names
    assert [s.filename for s in StormGlobalMosaicsProcessor.sources] == list(names)


def test_every_file_is_fetched_and_clipped_in_turn(
    tmp_path: Path, source_mirror: str, country: Boundary
) -> None:
    run = Run(tmp_path, country, source_mirror)

    outputs = StormGlobalMosaicsProcessor().run(run.ctx)

    names = source_file_names()
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{name.removesuffix('.tif').lower()}-{country.name}.tif" for name in names
    ]
    assert {(o.mediatype, o.empty) for o in outputs} == {(COG_MEDIATYPE, False)}
    for index in (0, 27, 28, 139):
        with rasterio.open(outputs[index].path) as out:
            assert (out.crs.to_epsg(), out.dtypes[0]) == (4326, "float32")
        inside = check_clipped_pixels(
            outputs[index].path, country.geometry, storm_value(index), STORM_GRID,
            nodata=0.0, period=3600,
        )  # fmt: skip
        assert inside > {"gha": 1000, "bhs": 50, "fji": 50}[country.name]
    # Per file: its download, its clip, then a report naming it, each further along.
    tasks = [task for _, task in run.reports]
    for number, name in enumerate(names, start=1):
        done = tasks.index(f"clipped {name} ({number} of 140)")
        assert tasks.index(f"downloading {name}") < tasks.index(f"clipping {name}") < done
    ends = [p for p, task in run.reports if task.startswith("clipped ")]
    assert ends == sorted(set(ends)) and len(ends) == 140 and ends[-1] == 99
    assert run.percents() == sorted(run.percents()) and run.percents()[-1] == 100


def _mirror_with_second_file(
    tmp_path: Path, source_mirror_root: Path, *, changes: dict[str, Any]
) -> str:
    """A mirror of the stand-ins whose second file is rewritten with profile ``changes``."""
    mirror = tmp_path / "mirror"
    for source in StormGlobalMosaicsProcessor.sources:
        relpath = mirror_relpath(source.url)
        (mirror / relpath).parent.mkdir(parents=True, exist_ok=True)
        (mirror / relpath).symlink_to(source_mirror_root / relpath)
    relpath = mirror_relpath(StormGlobalMosaicsProcessor.sources[1].url)
    (mirror / relpath).unlink()
    with rasterio.open(source_mirror_root / relpath) as src:
        profile = {**src.profile, **changes}
        data = src.read(1, window=((0, 1), (0, 1)))
    with rasterio.open(mirror / relpath, "w", **profile) as dst:
        dst.write(data.astype(profile["dtype"]), 1, window=((0, 1), (0, 1)))
    return f"file://{mirror}"


def test_a_file_of_another_type_is_refused(
    tmp_path: Path, source_mirror_root: Path, gha: Boundary
) -> None:
    changes = {"dtype": "int16", "nodata": -1}
    run = Run(
        tmp_path, gha, _mirror_with_second_file(tmp_path, source_mirror_root, changes=changes)
    )

    with pytest.raises(
        SourceError, match=r"_20_YR_RP\.tif has 1 band\(s\) of int16, expected 1 of float32"
    ):
        StormGlobalMosaicsProcessor().run(run.ctx)
    assert len(list(run.ctx.scratch.glob("*.tif"))) == 1


def test_a_file_off_the_published_grid_is_refused(
    tmp_path: Path, source_mirror_root: Path, gha: Boundary
) -> None:
    # The estimates assume the published 0.1° grid from 60° N; a file on another grid
    # would make them wrong, so the run stops at it, naming both grids.
    changes = {"height": 1210}
    run = Run(
        tmp_path, gha, _mirror_with_second_file(tmp_path, source_mirror_root, changes=changes)
    )

    with pytest.raises(
        SourceError, match=r"_20_YR_RP\.tif is a 3600x1210 grid .* expected 3600x1200 from"
    ):
        StormGlobalMosaicsProcessor().run(run.ctx)
    assert len(list(run.ctx.scratch.glob("*.tif"))) == 1
