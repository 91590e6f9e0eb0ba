"""``autopkg clip`` as a real subprocess: boundaries, output formats, layers, quiet stderr."""

from __future__ import annotations

import json
import os
import pty
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from autopkg.boundaries.builtin import get_builtin
from tests.cli.test_commands import assert_one_line_error, autopkg

SQUARE = {"type": "Polygon", "coordinates": [[[-2, 6], [0, 6], [0, 8], [-2, 8], [-2, 6]]]}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def clip_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a person's shell: default log level, a data folder of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOPKG_")}
    return {**env, "AUTOPKG_DATA_DIR": str(tmp_path_factory.mktemp("clip-data")), "COLUMNS": "120"}


@pytest.fixture(scope="module")
def small_raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0.1° uint8 grid over West Africa: Ghana's clip is smaller than one 128 tile,
    which makes GDAL's COG driver warn about the block size it is given."""
    path = tmp_path_factory.mktemp("raster") / "west_africa.tif"
    data = (np.arange(200 * 300) % 251 + 1).astype("uint8").reshape(1, 200, 300)
    with rasterio.open(
        path, "w", driver="GTiff", width=300, height=200, count=1, dtype="uint8",
        crs="EPSG:4326", transform=from_origin(-15, 20, 0.1, 0.1), nodata=0,
    ) as dst:  # fmt: skip
        dst.write(data)
    return path


