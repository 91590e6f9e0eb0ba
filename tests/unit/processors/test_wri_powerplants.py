"""wri_powerplants.version_130 on a CSV drifted from release 1.3.0: every value kept."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pyarrow as pa
import pyogrio.raw
import pytest
import shapely

from autopkg.domain.boundary import Boundary
from autopkg.errors import SourceError
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.drifted_vectors import drifted_vector_mirror, drifted_vector_mirror_root
from tests.fixtures.sources import (
    GPPD_COLUMNS,
    GPPD_DRIFTED_CAPACITY,
    GPPD_DRIFTED_EXTRA,
    GPPD_DRIFTED_GENERATION,
    GPPD_DRIFTED_MISSING,
    gppd_drifted_rows,
)
from tests.unit.processors.published import published_provenance
from tests.unit.processors.test_datasets import Run

__all__ = ["drifted_vector_mirror", "drifted_vector_mirror_root"]


def test_a_drifted_csv_publishes_every_value_and_counts_what_differs(
    tmp_path: Path, drifted_vector_mirror: str, gha: Boundary, caplog: pytest.LogCaptureFixture
) -> None:
    run = Run(tmp_path, gha, drifted_vector_mirror)
    with caplog.at_level(logging.WARNING):
        outputs = WriPowerplantsProcessor().run(run.ctx)

    inside = {
        row["gppd_idnr"]: row
        for row in gppd_drifted_rows()
        if row["longitude"]
        and shapely.intersects_xy(gha.geometry, float(row["longitude"]), float(row["latitude"]))
    }
    capacities = sum(row["capacity_mw"] == GPPD_DRIFTED_CAPACITY for row in inside.values())
    generations = sum(
        row["generation_gwh_2019"] == GPPD_DRIFTED_GENERATION for row in inside.values()
    )
    assert capacities and generations, "the drift is planted inside Ghana"
    _, table = pyogrio.raw.read_arrow(outputs[0].path)
    fields = [name for name in table.column_names if name != "geom"]
    assert fields == [*(c for c in GPPD_COLUMNS if c != GPPD_DRIFTED_MISSING), GPPD_DRIFTED_EXTRA]
    types = {name: table.schema.field(name).type for name in fields}
    assert types["capacity_mw"] == types["generation_gwh_2019"] == pa.string()
    assert types[GPPD_DRIFTED_EXTRA] == types["generation_gwh_2018"] == pa.float64()
    columns = table.to_pydict()
    assert sorted(columns["gppd_idnr"]) == sorted(inside)
    for index, plant in enumerate(columns["gppd_idnr"]):
        row = inside[plant]
        point = shapely.from_wkb(columns["geom"][index])
        assert (point.x, point.y) == (float(row["longitude"]), float(row["latitude"]))
        for name in fields:
            value, written = row[name], columns[name][index]
            if value == "":
                assert written is None, (plant, name)
            elif isinstance(written, str):
                assert written == value, (plant, name)
            else:
                assert written == float(value), (plant, name)

    record = published_provenance(tmp_path / "packages", gha, WriPowerplantsProcessor(), outputs)
    attributes = record["attributes"][outputs[0].path.name]
    assert attributes["coerced"] == {"capacity_mw": capacities, "generation_gwh_2019": generations}
    assert attributes["not_written"] == {"no geometry": 1}
    assert attributes["differences"] == [
        f"column {GPPD_DRIFTED_MISSING} is missing",
        "column capacity_mw is string, expected real",
        "column generation_gwh_2019 is string, expected real",
        f"extra column {GPPD_DRIFTED_EXTRA} (real)",
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "wri_powerplants.version_130: the attributes of global_power_plant_database.csv differ "
        f"from the expected: column {GPPD_DRIFTED_MISSING} is missing; column capacity_mw is "
        "string, expected real; column generation_gwh_2019 is string, expected real; extra "
        f"column {GPPD_DRIFTED_EXTRA} (real); {capacities + generations} value(s) written as "
        f"text (capacity_mw {capacities}, generation_gwh_2019 {generations}); 1 row(s) not "
        "written: no geometry"
    ]


def test_a_zip_without_the_table_fails_in_words_a_person_can_act_on(
    tmp_path: Path, gha: Boundary
) -> None:
    mirror = tmp_path / "mirror"
    zipped = mirror / mirror_relpath(WriPowerplantsProcessor.sources[0].url)
    zipped.parent.mkdir(parents=True)
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("README.txt", "the table moved")
    run = Run(tmp_path, gha, f"file://{mirror}")

    with pytest.raises(SourceError) as raised:
        WriPowerplantsProcessor().run(run.ctx)
    assert raised.value.message.startswith(
        "the publisher's file global_power_plant_database_v_1_3.zip could not be read: it "
        "holds no readable global_power_plant_database.csv; the publisher may have changed "
        "its layout, or the download is damaged (remove it from the source cache to fetch it "
        "again). Detail: "
    )
    assert not list(run.ctx.scratch.glob("*.gpkg"))
