"""The deployment files: docker-compose.yaml validates, and publishes nothing unprotected."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "POSTGRES_PASSWORD": "pg-secret",
    "REDIS_PASSWORD": "redis-secret",
    "AUTOPKG_API_KEYS": "k1",
}


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is required (scripts/install-system-packages installs it)"
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yaml"), "config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_validates_and_only_protected_services_are_published() -> None:
    result = _config(SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"api", "worker", "postgis", "redis", "packages"}
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"api", "packages"}
    assert "--requirepass" in services["redis"]["command"]
    assert "redis-secret" in services["redis"]["command"]
    api = services["api"]["environment"]
    assert api["AUTOPKG_API_KEYS"] == "k1"
    assert api["AUTOPKG_CELERY_BROKER"] == "redis://:redis-secret@redis:6379/0"
    assert api["AUTOPKG_SERVE_PACKAGES"] == "false"
    assert services["worker"]["command"] == ["autopkg", "worker"]


def test_compose_refuses_to_start_without_each_secret() -> None:
    for missing in SECRETS:
        result = _config({k: v for k, v in SECRETS.items() if k != missing})
        assert result.returncode != 0
        assert f"set {missing}" in result.stderr


def test_dockerfile_installs_the_locked_tree() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert (ROOT / "requirements.lock").is_file()
