"""Writes and failed authentications are rate limited per client and per key; reads never."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.config import load_settings
from autopkg.errors import ConfigurationError
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.conftest import make_settings

WRITES = 3
FAILURES = 2


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """Clients at four addresses of one app holding keys ``k1`` and ``k2``."""
    settings = make_settings(
        tmp_path,
        api_keys="k1,k2",
        rate_writes_per_minute=WRITES,
        rate_auth_failures_per_minute=FAILURES,
    )
    rt = open_runtime(settings)
    app = create_app(rt, EmbeddedExecutor(rt, workers=0))
    hosts = {name: TestClient(app, client=(f"10.0.0.{n}", 5000)) for n, name in enumerate("abcd")}
    with hosts["a"]:
        yield hosts


def cancel(client: TestClient, key: str | None) -> int:
    """Cancel a job that does not exist: a cheap write (404 once admitted)."""
    headers = {"X-API-Key": key} if key else {}
    return client.delete("/v1/jobs/no-such-job", headers=headers).status_code


def test_writes_over_the_rate_get_429_with_retry_after(clients: dict[str, TestClient]) -> None:
    a = clients["a"]
    assert [cancel(a, "k1") for _ in range(WRITES)] == [404] * WRITES
    refused = a.delete("/v1/jobs/no-such-job", headers={"Authorization": "Bearer k1"})
    assert refused.status_code == 429
    # A token comes back every 60 / WRITES seconds.
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // WRITES
    assert "AUTOPKG_RATE_WRITES_PER_MINUTE" in refused.json()["detail"]
    # Another client with another key is not affected…
    assert cancel(clients["b"], "k2") == 404
    # …but the same key from another address is: keys are counted too.
    assert cancel(clients["c"], "k1") == 429


def test_the_client_address_is_counted_whatever_the_key(clients: dict[str, TestClient]) -> None:
    a = clients["a"]
    assert [cancel(a, "k1") for _ in range(WRITES)] == [404] * WRITES
    assert cancel(a, "k2") == 429
    assert cancel(clients["b"], "k2") == 404


def test_reads_are_never_limited(clients: dict[str, TestClient]) -> None:
    a = clients["a"]
    for _ in range(WRITES):
        cancel(a, "k1")
    for _ in range(FAILURES):
        cancel(a, "wrong")
    assert cancel(a, "k1") == 429
    # The public reads; with keys set a job listing needs a key (tests/api/test_job_ownership.py).
    for path in ("/v1/liveness", "/v1/packages", "/v1/processors", "/v1/jobs/no-such-job"):
        for _ in range(WRITES * 5):
            assert a.get(path).status_code in (200, 404), path
    assert a.options("/v1/jobs/x").status_code == 204


def test_failed_authentication_is_limited_per_client(clients: dict[str, TestClient]) -> None:
    d = clients["d"]
    assert [cancel(d, "guess") for _ in range(FAILURES)] == [401] * FAILURES
    refused = d.delete("/v1/jobs/x", headers={"X-API-Key": "guess"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // FAILURES
    assert "AUTOPKG_RATE_AUTH_FAILURES_PER_MINUTE" in refused.json()["detail"]
    # Checked before the key, so a right guess is slowed as much as a wrong one.
    assert cancel(d, "k1") == 429
    assert cancel(d, None) == 429
    # Other clients keep writing, and keep being told their key is wrong.
    assert cancel(clients["b"], "k2") == 404
    assert cancel(clients["c"], None) == 401


def test_without_keys_writes_are_still_limited_per_client(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_writes_per_minute=1)
    rt = open_runtime(settings)
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        assert cancel(client, None) == 404
        assert cancel(client, None) == 429


def test_zero_turns_a_rate_off(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, api_keys="k1", rate_writes_per_minute=0, rate_auth_failures_per_minute=0
    )
    rt = open_runtime(settings)
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        assert {cancel(client, "k1") for _ in range(100)} == {404}
        assert {cancel(client, "bad") for _ in range(100)} == {401}


@pytest.mark.parametrize("variable", ["RATE_WRITES_PER_MINUTE", "RATE_AUTH_FAILURES_PER_MINUTE"])
def test_rates_are_validated_at_start(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(f"AUTOPKG_{variable}", "-1")
    with pytest.raises(ConfigurationError, match=f"AUTOPKG_{variable}"):
        load_settings()
