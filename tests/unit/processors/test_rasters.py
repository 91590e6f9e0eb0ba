"""Raster steps of processors: source checks and the records that let a run resume."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin

from autopkg.boundaries.boundary import Boundary
from autopkg.errors import SourceError
from autopkg.processors.base import OutputFile
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.datasets.test_processor.version_1 import SyntheticRasterTestProcessor
from autopkg.processors.rasters import (
    Located,
    RasterFacts,
    RasterFile,
    check_raster,
    clip_each,
)
from tests.unit.processors.test_datasets import Run

MOLLWEIDE_WITHOUT_CODE = (
    'PROJCS["unnamed",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
    '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
    'PROJECTION["Mollweide"],PARAMETER["central_meridian",0],PARAMETER["false_easting",0],'
    'PARAMETER["false_northing",0],UNIT["metre",1]]'
)


def _tif(path: Path, *, crs: str, dtype: str = "float32", count: int = 1) -> Path:
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": count, "dtype": dtype}
    with rasterio.open(
        path, "w", crs=CRS.from_user_input(crs), transform=from_origin(-2, 8, 1, 1), **profile
    ) as dst:
        dst.write(np.ones((count, 8, 8), dtype=dtype))
    return path


def test_a_crs_is_recognised_however_the_file_spells_it(tmp_path: Path) -> None:
    src = _tif(tmp_path / "a.tif", crs=MOLLWEIDE_WITHOUT_CODE)
    check_raster(src, RasterFacts(crs="ESRI:54009", dtype="float32"), name="a.tif")


@pytest.mark.parametrize(
    ("crs", "dtype", "count", "message"),
    [
        ("EPSG:3857", "float32", 1, "a.tif is in CRS WGS 84 / Pseudo-Mercator, expected EPSG:4326"),
        ("EPSG:4326", "int16", 1, "a.tif has 1 band(s) of int16, expected 1 of float32"),
        ("EPSG:4326", "float32", 2, "a.tif has 2 band(s) of float32, expected 1 of float32"),
    ],
)
def test_a_source_unlike_the_facts_is_refused(
    tmp_path: Path, crs: str, dtype: str, count: int, message: str
) -> None:
    src = _tif(tmp_path / "a.tif", crs=crs, dtype=dtype, count=count)
    with pytest.raises(SourceError) as caught:
        check_raster(src, RasterFacts(crs="EPSG:4326", dtype="float32"), name="a.tif")
    assert caught.value.message == message


def test_an_unreadable_source_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.tif").write_bytes(b"not a tiff")
    with pytest.raises(SourceError, match=r"cannot read the raster a\.tif"):
        check_raster(tmp_path / "a.tif", RasterFacts(crs="EPSG:4326", dtype="uint8"), name="a.tif")


def test_files_kept_by_an_earlier_attempt_are_not_clipped_again(
    tmp_path: Path, gha: Boundary
) -> None:
    sources = [_tif(tmp_path / f"s{n}.tif", crs="EPSG:4326") for n in range(3)]
    files = [RasterFile(f"s{n}.tif", sub=f"s{n}", title=f"s{n}") for n in range(3)]
    store = ClipStore(tmp_path / "clips", {"processor": "test_processor.version_1"})
    facts = RasterFacts(crs="EPSG:4326", dtype="float32")

    def attempt(name: str, digests: list[str]) -> tuple[Run, list[OutputFile]]:
        run = Run(tmp_path / name, gha, None, clips=store)

        def locate(file: RasterFile, _span: object) -> nullcontext[Located]:
            number = int(file.sub[1])
            return nullcontext(Located(sources[number], digests[number]))

        processor = SyntheticRasterTestProcessor()
        return run, clip_each(processor, run.ctx, files, locate, facts=facts, span=(0, 90))

    _, kept = attempt("first", ["a", "b", "c"])
    # s1's bytes changed before the retry: only that file is clipped again.
    second, outputs = attempt("second", ["a", "B", "c"])

    assert [o.path.name for o in outputs] == [
        f"test_processor-version_1-s{n}-gha.tif" for n in range(3)
    ]
    assert all(o.path.parent == second.ctx.scratch for o in outputs)
    same = [
        o.path.stat().st_ino == k.path.stat().st_ino for o, k in zip(outputs, kept, strict=True)
    ]
    assert same == [True, False, True]
    assert [o.path.read_bytes() for o in outputs] == [k.path.read_bytes() for k in kept]
    clipping = {task for _, task in second.reports if task.startswith("clipping ")}
    assert clipping == {"clipping s1.tif"}
    ends = [p for p, task in second.reports if task.startswith("clipped ")]
    assert ends == [30, 60, 90]
    assert len(list((tmp_path / "clips").iterdir())) == 4
