"""The ``autopkg`` command line, run as a real subprocess."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from tests.fixtures.manifests import stored_data
from tests.fixtures.sources import GPPD_SUBSET

PLANTS = "wri_powerplants.version_130"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    return {
        **os.environ,
        "AUTOPKG_DATA_DIR": str(data),
        "AUTOPKG_SOURCE_MIRROR": source_mirror,
        "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
        "AUTOPKG_LOG_LEVEL": "WARNING",
    }


def autopkg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autopkg", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and needle in lines[0], lines


def test_processors_list_hides_test_processors_by_default(cli_env: dict[str, str]) -> None:
    result = autopkg(cli_env, "processors", "list")
    assert result.returncode == 0, result.stderr
    assert "natural_earth_raster.version_1" in result.stdout
    assert PLANTS in result.stdout
    assert "test_processor" not in result.stdout
    shown = autopkg({**cli_env, "AUTOPKG_INCLUDE_TEST_PROCESSORS": "true"}, "processors", "list")
    assert "test_fail_processor.version_1" in shown.stdout


def test_boundaries_list_shows_builtin_countries(cli_env: dict[str, str]) -> None:
    result = autopkg(cli_env, "boundaries", "list")
    assert result.returncode == 0, result.stderr
    assert "gha" in result.stdout and "Ghana" in result.stdout


@pytest.mark.slow
def test_load_custom_boundary_then_package_it_offline(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    area = shapely.box(-2.5, 5.0, 0.5, 8.0)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "ghana-south", "label": "Southern Ghana"},
                "geometry": shapely.geometry.mapping(area),
            },
            {
                "type": "Feature",
                "properties": {"code": "Bad Name!", "label": "Rejected"},
                "geometry": shapely.geometry.mapping(area),
            },
        ],
    }
    source = tmp_path / "areas.geojson"
    source.write_text(json.dumps(collection))
    loaded = autopkg(
        cli_env,
        "boundaries",
        "load",
        str(source),
        "--name-column",
        "code",
        "--long-name-column",
        "label",
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 1 boundaries" in loaded.stdout
    assert "row 2 rejected" in loaded.stderr and "bad name!" in loaded.stderr

    output = tmp_path / "packages"
    built = autopkg(cli_env, "package", "ghana-south", "-p", PLANTS, "--output", str(output))
    assert built.returncode == 0, built.stdout + built.stderr
    manifest = json.loads((output / "ghana-south" / "datapackage.json").read_text())
    (resource,) = stored_data(manifest)
    gpkg = output / "ghana-south" / resource["path"]
    _, _, wkb, _ = pyogrio.raw.read(gpkg)
    points = shapely.from_wkb(wkb)
    assert len(points) > 0
    assert shapely.covers(area, points).all()

    listed = autopkg(
        {**cli_env, "AUTOPKG_LOCALFS_STORAGE_BACKEND_ROOT": str(output)}, "packages", "list"
    )
    assert "ghana-south" in listed.stdout
    env = {**cli_env, "AUTOPKG_LOCALFS_STORAGE_BACKEND_ROOT": str(output)}
    assert autopkg(env, "packages", "validate", "ghana-south").returncode == 0
    summary = autopkg(env, "packages", "summary", "ghana-south", "--json")
    assert summary.returncode == 0, summary.stderr
    counts = [r for r in json.loads(summary.stdout) if r["statistic"] == "plant_count"]
    assert sum(r["value"] for r in counts) == len(points)
    assert {r["area"] for r in counts} == {"ghana-south"}
    table = autopkg(env, "packages", "summary", "ghana-south", "--statistic", "plant_count")
    assert "plant_count" in table.stdout and "capacity_mw" not in table.stdout

    # A file a failed run left in data/ is reported, and a rebuild does not adopt it.
    stray = gpkg.with_name(gpkg.name.replace("ghana-south", "stray-ghana-south"))
    stray.write_bytes(gpkg.read_bytes())
    reported = autopkg(env, "packages", "validate", "ghana-south")
    assert reported.returncode == 1
    stray_path = resource["path"].replace(gpkg.name, stray.name)
    assert f"ghana-south: {stray_path}: file is not in the manifest" in reported.stderr
    manifest_path = output / "ghana-south" / "datapackage.json"
    manifest_path.unlink()
    rebuilt = autopkg(env, "packages", "rebuild", "ghana-south")
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = json.loads(manifest_path.read_text())
    assert {k: v for k, v in again.items() if k != "created"} == {
        k: v for k, v in manifest.items() if k != "created"
    }
    # The manifest was lost, so the rebuilt one starts the versions again.
    assert again["version"] == "1.0.0"
    stray.unlink()
    assert autopkg(env, "packages", "validate", "ghana-south").returncode == 0
    # What QGIS writes beside a file it opened in place is a note, not a stray.
    gpkg.with_name(gpkg.name + ".aux.xml").write_text("<PAMDataset/>")
    noted = autopkg(env, "packages", "validate", "ghana-south")
    assert noted.returncode == 0, noted.stderr
    sidecar = resource["path"] + ".aux.xml"
    assert noted.stderr.startswith(f"note: ghana-south: {sidecar}: a GDAL sidecar"), noted.stderr
    gpkg.write_bytes(gpkg.read_bytes() + b"tampered")
    broken = autopkg(env, "packages", "validate", "ghana-south")
    assert broken.returncode == 1
    assert "ghana-south:" in broken.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("package", "gha", "-p", "nope.version_1"), "nope.version_1"),
        (("package", "atlantis", "-p", PLANTS), "atlantis"),
        (("packages", "validate", "zzz"), "no package"),
        (("packages", "summary", "zzz"), "no package"),
        (("packages", "summary", "gha", "--statistic", "people"), "unknown statistic 'people'"),
        (("package", "gha", "-p", PLANTS, "--options-json", "[1]"), "--options-json must be"),
        (
            ("package", "gha", "-p", PLANTS, "--options-json", f'{{"{PLANTS}": {{"x": 1}}}}'),
            f"options of {PLANTS}: x: Extra inputs are not permitted",
        ),
        (("boundaries", "load", "/no/such/file.geojson"), "no such file"),
        (("clip", "/no/such.tif", "--boundary", "gha", "--output", "/tmp/x.tif"), "such"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    cli_env: dict[str, str], args: tuple[str, ...], needle: str
) -> None:
    assert_one_line_error(autopkg(cli_env, *args), needle)


def test_bad_configuration_names_the_variable(cli_env: dict[str, str]) -> None:
    result = autopkg({**cli_env, "AUTOPKG_WORKERS": "many"}, "processors", "list")
    assert_one_line_error(result, "AUTOPKG_WORKERS")


def test_db_upgrade_is_idempotent(cli_env: dict[str, str]) -> None:
    for _ in range(2):
        result = autopkg(cli_env, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout


def test_package_runs_only_its_own_work_in_a_shared_database(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    from autopkg.config import Settings
    from autopkg.jobs import service
    from autopkg.jobs.embedded import EmbeddedExecutor
    from autopkg.runtime import open_runtime

    data = tmp_path / "shared"
    env = {**cli_env, "AUTOPKG_DATA_DIR": str(data), "AUTOPKG_INCLUDE_TEST_PROCESSORS": "true"}
    rt = open_runtime(Settings(data_dir=data, include_test_processors=True))

    # A server's queued work, older than the CLI's own.
    waiting = service.submit(
        rt, EmbeddedExecutor(rt, workers=0), boundary_name="gmb", processor_ids=[PLANTS]
    )
    built = autopkg(env, "package", "gha", "-p", "test_processor.version_1")
    assert built.returncode == 0, built.stderr
    assert (data / "packages" / "gha" / "datapackage.json").is_file()
    (others,) = service.status(rt, job_id=waiting.job_id).runs
    assert others.state.value == "PENDING"
    assert not (data / "packages" / "gmb").exists()
    rt.database.dispose()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        (
            {"AUTOPKG_DATABASE_URL": "postgresql+psycopg://svc:hunter2@127.0.0.1:1/nowhere"},
            "cannot reach the database postgresql+psycopg://svc:***@127.0.0.1:1/nowhere",
        ),
        (
            {"AUTOPKG_STORAGE_BACKEND": "awss3", "AUTOPKG_S3_BUCKET": "b"},
            "needs AUTOPKG_PACKAGES_HOST_URL",
        ),
        ({"AUTOPKG_CELERY_BACKEND": "redis://x"}, "AUTOPKG_CELERY_BROKER is not"),
        (
            {"AUTOPKG_DATABASE_URL": "postgresql+psycopg://svc:hunter2@127.0.0.1:99999/db"},
            "AUTOPKG_DATABASE_URL: Value error, not a valid URL (Port out of range",
        ),
        (
            {"AUTOPKG_DATABASE_URL": "postgresql+psycopg://svc:hunter2@127.0.0.1:54x/db"},
            "AUTOPKG_DATABASE_URL: Value error, not a valid URL (Port could not be cast",
        ),
        (
            {
                "AUTOPKG_STORAGE_BACKEND": "awss3",
                "AUTOPKG_S3_BUCKET": "b",
                "AUTOPKG_PACKAGES_HOST_URL": "http://cdn.example",
                "AUTOPKG_S3_ENDPOINT_URL": "s3 at hunter2",
            },
            "AUTOPKG_S3_ENDPOINT_URL: Value error, not a URL",
        ),
        (
            {
                "AUTOPKG_STORAGE_BACKEND": "awss3",
                "AUTOPKG_S3_BUCKET": "b",
                "AUTOPKG_PACKAGES_HOST_URL": "http://cdn.example",
                "AUTOPKG_S3_ENDPOINT_URL": "http://127.0.0.1:99999",
            },
            "AUTOPKG_S3_ENDPOINT_URL: Value error, not a valid URL (Port out of range",
        ),
    ],
)
def test_bad_production_settings_stop_start_up_with_one_line(
    cli_env: dict[str, str], env: dict[str, str], needle: str
) -> None:
    result = autopkg({**cli_env, **env}, "boundaries", "list")
    assert_one_line_error(result, needle)
    assert "hunter2" not in result.stderr


def test_serve_refuses_a_taken_port_at_once(cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = autopkg(cli_env, "serve", "--port", str(port))
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}: Address already in use")
    # Refused before the database is even opened: no migration ran.
    assert "alembic" not in result.stderr


def test_package_refuses_an_estimate_over_the_output_limit(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "AUTOPKG_MAX_OUTPUT_BYTES": "1000"}
    result = autopkg(env, "package", "gha", "-p", PLANTS)
    assert_one_line_error(result, "is over the limit of 1,000 bytes (AUTOPKG_MAX_OUTPUT_BYTES)")


def test_package_takes_processor_options(cli_env: dict[str, str], tmp_path: Path) -> None:
    storm = "storm.global_mosaics_version_1"
    options = {storm: {"models": ["constant"], "return_periods": [100]}}
    output = tmp_path / "packages"
    built = autopkg(
        cli_env, "package", "gmb", "-p", storm, "--output", str(output),
        "--options-json", json.dumps(options),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    manifest = json.loads((output / "gmb" / "datapackage.json").read_text())
    (resource,) = stored_data(manifest)
    name = "storm-global_mosaics_version_1-storm_fixed_return_periods_constant_100_yr_rp-gmb.tif"
    assert resource["path"].endswith(name)
    assert resource["autopkg:inputs"]["options"] == options[storm]


def test_package_takes_a_buffer_in_metres(cli_env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "packages"
    built = autopkg(
        cli_env, "package", "gmb", "-p", PLANTS, "--buffer-m", "40000", "--output", str(output)
    )
    assert built.returncode == 0, built.stderr
    folder = output / "gmb-buffer-40000m"
    assert f"{folder.resolve().as_uri()}/" in built.stdout
    (feature,) = json.loads((folder / "boundary.geojson").read_text())["features"]
    assert feature["properties"]["buffer_m"] == 40_000
    assert feature["properties"]["name_long"] == "The Gambia + 40 km"
    buffered = shape(feature["geometry"])
    (plants,) = folder.glob("datasets/wri_powerplants/version_130/data/*.gpkg")
    _, _, _, (ids,) = pyogrio.raw.read(plants, columns=["gppd_idnr"])
    # The plants of the stand-in that lie in the buffered area, found again here.
    with GPPD_SUBSET.open(newline="") as table:
        expected = {
            row["gppd_idnr"]
            for row in csv.DictReader(table)
            if buffered.contains(shapely.Point(float(row["longitude"]), float(row["latitude"])))
        }
    assert set(ids) == expected
    assert len(expected) >= 2
    over = autopkg(cli_env, "package", "gmb", "-p", PLANTS, "--buffer-m", "300000")
    assert_one_line_error(over, "over the limit of 200,000 m (AUTOPKG_MAX_BUFFER_M)")
