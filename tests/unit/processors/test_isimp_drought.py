"""isimp_drought.version_1: 245 files clipped in turn, progress per file, resumable."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

import autopkg.processors.base as processor_base
from autopkg.clip.raster import clip_raster
from autopkg.domain.boundary import Boundary
from autopkg.domain.outputs import OutputFile
from autopkg.errors import SourceError
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.isimp_drought.version_1 import (
    IsimipDroughtProcessor,
    source_file_names,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.standin_rasters import isimip_value
from tests.unit.processors.checks import check_clipped_pixels
from tests.unit.processors.conftest import load_country
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "isimp_drought-version_1"
GRID = from_origin(-180, 90, 0.5, 0.5)


def test_names_follow_the_published_grammar() -> None:
    names = source_file_names()
    assert len(names) == len(set(names)) == 245
    assert max(len(name) for name in names) == 116  # a 112-character stem
    assert not any("_mpi-hm_hadgem2-es_" in name for name in names)
    assert sum("_leh_" in name for name in names) == 28
    assert (
        "lange2020_h08_miroc5_ewembi_historical_histsoc_co2_led_global_annual_1861_2005_"
        "baseline_occurrence.tif"
    ) in names
    assert (
        "lange2020_orchidee_ipsl-cm5a-lr_ewembi_rcp60_nosoc_co2_led_global_annual_2006_2099_"
        "2080_occurrence.tif"
    ) in names


def check_outputs(outputs: list[OutputFile], reports: list[tuple[float, str]], b: Boundary) -> None:
    """One COG per source file, pixels as the source's, progress advancing with each file."""
    names = source_file_names()
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{name.removesuffix('.tif')}-{b.name}.tif" for name in names
    ]
    assert {o.mediatype for o in outputs} == {COG_MEDIATYPE}
    inside = 0
    for index in (0, 1, 99, 100, 244):
        with rasterio.open(outputs[index].path) as out:
            assert (out.crs.to_epsg(), out.dtypes[0], out.descriptions) == (
                4326, "float32", ("leh" if "_leh_" in names[index] else "led",),
            )  # fmt: skip
            assert np.isnan(out.nodata)
        inside += check_clipped_pixels(
            outputs[index].path, b.geometry, isimip_value(index), GRID,
            nodata=float("nan"), period=720,
        )  # fmt: skip
    assert inside > 0
    # Each file ends in a report naming it, at a percentage higher than the last file's.
    ends = [(p, task) for p, task in reports if task.startswith("clipped ")]
    assert [task for _, task in ends] == [
        f"clipped {name} ({number} of 245)" for number, name in enumerate(names, start=1)
    ]
    percents = [p for p, _ in ends]
    assert percents == sorted(set(percents)) and percents[0] > 20 and percents[-1] == 99
    assert [p for p, _ in reports] == sorted(p for p, _ in reports)


# Ghana is run in test_an_interrupted_run_resumes_without_redoing_files (245 clips each).
@pytest.mark.parametrize("b", ["bhs", "fji"])
def test_every_file_is_clipped_with_progress_per_file(
    tmp_path: Path, source_mirror: str, b: str
) -> None:
    boundary = load_country(b)
    run = Run(tmp_path, boundary, source_mirror)

    outputs = IsimipDroughtProcessor().run(run.ctx)

    check_outputs(outputs, run.reports, boundary)


class _Interrupted(Exception):
    """Raised from a progress report to stop a run half-way, as a crash would."""


@pytest.mark.slow
def test_an_interrupted_run_resumes_without_redoing_files(
    tmp_path: Path, source_mirror: str, gha: Boundary, monkeypatch: pytest.MonkeyPatch
) -> None:
    clipped: list[str] = []
    real_clip = clip_raster

    def counting_clip(src: str, *args: Any, **kwargs: Any) -> Any:
        clipped.append(Path(src).name)
        return real_clip(src, *args, **kwargs)

    monkeypatch.setattr(processor_base, "clip_raster", counting_clip)

    def stop_after(files: int) -> Callable[[float, str], None]:
        def report(_percent: float, task: str) -> None:
            if task.startswith("clipped ") and f"({files} of" in task:
                raise _Interrupted

        return report

    def context(on_progress: Callable[[float, str], None]) -> LocalRunContext:
        return LocalRunContext(
            gha, tmp_path / "scratch", tmp_path / "cache", mirror=source_mirror,
            verify=False, on_progress=on_progress,
        )  # fmt: skip

    with pytest.raises(_Interrupted):
        IsimipDroughtProcessor().run(context(stop_after(100)))
    assert len(clipped) == 100
    first_attempt = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "scratch").glob("*.tif")}
    assert len(first_attempt) == 100

    reports: list[tuple[float, str]] = []
    outputs = IsimipDroughtProcessor().run(context(lambda p, task: reports.append((p, task))))

    assert len(clipped) == 245, "only the 145 files left are clipped again"
    assert clipped[100:] == list(source_file_names()[100:])
    for output in outputs[:100]:
        assert output.path.stat().st_mtime_ns == first_attempt[output.path.name]
    check_outputs(outputs, reports, gha)


def test_a_zip_missing_files_is_refused(tmp_path: Path, gha: Boundary) -> None:
    mirror = tmp_path / "mirror"
    zipped = mirror / mirror_relpath(IsimipDroughtProcessor.sources[0].url)
    zipped.parent.mkdir(parents=True)
    with zipfile.ZipFile(zipped, "w") as archive:
        for name in source_file_names()[1:]:
            archive.writestr(f"data/{name}", b"")
    run = Run(tmp_path, gha, f"file://{mirror}")

    with pytest.raises(SourceError, match=r"lacks 1 of the 245 expected GeoTIFFs, e\.g\. lange"):
        IsimipDroughtProcessor().run(run.ctx)
