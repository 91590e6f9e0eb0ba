"""What the command line imports before it runs a command: only what that command uses.

Timings belong to the benchmarks (``autopkg clip`` start-up in ``make bench``); here a
real interpreter runs the command and reports the modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Runs ``autopkg`` with the arguments after the first (a file), then writes the names
#: of every module loaded by then to that file, however the command exited.
PROBE = """
import json, sys
from autopkg.cli.main import main
report, sys.argv = sys.argv[1], ["autopkg", *sys.argv[2:]]
try:
    main()
finally:
    with open(report, "w") as handle:
        json.dump(sorted(sys.modules), handle)
"""

#: GDAL's bindings, the database, web and worker stacks: none is needed to print help.
HEAVY = ("rasterio", "pyogrio", "osgeo", "sqlalchemy", "alembic", "fastapi", "celery", "boto3")


def loaded_by(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``autopkg ARGS`` in a fresh interpreter; its result and the top-level packages loaded."""
    report = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        env={**os.environ, "AUTOPKG_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    modules = json.loads(report.read_text())
    return result, {name.partition(".")[0] for name in modules} | set(modules)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("--help",), ["clip", "serve", "boundaries", "jobs"]),
        (("clip", "--help"), ["--boundary", "--output", "--layer"]),
    ],
)
def test_help_loads_no_geospatial_database_or_web_library(
    tmp_path: Path, args: tuple[str, ...], shown: list[str]
) -> None:
    result, modules = loaded_by(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    for word in shown:
        assert word in result.stdout
    assert sorted(modules & set(HEAVY)) == []


def test_clip_loads_only_its_own_command_module(tmp_path: Path) -> None:
    _, modules = loaded_by(tmp_path, "clip", "--help")
    assert "autopkg.cli.clip" in modules
    assert {"autopkg.cli.serve", "autopkg.cli.jobs", "autopkg.cli.package"}.isdisjoint(modules)


def test_the_probe_sees_gdal_when_a_clip_runs(tmp_path: Path) -> None:
    # A clip that fails on its missing source has opened it with rasterio: the probe
    # above would have seen the libraries had help loaded them.
    result, modules = loaded_by(tmp_path, "clip", "/no/such.tif", "-b", "gha", "-o", "x.tif")
    assert result.returncode == 1
    assert "no such file: /no/such.tif" in result.stderr
    assert "rasterio" in modules
    assert "sqlalchemy" not in modules
