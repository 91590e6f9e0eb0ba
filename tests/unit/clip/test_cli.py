"""``autopkg clip``: boundary lookup, format detection, output and one-line errors."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pyogrio
import pytest
import rasterio
import shapely
import typer
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon
from typer.testing import CliRunner

from autopkg.boundaries.builtin import get_builtin
from autopkg.cli.clip import clip_command
from autopkg.clip import clip_raster, clip_vector

app = typer.Typer()
app.command()(clip_command)
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Boundary names are looked up in a database: one for the module, seeded on first use."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOPKG_DATA_DIR", str(tmp_path_factory.mktemp("clip-cli-data")))
        patch.setenv("AUTOPKG_LOG_LEVEL", "WARNING")
        yield


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The command configures the root logger and warnings; put pytest's back."""
    root = logging.getLogger()
    handlers, level, show = list(root.handlers), root.level, warnings.showwarning
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    warnings.showwarning = show


def write_geojson(path: Path, geom: shapely.Geometry, crs: str = "EPSG:4326") -> Path:
    """A one-feature GeoJSON file holding ``geom``."""
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([geom])),
        [np.array(["x"], dtype=object)],
        ["name"],
        driver="GeoJSON",
        geometry_type="MultiPolygon",
        crs=crs,
    )
    return path


def test_raster_with_geojson_boundary(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    boundary = write_geojson(tmp_path / "ghana.geojson", countries["GHA"])
    out = tmp_path / "out" / "gha.tif"
    result = runner.invoke(
        app, [str(uint8_world), "--boundary", str(boundary), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}: 43x64 pixels"
    reference = clip_raster(uint8_world, countries["GHA"], tmp_path / "reference.tif")
    with rasterio.open(out) as got, rasterio.open(reference.path) as want:
        assert got.transform == want.transform
        assert np.array_equal(got.read(), want.read())


def test_boundary_file_in_another_crs_is_reprojected(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mercator = shapely.transform(
        countries["GHA"], lambda xy: np.column_stack(to_mercator.transform(xy[:, 0], xy[:, 1]))
    )
    boundary = write_geojson(tmp_path / "ghana_3857.json", mercator, crs="EPSG:3857")
    out = tmp_path / "gha.tif"
    result = runner.invoke(app, [str(uint8_world), "-b", str(boundary), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}: 43x64 pixels"


def test_vector_with_builtin_boundary(lines_gpkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "gha.gpkg"
    result = runner.invoke(app, [str(lines_gpkg), "--boundary", "GHA", "--output", str(out)])
    assert result.exit_code == 0, result.output
    reference = clip_vector(lines_gpkg, get_builtin("gha").geometry, tmp_path / "reference.gpkg")
    assert result.stdout.strip() == f"wrote {out}: {reference.features} features"
    got = pyogrio.raw.read(out, columns=["id"])[3][0]
    want = pyogrio.raw.read(reference.path, columns=["id"])[3][0]
    assert sorted(got.tolist()) == sorted(want.tolist())


def test_vector_to_geoparquet(lines_gpkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "gha.parquet"
    result = runner.invoke(app, [str(lines_gpkg), "--boundary", "gha", "--output", str(out)])
    assert result.exit_code == 0, result.output
    reference = clip_vector(lines_gpkg, get_builtin("gha").geometry, tmp_path / "reference.gpkg")
    table = pq.read_table(out)
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["primary_column"] == "geom"
    column = geo["columns"]["geom"]
    assert column["encoding"] == "WKB"
    assert column["geometry_types"] == ["MultiLineString"]
    assert CRS.from_json_dict(column["crs"]) == CRS.from_epsg(4326)
    _, _, wkb, fields = pyogrio.raw.read(reference.path, columns=["id"])
    want = dict(zip(fields[0].tolist(), shapely.from_wkb(wkb), strict=True))
    got = dict(
        zip(table["id"].to_pylist(), shapely.from_wkb(table["geom"].to_pylist()), strict=True)
    )
    assert got.keys() == want.keys() and len(got) == reference.features > 0
    assert all(shapely.equals_exact(got[key], want[key], tolerance=0) for key in got)


def test_vector_output_suffix_must_name_a_format(lines_gpkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "gha.shp"
    result = runner.invoke(app, [str(lines_gpkg), "--boundary", "gha", "--output", str(out)])
    assert result.exit_code == 1
    assert "--output must end in .gpkg or .parquet, not 'gha.shp'" in result.output
    assert not out.exists()


def test_empty_result_is_reported(lines_gpkg: Path, tmp_path: Path) -> None:
    boundary = write_geojson(
        tmp_path / "pole.geojson", MultiPolygon([shapely.box(10, 89.5, 11, 90)])
    )
    result = runner.invoke(
        app, [str(lines_gpkg), "-b", str(boundary), "-o", str(tmp_path / "o.gpkg")]
    )
    assert result.exit_code == 0, result.output
    assert "0 features (empty" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-b", "atlantis"],
            "error: --boundary 'atlantis' is neither a loaded boundary (see autopkg "
            "boundaries list), a file, nor inline GeoJSON",
        ),
        (
            ["-b", "gha", "--format", "table"],
            "error: --format must be raster or vector, not 'table'",
        ),
    ],
)
def test_user_errors_are_one_line(
    uint8_world: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, [str(uint8_world), *args, "-o", str(tmp_path / "o.tif")])
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert not (tmp_path / "o.tif").exists()


def test_unreadable_source_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dat"
    junk.write_text("hello")
    result = runner.invoke(app, [str(junk), "-b", "gha", "-o", str(tmp_path / "o.tif")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {junk} is neither a raster nor a vector file GDAL can read\n"
    missing = runner.invoke(app, [str(tmp_path / "nope.tif"), "-b", "gha", "-o", "o.tif"])
    assert missing.exit_code == 1
    assert missing.stderr == f"error: no such file: {tmp_path / 'nope.tif'}\n"


def test_forced_format_mismatch_is_one_line(uint8_world: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, [str(uint8_world), "-b", "gha", "-f", "vector", "-o", str(tmp_path / "o.gpkg")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot read vector file {uint8_world}")
    assert result.stderr.count("\n") == 1
