"""The deployment files: docker-compose.yaml validates, and publishes nothing unprotected."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types

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
    assert set(services) == {"api", "proxy", "worker", "postgis", "redis", "packages"}
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy", "packages"}
    assert "--requirepass" in services["redis"]["command"]
    assert "redis-secret" in services["redis"]["command"]
    api = services["api"]["environment"]
    assert api["AUTOPKG_API_KEYS"] == "k1"
    assert api["AUTOPKG_CELERY_BROKER"] == "redis://:redis-secret@redis:6379/0"
    assert api["AUTOPKG_SERVE_PACKAGES"] == "false"
    assert services["worker"]["command"] == ["autopkg", "worker"]
    assert api["AUTOPKG_PUBLIC_URL"] == "http://localhost:8000"
    assert "FORWARDED_ALLOW_IPS" not in services["worker"]["environment"]


def test_the_api_is_reached_through_a_proxy_bounding_slow_and_large_requests() -> None:
    services = yaml.safe_load(_config(SECRETS).stdout)["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    conf_file = ROOT / "deploy" / "nginx-api.conf"
    assert proxy["volumes"] == [f"{conf_file}:/etc/nginx/conf.d/default.conf:ro"]
    directives: dict[str, list[str]] = {}
    for line in conf_file.read_text().splitlines():
        words = line.split("#", 1)[0].strip().rstrip(";").split()
        if len(words) >= 2:
            directives.setdefault(words[0], []).append(" ".join(words[1:]))
    assert directives["proxy_pass"] == ["http://api:8000"]
    assert directives["client_header_timeout"] == ["10s"]
    assert directives["client_body_timeout"] == ["10s"]
    assert directives["large_client_header_buffers"] == ["4 16k"]
    assert directives["client_max_body_size"] == ["5m"]
    assert directives["proxy_request_buffering"] == ["on"]
    assert directives["limit_conn"] == ["api_per_client 100"]
    # The client address is replaced, never appended to what the client sent.
    assert "X-Forwarded-For $remote_addr" in directives["proxy_set_header"]


def test_compose_refuses_to_start_without_each_secret() -> None:
    for missing in SECRETS:
        result = _config({k: v for k, v in SECRETS.items() if k != missing})
        assert result.returncode != 0
        assert f"set {missing}" in result.stderr


def test_dockerfile_installs_the_locked_tree() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert (ROOT / "requirements.lock").is_file()
