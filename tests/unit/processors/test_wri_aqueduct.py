"""wri_aqueduct.version_2: the files an HTML listing names, skipped variants aside."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio

from autopkg.errors import SourceError
from autopkg.processors.datasets.wri_aqueduct.version_2 import (
    LISTING,
    WriAqueductProcessor,
    file_source,
    listed_files,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.standin_aqueduct import (
    AQUEDUCT_GRID,
    AQUEDUCT_NODATA,
    aqueduct_value,
    kept_names,
    listing_html,
    make_aqueduct_folder,
    published_names,
    sample_names,
)
from tests.unit.processors.checks import check_clipped_pixels
from tests.unit.processors.conftest import load_country
from tests.unit.processors.test_datasets import COG_MEDIATYPE, Run

NAME = "wri_aqueduct-version_2"


@pytest.fixture(scope="module")
def aqueduct_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in folder: a listing of the 100-year maps and their GeoTIFFs."""
    return make_aqueduct_folder(tmp_path_factory.mktemp("aqueduct"))


def test_the_listing_gives_the_379_kept_files_in_order() -> None:
    names = listed_files(listing_html(published_names()))
    assert names == kept_names() and len(names) == 379
    assert names[0] == "inunriver_historical_000000000WATCH_1980_rp00002.tif"
    assert names[-1] == "inuncoast_rcp8p5_wtsub_2080_rp1000_0.tif"
    # Names in text nodes only; once each; one dot; nothing that leaves the folder.
    page = (
        "<p>a.tif</p><a href='b.tif'>see b</a><p> a.tif </p><p>c.tif.aux.xml</p>"
        "<p>../d.tif</p><p>e_nosub.tif</p><p>f_perc_05.tif</p><p>g.TIF</p><p>h-1.tif</p>"
    )
    assert listed_files(page) == ["a.tif", "h-1.tif"]


def test_every_listed_file_is_fetched_once_and_clipped_in_turn(
    tmp_path: Path, aqueduct_root: Path
) -> None:
    gambia = load_country("gmb")
    log = RequestLog()
    with serve_directory(aqueduct_root, log=log) as mirror:
        run = Run(tmp_path, gambia, mirror)
        outputs = WriAqueductProcessor().run(run.ctx)

    names = [name for name in sample_names() if name in kept_names()]
    assert len(names) == 41
    fetched = [LISTING.url, *(file_source(name).url for name in names)]
    assert dict(log.hits) == {f"/{mirror_relpath(url)}": 1 for url in fetched}
    skipped = [n for n in sample_names() if n not in names]
    assert sum((aqueduct_root / mirror_relpath(file_source(n).url)).is_file() for n in skipped) == 2
    assert [o.path.name for o in outputs] == [
        f"{NAME}-{name.removesuffix('.tif').lower()}-gmb.tif" for name in names
    ]
    assert {(o.mediatype, o.empty) for o in outputs} == {(COG_MEDIATYPE, False)}
    for index in (0, 30, 31, 40):
        with rasterio.open(outputs[index].path) as out:
            assert (out.crs.to_epsg(), out.dtypes[0]) == (4326, "float32")
        inside = check_clipped_pixels(
            outputs[index].path, gambia.geometry, aqueduct_value(index), AQUEDUCT_GRID,
            nodata=AQUEDUCT_NODATA, period=43200,
        )  # fmt: skip
        assert inside > 5000
    tasks = [task for _, task in run.reports]
    for number, name in enumerate(names, start=1):
        done = tasks.index(f"clipped {name} ({number} of 41)")
        assert tasks.index(f"downloading {name}") < tasks.index(f"clipping {name}") < done
    ends = [p for p, task in run.reports if task.startswith("clipped ")]
    assert ends == sorted(set(ends)) and len(ends) == 41 and ends[-1] == 99
    assert run.percents() == sorted(run.percents()) and run.percents()[-1] == 100


def test_a_listing_naming_no_geotiff_is_refused(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    listing = mirror / mirror_relpath(LISTING.url)
    listing.parent.mkdir(parents=True)
    listing.write_text("<html><body><h1>Access Denied</h1></body></html>")
    run = Run(tmp_path, load_country("gmb"), f"file://{mirror}")

    with pytest.raises(SourceError, match=r"listing http://wri-projects\S+ names no GeoTIFF$"):
        WriAqueductProcessor().run(run.ctx)
