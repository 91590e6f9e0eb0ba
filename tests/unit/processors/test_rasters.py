"""Raster steps of processors: source checks and the records that let a run resume."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin

from autopkg.domain.boundary import Boundary
from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.outputs import OutputFile
from autopkg.errors import SourceError
from autopkg.processors.clipstore import ClipStore
from autopkg.processors.datasets.test_processor.version_1 import SyntheticRasterTestProcessor
from autopkg.processors.rasters import Located, RasterFile, clip_each
from autopkg.processors.sourcefacts import differences, last_seen, read_facts, remember
from tests.unit.processors.test_datasets import Run

MOLLWEIDE_WITHOUT_CODE = (
    'PROJCS["unnamed",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
    '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
    'PROJECTION["Mollweide"],PARAMETER["central_meridian",0],PARAMETER["false_easting",0],'
    'PARAMETER["false_northing",0],UNIT["metre",1]]'
)
# What _tif writes by default, as a processor would state it.
PRIOR = SourceFacts("EPSG:4326", north_up(-2, 8, 1), 8, 8, "float32")


def _tif(
    path: Path,
    *,
    crs: str | None,
    dtype: str = "float32",
    count: int = 1,
    nodata: float | None = None,
) -> Path:
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": count, "dtype": dtype}
    with rasterio.open(
        path, "w", crs=CRS.from_user_input(crs) if crs else None,
        transform=from_origin(-2, 8, 1, 1), nodata=nodata, **profile,
    ) as dst:  # fmt: skip
        dst.write(np.ones((count, 8, 8), dtype=dtype))
    return path


def test_a_crs_is_recognised_however_the_file_spells_it(tmp_path: Path) -> None:
    src = _tif(tmp_path / "a.tif", crs=MOLLWEIDE_WITHOUT_CODE)
    facts = read_facts(src, name="a.tif")
    prior = SourceFacts("ESRI:54009", facts.transform, 8, 8, "float32")
    assert differences(prior, facts) == []


def test_the_facts_are_read_from_the_file(tmp_path: Path) -> None:
    src = _tif(tmp_path / "a.tif", crs="EPSG:4326", dtype="int16", count=2, nodata=-5)
    facts = read_facts(src, name="a.tif")
    assert facts == SourceFacts("EPSG:4326", north_up(-2, 8, 1), 8, 8, "int16", 2, -5.0)
    assert SourceFacts.from_record(facts.record()) == facts


@pytest.mark.parametrize(
    ("crs", "dtype", "count", "nodata", "differs"),
    [
        ("EPSG:3857", "float32", 1, None, ["CRS EPSG:3857, not EPSG:4326"]),
        ("EPSG:4326", "int16", 1, None, ["pixel type int16, not float32"]),
        ("EPSG:4326", "float32", 2, -200, ["2 band(s), not 1", "NoData -200, not none"]),
    ],
)
def test_a_source_unlike_the_prior_is_described_not_refused(
    tmp_path: Path, crs: str, dtype: str, count: int, nodata: float | None, differs: list[str]
) -> None:
    src = _tif(tmp_path / "a.tif", crs=crs, dtype=dtype, count=count, nodata=nodata)
    assert differences(PRIOR, read_facts(src, name="a.tif")) == differs


def test_a_grid_unlike_the_prior_is_described(tmp_path: Path) -> None:
    src = _tif(tmp_path / "a.tif", crs="EPSG:4326")
    prior = SourceFacts("EPSG:4326", north_up(-180, 90, 0.5), 720, 360, "float32")
    assert differences(prior, read_facts(src, name="a.tif")) == [
        "8x8 pixels, not 720x360",
        "pixels of 1 x 1, not 0.5 x 0.5",
        "origin (-2, 8), not (-180, 90)",
    ]


def test_an_unreadable_source_is_named_in_words_a_person_can_act_on(tmp_path: Path) -> None:
    (tmp_path / "a.tif").write_bytes(b"not a tiff")
    with pytest.raises(SourceError) as caught:
        read_facts(tmp_path / "a.tif", name="a.tif")
    assert caught.value.message.startswith(
        "the publisher's file a.tif could not be read as a raster; it may be damaged"
    )


def test_a_source_without_a_crs_cannot_be_clipped(tmp_path: Path) -> None:
    src = _tif(tmp_path / "a.tif", crs=None)
    with pytest.raises(SourceError) as caught:
        read_facts(src, name="a.tif")
    assert caught.value.message == (
        "the publisher's file a.tif cannot be placed on the map: it declares no coordinate "
        "reference system"
    )


def test_files_kept_by_an_earlier_attempt_are_not_clipped_again(
    tmp_path: Path, gha: Boundary
) -> None:
    sources = [_tif(tmp_path / f"s{n}.tif", crs="EPSG:4326") for n in range(3)]
    files = [RasterFile(f"s{n}.tif", sub=f"s{n}", title=f"s{n}") for n in range(3)]
    store = ClipStore(tmp_path / "clips", {"processor": "test_processor.version_1"})

    def attempt(name: str, digests: list[str]) -> tuple[Run, list[OutputFile]]:
        run = Run(tmp_path / name, gha, None, clips=store)

        def locate(file: RasterFile, _span: object) -> nullcontext[Located]:
            number = int(file.sub[1])
            return nullcontext(Located(sources[number], digests[number], sources[number]))

        processor = SyntheticRasterTestProcessor()
        return run, clip_each(processor, run.ctx, files, locate, prior=PRIOR, span=(0, 90))

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


def test_facts_are_kept_beside_the_cached_source_by_member(tmp_path: Path) -> None:
    cached = tmp_path / "archive.zip"
    cached.write_bytes(b"zip")
    other = SourceFacts("ESRI:54009", north_up(0, 0, 250), 3, 4, "float64", nodata=float("nan"))
    assert last_seen(cached, "a.tif") is None

    remember(cached, "a.tif", PRIOR)
    remember(cached, "b.tif", other)

    assert last_seen(cached, "a.tif") == PRIOR
    seen = last_seen(cached, "b.tif")
    assert seen is not None and seen.nodata is not None and np.isnan(seen.nodata)
    assert seen.record() == other.record()
    record = tmp_path / "archive.zip.facts.json"
    assert sorted(json.loads(record.read_text())) == ["a.tif", "b.tif"]
    record.write_text("{not json")
    assert last_seen(cached, "a.tif") is None
