"""Log lines: JSON or text, the bound run fields on each, secrets replaced."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autopkg import logs
from autopkg.config import Settings

SECRETS: dict[str, Any] = {
    "api_keys": "key-number-one,key-number-two,short",
    "s3_secret_key": "s3-secret-value",
    "postgres_password": "pg-password",
    "database_url": "postgresql+psycopg://me:url%2Fpassword@db/autopkg",
    "celery_broker": "redis://:broker-password@redis:6379/0",
    "callback_secret": "callback-signing-key",
}
WRITTEN = [
    "key-number-one",
    "key-number-two",
    "s3-secret-value",
    "pg-password",
    "url%2Fpassword",
    "url/password",
    "broker-password",
    "callback-signing-key",
]


@pytest.fixture
def restore_root() -> Iterator[None]:
    """Put the root logger back as pytest configured it."""
    root = logging.getLogger()
    handlers, level, show = list(root.handlers), root.level, warnings.showwarning
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    warnings.showwarning = show


def configure(tmp_path: Path, log_format: str) -> None:
    logs.configure(Settings(data_dir=tmp_path, log_format=log_format, **SECRETS))


@pytest.mark.usefixtures("restore_root")
def test_json_lines_carry_the_run_fields_and_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, "json")
    log = logging.getLogger("autopkg.test")
    with logs.context(run_id="r1", boundary="gha"):
        log.info("connecting with %s and %s", "key-number-two", SECRETS["database_url"])
        try:
            raise RuntimeError("refused: s3-secret-value\nsecond line")
        except RuntimeError:
            log.exception("failed")
    log.warning("outside any run")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == "connecting with *** and postgresql+psycopg://me:***@db/autopkg"
    assert (first["run_id"], first["boundary"], first["level"]) == ("r1", "gha", "INFO")
    assert "RuntimeError: refused: ***" in second["exception"]
    assert second["run_id"] == "r1"
    assert "run_id" not in third
    for secret in WRITTEN:
        assert secret not in "\n".join(lines)


@pytest.mark.usefixtures("restore_root")
def test_a_run_names_every_job_waiting_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, "json")
    with logs.run_context(run_id="r1", boundary="gha", processor="p.v1", job_ids=["j1", "j2"]):
        logging.getLogger("autopkg.test").info("inside")
    (line,) = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    fields = {k: line[k] for k in ("job_id", "run_id", "boundary", "processor")}
    assert fields == {"job_id": "j1,j2", "run_id": "r1", "boundary": "gha", "processor": "p.v1"}


@pytest.mark.usefixtures("restore_root")
def test_text_lines_show_the_run_fields_and_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, "text")
    with logs.context(job_id="j1", run_id="r1"):
        logging.getLogger("autopkg.test").error("broker redis://:broker-password@redis")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("ERROR autopkg.test: broker redis://:***@redis [job_id=j1 run_id=r1]")


def test_secrets_are_every_configured_secret(tmp_path: Path) -> None:
    found = logs.secrets_of(Settings(data_dir=tmp_path, **SECRETS))
    # "short" is too short to be searched for without masking ordinary words.
    assert set(found) == set(WRITTEN)


def test_log_format_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from autopkg.config import load_settings
    from autopkg.errors import ConfigurationError

    monkeypatch.setenv("AUTOPKG_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="AUTOPKG_LOG_FORMAT"):
        load_settings()


def library_noise() -> None:
    """What GDAL and friends say on a normal run: a Python warning and a logged warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("GPKG: bad application_id on 'p.gpkg'", RuntimeWarning, stacklevel=1)
    logging.getLogger("rasterio._env").warning("CPLE_NotSupported in '64' is unexpected")
    logging.getLogger("autopkg.test").warning("a warning of our own")


@pytest.mark.usefixtures("restore_root")
def test_library_warnings_are_debug_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, "json")
    library_noise()
    (only,) = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert (only["logger"], only["message"]) == ("autopkg.test", "a warning of our own")

    logs.configure(Settings(data_dir=tmp_path, log_format="json", log_level="DEBUG"))
    library_noise()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("py.warnings", "DEBUG"),
        ("rasterio._env", "DEBUG"),
        ("autopkg.test", "WARNING"),
    ]
    assert lines[0]["message"].startswith("RuntimeWarning: GPKG: bad application_id")
