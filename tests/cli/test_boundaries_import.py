"""``autopkg boundaries import``, run as a real subprocess against the stand-in mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.runtime import open_runtime
from tests.cli.test_commands import assert_one_line_error, autopkg
from tests.fixtures.standin_geoboundaries import (
    BROKEN_NAME,
    GeoBoundariesMirror,
    geoboundaries_mirror,
)

__all__ = ["geoboundaries_mirror"]


def _env(data: Path, mirror: str) -> dict[str, str]:
    return {
        **os.environ,
        "AUTOPKG_DATA_DIR": str(data),
        "AUTOPKG_SOURCE_MIRROR": mirror,
        "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
        "AUTOPKG_LOG_LEVEL": "ERROR",
    }


def test_import_loads_named_countries_once_and_reports_skipped_units(
    tmp_path: Path, geoboundaries_mirror: GeoBoundariesMirror
) -> None:
    env = _env(tmp_path, geoboundaries_mirror.url)
    written = geoboundaries_mirror.written
    result = autopkg(env, "boundaries", "import", "GHA", "fji")
    assert result.returncode == 0, result.stderr
    adm1 = len(written["GHA"].features[1])
    adm2 = len(written["GHA"].features[2]) - 1  # the folded line is skipped
    assert f"gha: loaded {adm1} admin-1, {adm2} admin-2 units" in result.stdout
    assert f"fji: loaded {len(written['FJI'].features[1])} admin-1, 0 admin-2 units" in (
        result.stdout
    )
    assert BROKEN_NAME in result.stderr
    again = autopkg(env, "boundaries", "import", "gha")
    assert again.returncode == 0 and again.stdout == ""
    rt = open_runtime(Settings(data_dir=tmp_path))
    with rt.database.read_session() as session:
        assert len(boundary_repo.children(session, parent="gha")) == adm1
    rt.database.dispose()


@pytest.mark.slow
def test_import_level_1_only_then_bad_arguments(
    tmp_path: Path, geoboundaries_mirror: GeoBoundariesMirror
) -> None:
    env = _env(tmp_path, geoboundaries_mirror.url)
    result = autopkg(env, "boundaries", "import", "gha", "--levels", "1")
    assert result.returncode == 0, result.stderr
    assert "admin-2" not in result.stdout and "admin-1" in result.stdout
    assert_one_line_error(autopkg(env, "boundaries", "import", "gha", "--levels", "3"), "--levels")
    assert_one_line_error(autopkg(env, "boundaries", "import", "atlantis"), "atlantis")
    assert_one_line_error(autopkg(env, "boundaries", "import"), "--all")


@pytest.mark.slow
def test_import_all_loads_every_country_the_mirror_has(
    tmp_path: Path, geoboundaries_mirror: GeoBoundariesMirror
) -> None:
    env = _env(tmp_path, geoboundaries_mirror.url)
    result = autopkg(env, "boundaries", "import", "--all")
    assert result.returncode == 0, result.stderr
    assert "gha: loaded" in result.stdout and "fji: loaded" in result.stdout
    # The other countries have no stand-in: the publisher's 404 is "no units".
    assert "ken: loaded 0 admin-1, 0 admin-2 units" in result.stdout
    assert len(result.stdout.splitlines()) == 242
