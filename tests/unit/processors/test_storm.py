"""storm.global_mosaics_version_1: 140 files fetched and clipped one after another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rasterio

from autopkg.domain.boundary import Boundary
from autopkg.processors.datasets.storm.global_mosaics_version_1 import (
    StormGlobalMosaicsProcessor,
    source_file_names,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_rasters import STORM_GRID, storm_value
from tests.unit.processors.checks import check_against_mask, check_clipped_pixels
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


def test_a_file_of_another_type_and_grid_is_clipped_on_its_own_grid(
    tmp_path: Path, source_mirror_root: Path, gha: Boundary, caplog: pytest.LogCaptureFixture
) -> None:
    changes = {"dtype": "int16", "nodata": -1, "height": 1210}
    mirror = _mirror_with_second_file(tmp_path, source_mirror_root, changes=changes)
    run = Run(tmp_path, gha, mirror)

    outputs = StormGlobalMosaicsProcessor().run(run.ctx)

    assert len(outputs) == 140 and not run.ctx.failures
    second = source_file_names()[1]
    served = Path(mirror.removeprefix("file://")) / mirror_relpath(
        StormGlobalMosaicsProcessor.sources[1].url
    )
    assert check_against_mask(outputs[1].path, served, gha.geometry) > 0
    with rasterio.open(outputs[1].path) as out:
        assert (out.dtypes[0], out.nodata) == ("int16", -1)
    warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
    assert [w for w in warnings if "differs" in w] == [
        f"storm.global_mosaics_version_1: the publisher's file {second} differs from what the "
        "processor expected: 3600x1210 pixels, not 3600x1200; pixel type int16, not float32; "
        "NoData -1, not 0"
    ]
    (read,) = [r for r in run.ctx.sources_read if r.name == second]
    assert (read.facts.height, read.facts.dtype) == (1210, "int16")


def test_an_unreadable_file_is_left_out_and_the_others_are_clipped(
    tmp_path: Path, source_mirror_root: Path, gha: Boundary
) -> None:
    mirror = _mirror_with_second_file(tmp_path, source_mirror_root, changes={})
    relpath = mirror_relpath(StormGlobalMosaicsProcessor.sources[1].url)
    (Path(mirror.removeprefix("file://")) / relpath).write_bytes(b"not a GeoTIFF")
    run = Run(tmp_path, gha, mirror)

    outputs = StormGlobalMosaicsProcessor().run(run.ctx)

    names = source_file_names()
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{name.removesuffix('.tif').lower()}-gha.tif" for name in names if name != names[1]
    ]
    (failed,) = run.ctx.failures
    assert failed.name == names[1]
    assert failed.reason.startswith(f"the publisher's file {names[1]} could not be read")