@pytest.fixture(scope="module")
def two_layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with layers ``plants`` and ``mines`` and a header GDAL warns about."""
    path = tmp_path_factory.mktemp("vector") / "sites.gpkg"
    for layer, points in (("plants", [(-1, 6.5), (-1, 7)]), ("mines", [(-1.5, 7.5), (30, 0)])):
        pyogrio.raw.write(
            path,
            shapely.to_wkb(shapely.points(points)),
            [np.array([f"{layer}-{i}" for i in range(len(points))], dtype=object)],
            ["id"],
            layer=layer,
            driver="GPKG",
            geometry_type="Point",
            crs="EPSG:4326",
            append=path.exists(),
        )
    # Not GeoPackage's application id: GDAL reads the file but warns on every open.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 0")
    return path


def ids(path: Path) -> list[str]:
    return sorted(pyogrio.raw.read(path, columns=["id"])[3][0].tolist())


def test_a_small_raster_clip_prints_one_line_and_no_library_warning(
    clip_env: dict[str, str], small_raster: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gha.tif"
    result = autopkg(clip_env, "clip", str(small_raster), "-b", "gha", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"wrote {out}: 44x64 pixels"]
    # A fresh database says once that it loaded the countries; nothing else is said.
    assert [json.loads(line)["message"] for line in result.stderr.splitlines()] in (
        [],
        ["loaded 242 built-in Natural Earth boundaries"],
    )
    debug = autopkg(clip_env, "clip", str(small_raster), "-b", "gha", "-o", str(out), "--debug")
    assert debug.returncode == 0
    routed = [json.loads(line) for line in debug.stderr.splitlines() if "BLOCKSIZE" in line]
    assert routed and all(line["level"] == "DEBUG" for line in routed)


def test_a_multi_layer_source_says_which_layer_and_takes_layer(
    clip_env: dict[str, str], two_layers: Path, tmp_path: Path
) -> None:
    first = autopkg(clip_env, "clip", str(two_layers), "-b", "gha", "-o", str(tmp_path / "a.gpkg"))
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines()[-1:] == [
        "note: sites.gpkg has 2 layers (plants, mines); clipping 'plants' (choose one with --layer)"
    ]
    assert "application_id" not in first.stderr and "Warning" not in first.stderr
    assert ids(tmp_path / "a.gpkg") == ["plants-0", "plants-1"]

    chosen = autopkg(
        clip_env, "clip", str(two_layers), "-b", "gha", "--layer", "mines",
        "-o", str(tmp_path / "b.gpkg"),
    )  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stderr == ""
    assert chosen.stdout.splitlines() == [f"wrote {tmp_path / 'b.gpkg'}: 1 features"]
    assert ids(tmp_path / "b.gpkg") == ["mines-0"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("--layer", "roads"),
            "no layer 'roads' in sites.gpkg; its layers: plants, mines",
        ),
        (
            ("-o", "OUT/sites.tif"),
            "a vector layer is written as GeoPackage or GeoParquet: --output must end in "
            ".gpkg or .parquet, not 'sites.tif'",
        ),
        (("-b", '{"type": "Polygon"'), "--boundary is not valid JSON"),
        (("-b", '{"type": "Point", "coordinates": [0, 0]}'), "boundary: "),
        (("-b", "atlantis"), "--boundary 'atlantis' is neither a loaded boundary"),
    ],
)
def test_vector_mistakes_are_one_line_before_any_work(
    clip_env: dict[str, str], two_layers: Path, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    full = ["-b", "gha", "-o", "OUT/sites.gpkg", *args]
    full = [part.replace("OUT", str(tmp_path)) for part in full]
    assert_one_line_error(autopkg(clip_env, "clip", str(two_layers), *full), needle)
    assert list(tmp_path.iterdir()) == []


def test_a_raster_is_not_written_to_a_geopackage(
    clip_env: dict[str, str], small_raster: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gha.gpkg"
    result = autopkg(clip_env, "clip", str(small_raster), "-b", "gha", "-o", str(out))
    assert_one_line_error(
        result,
        "a raster is written as a Cloud Optimized GeoTIFF: --output must end in .tif or "
        ".tiff, not 'gha.gpkg'",
    )
    assert not out.exists()
    layered = autopkg(
        clip_env,
        "clip",
        str(small_raster),
        "-b",
        "gha",
        "--layer",
        "x",
        "-o",
        str(out.with_suffix(".tif")),
    )
    assert_one_line_error(layered, "--layer is for vector sources; west_africa.tif is a raster")
    assert list(tmp_path.iterdir()) == []


def test_inline_geojson_and_a_loaded_boundary(
    clip_env: dict[str, str], two_layers: Path, tmp_path: Path
) -> None:
    inline = autopkg(
        clip_env, "clip", str(two_layers), "--layer", "mines", "-b", json.dumps(SQUARE),
        "-o", str(tmp_path / "inline.gpkg"),
    )  # fmt: skip
    assert inline.returncode == 0, inline.stderr
    assert ids(tmp_path / "inline.gpkg") == ["mines-0"]

    east = shapely.box(-1.2, 6.0, 0.0, 8.0) & get_builtin("gha").geometry
    areas = tmp_path / "areas.geojson"
    areas.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "gha-east", "name_long": "Eastern Ghana"},
                        "geometry": shapely.geometry.mapping(east),
                    }
                ],
            }
        )
    )
    loaded = autopkg(clip_env, "boundaries", "load", str(areas))
    assert loaded.returncode == 0, loaded.stderr
    named = autopkg(
        clip_env, "clip", str(two_layers), "-b", "GHA-EAST", "-o", str(tmp_path / "east.gpkg")
    )
    assert named.returncode == 0, named.stderr
    assert ids(tmp_path / "east.gpkg") == ["plants-0", "plants-1"]


def test_log_lines_go_above_the_progress_bar(
    clip_env: dict[str, str], small_raster: Path, tmp_path: Path
) -> None:
    """On a terminal, every log line written during the clip arrives whole, on its own line."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "autopkg", "clip", str(small_raster), "-b", "gha",
         "-o", str(tmp_path / "gha.tif"), "--debug"],
        env=clip_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=120) == 0
    assert process.stdout is not None
    assert process.stdout.read().decode().startswith("wrote ")
    shown = _ANSI.sub("", b"".join(chunks).decode())
    pieces = [piece for piece in re.split(r"[\r\n]+", shown) if piece.strip()]
    assert any(piece.startswith("clipping west_africa.tif") for piece in pieces), pieces[-5:]
    logged = [piece for piece in pieces if '"level"' in piece]
    assert len(logged) > 10
    for piece in logged:
        assert json.loads(piece)["level"] in ("DEBUG", "INFO"), piece


def test_debug_is_in_help_and_lists_print_json(clip_env: dict[str, str]) -> None:
    shown = autopkg(clip_env, "--help")
    assert "--debug" in shown.stdout
    traced = autopkg(clip_env, "clip", "/no/such.tif", "-b", "gha", "-o", "x.tif", "--debug")
    assert traced.returncode == 1
    assert "Traceback" in traced.stderr and "ClipError: no such file: /no/such.tif" in traced.stderr
    boundaries = json.loads(autopkg(clip_env, "boundaries", "list", "--json").stdout)
    assert {"name": "gha", "name_long": "Ghana"} in boundaries
    processors = json.loads(autopkg(clip_env, "processors", "list", "--json").stdout)
    assert "wri_powerplants.version_130" in [p["id"] for p in processors]
    assert json.loads(autopkg(clip_env, "packages", "list", "--json").stdout) == []
