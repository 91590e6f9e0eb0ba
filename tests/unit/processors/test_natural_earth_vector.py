"""natural_earth_vector.version_1: the roads clipped for three kinds of boundary."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio
import pyogrio.raw
import pytest
import shapely

from autopkg.clip.geometry import repair
from autopkg.domain.boundary import Boundary
from autopkg.errors import SourceError
from autopkg.processors.datasets.natural_earth_vector.version_1 import (
    NaturalEarthVectorProcessor,
)
from autopkg.processors.fetch import mirror_relpath
from tests.fixtures.drifted_vectors import drifted_vector_mirror, drifted_vector_mirror_root
from tests.fixtures.standin_vectors import NE_DRIFTED_MISSING, NE_ROADS_FIELDS
from tests.unit.processors.published import published_provenance
from tests.unit.processors.test_datasets import Run, _clip_progress

__all__ = ["drifted_vector_mirror", "drifted_vector_mirror_root"]


def _expected_roads(
    source: Path, boundary: Boundary, names: list[str] | None = None
) -> dict[int, tuple[shapely.Geometry, dict[str, object]]]:
    """Brute force: every source road cut to the boundary, its line parts, by uident."""
    _, _, geometries, fields = pyogrio.raw.read(f"/vsizip/{source}/ne_10m_roads.shp")
    names = names or [name for name, _ in NE_ROADS_FIELDS]
    area = repair(boundary.geometry)
    expected = {}
    for index, wkb in enumerate(geometries):
        cut = shapely.intersection(shapely.from_wkb(wkb), area)
        parts = shapely.get_parts(cut)
        lines = [p for p in parts if shapely.get_dimensions(p) == 1 and not p.is_empty]
        if lines:
            row = {name: fields[i][index] for i, name in enumerate(names)}
            expected[int(row["uident"])] = (shapely.MultiLineString(lines), row)
    return expected


def test_roads_are_clipped_with_every_attribute(
    tmp_path: Path, source_mirror: str, source_mirror_root: Path, country: Boundary
) -> None:
    run = Run(tmp_path, country, source_mirror)

    outputs = NaturalEarthVectorProcessor().run(run.ctx)

    assert [o.path.name for o in outputs] == [f"natural_earth_vector-version_1-{country.name}.gpkg"]
    assert (outputs[0].format, outputs[0].mediatype) == ("gpkg", "application/geopackage+sqlite3")
    assert not outputs[0].empty
    info = pyogrio.read_info(outputs[0].path)
    assert (info["crs"], info["geometry_type"]) == ("EPSG:4326", "MultiLineString")
    assert list(info["fields"]) == [name for name, _ in NE_ROADS_FIELDS]
    source = source_mirror_root / mirror_relpath(NaturalEarthVectorProcessor.sources[0].url)
    expected = _expected_roads(source, country)
    assert len(expected) >= 10
    _, _, geometries, fields = pyogrio.raw.read(outputs[0].path)
    columns = dict(zip(info["fields"], fields, strict=True))
    got = [int(uident) for uident in columns["uident"]]
    assert sorted(got) == sorted(expected)
    for index, uident in enumerate(got):
        geometry, row = expected[uident]
        clipped = shapely.from_wkb(geometries[index])
        # Same point set: a self-crossing road may come back whole or noded at its crossings.
        assert shapely.hausdorff_distance(clipped, geometry) < 1e-9, uident
        assert np.isclose(clipped.length, geometry.length), uident
        assert shapely.covered_by(clipped, shapely.buffer(country.geometry, 1e-9))
        for name, value in row.items():
            got_value = columns[name][index]
            if isinstance(value, float):
                assert np.isclose(got_value, value), (uident, name)
            else:
                assert got_value == value, (uident, name)
    _clip_progress(run, "clipping ne_10m_roads.shp")


def test_a_drifted_release_publishes_every_value_and_counts_what_differs(
    tmp_path: Path,
    drifted_vector_mirror: str,
    drifted_vector_mirror_root: Path,
    gha: Boundary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = Run(tmp_path, gha, drifted_vector_mirror)
    with caplog.at_level(logging.WARNING):
        outputs = NaturalEarthVectorProcessor().run(run.ctx)

    names = [name for name, _ in NE_ROADS_FIELDS if name not in NE_DRIFTED_MISSING]
    source = drifted_vector_mirror_root / mirror_relpath(NaturalEarthVectorProcessor.sources[0].url)
    expected = _expected_roads(source, gha, names)
    unfit = sum(row["scalerank"] == "9+" for _, row in expected.values())
    assert len(expected) >= 10 and unfit, "the drift is planted inside Ghana"
    _, table = pyogrio.raw.read_arrow(outputs[0].path)
    assert [name for name in table.column_names if name != "geom"] == names
    assert table.schema.field("scalerank").type == pa.string()
    columns = table.to_pydict()
    assert sorted(columns["uident"]) == sorted(expected)
    for index, uident in enumerate(columns["uident"]):
        geometry, row = expected[uident]
        clipped = shapely.from_wkb(columns["geom"][index])
        assert shapely.hausdorff_distance(clipped, geometry) < 1e-9, uident
        assert np.isclose(clipped.length, geometry.length), uident
        assert {name: columns[name][index] for name in names} == row, uident

    record = published_provenance(
        tmp_path / "packages", gha, NaturalEarthVectorProcessor(), outputs
    )
    attributes = record["attributes"][outputs[0].path.name]
    assert attributes["coerced"] == {"scalerank": unfit}
    assert attributes["not_written"] == {}
    assert attributes["differences"] == [
        "column min_zoom is missing",
        "column min_label is missing",
        "column scalerank is string, expected integer",
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith(
        "natural_earth_vector.version_1: the attributes of ne_10m_roads.shp differ"
    )


def test_a_source_without_lines_is_refused(tmp_path: Path, gha: Boundary) -> None:
    mirror = tmp_path / "mirror"
    zipped = mirror / mirror_relpath(NaturalEarthVectorProcessor.sources[0].url)
    zipped.parent.mkdir(parents=True)
    shp = tmp_path / "ne_10m_roads.shp"
    pyogrio.raw.write(
        shp,
        geometry=shapely.to_wkb(np.array([shapely.Point(0, 6)])),
        field_data=[np.array([1], dtype="int32")],
        fields=["uident"],
        crs="EPSG:4326",
        geometry_type="Point",
        driver="ESRI Shapefile",
    )
    with zipfile.ZipFile(zipped, "w") as archive:
        for suffix in ("shp", "shx", "dbf", "prj"):
            archive.write(shp.with_suffix(f".{suffix}"), f"ne_10m_roads.{suffix}")
    run = Run(tmp_path, gha, f"file://{mirror}")

    with pytest.raises(
        SourceError,
        match=r"^the publisher's file ne_10m_roads.zip could not be used: ne_10m_roads.shp "
        "holds Point geometries, expected lines$",
    ):
        NaturalEarthVectorProcessor().run(run.ctx)
