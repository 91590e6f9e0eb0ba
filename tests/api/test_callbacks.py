"""Callbacks through the API: notify_url, the OGC subscriber, refusals and conformance.

A service of its own (callbacks on, loopback allowed, fast polling) runs real jobs and
calls back a real HTTP receiver; signatures are checked with :mod:`hmac`, and each
document is compared with what the status route answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from autopkg.api.app import create_app
from autopkg.db.models import CallbackDeliveryRecord
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings, wait_until_complete
from tests.fixtures.receiver import Received, Receiver, receiving

SECRET = "api-callback-secret"
CALLBACK_CLASS = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback"
OK = "test_processor.version_1"
FAILING = "test_fail_processor.version_1"


@pytest.fixture(scope="module")
def hooked_runtime(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Runtime:
    """A service with callbacks on, loopback allowed (the receiver is there)."""
    return open_runtime(
        make_settings(
            tmp_path_factory.mktemp("callbacks-api"),
            source_mirror=source_mirror,
            rate_writes_per_minute=0,
            callback_secret=SECRET,
            callback_allowed_networks="127.0.0.0/8,::1/128",
            callback_poll_secs=0.02,
            callback_backoff_secs=0.05,
        )
    )


@pytest.fixture(scope="module")
def hooked(hooked_runtime: Runtime) -> Iterator[TestClient]:
    """Its API, with embedded workers and the callback sender running."""
    app = create_app(hooked_runtime, EmbeddedExecutor(hooked_runtime, workers=2))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """One receiver for the module; each test uses paths of its own."""
    with receiving() as started:
        yield started


def verified(received: Received) -> dict[str, Any]:
    """The body of a callback whose signature is right (recomputed here)."""
    digest = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-autopkg-signature"] == f"sha256={digest}"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("autopkg/")
    document: dict[str, Any] = json.loads(received.body)
    return document


def delivered_events(rt: Runtime, job_id: str) -> list[tuple[str, str]]:
    """(event, url path) of every delivery recorded for the job, sorted."""
    with rt.database.read_session() as session:
        rows = session.execute(
            select(CallbackDeliveryRecord.event, CallbackDeliveryRecord.url).where(
                CallbackDeliveryRecord.job_id == job_id
            )
        ).tuples()
        return sorted((event, "/" + url.split("/", 3)[3]) for event, url in rows)


def complete_at(path: str) -> Any:
    """Whether a ``complete`` callback has arrived at ``path``."""
    return lambda arrived: any(
        item.path == path and item.headers["x-autopkg-event"] == "complete" for item in arrived
    )


def test_notify_url_is_sent_the_job_status_signed(
    hooked: TestClient, hooked_runtime: Runtime, receiver: Receiver
) -> None:
    submitted = hooked.post(
        "/v1/jobs",
        json={"boundary_name": "gmb", "processors": [OK], "notify_url": receiver.url("/notify")},
    )
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    wait_until_complete(hooked, job_id)
    receiver.wait_until(complete_at("/notify"))
    calls = receiver.received("/notify")
    events = [call.headers["x-autopkg-event"] for call in calls]
    # The running change is sent when a look caught the run executing.
    assert events in (["complete"], ["running", "complete"]), events
    final = calls[-1]
    # Byte for byte the body the status route answers now that the job is complete.
    assert final.body == hooked.get(f"/v1/jobs/{job_id}").content
    document = verified(final)
    assert (document["job_id"], document["job_group_outcome"]) == (job_id, "SUCCESS")
    assert document["job_group_processors"][0]["job_status"] == "SUCCESS"
    if len(calls) == 2:
        assert verified(calls[0])["job_group_status"] == "PENDING"
    assert len({call.headers["x-autopkg-delivery"] for call in calls}) == len(calls)
    assert [event for event, _ in delivered_events(hooked_runtime, job_id)] == sorted(events)


def ogc_called_back(
    hooked: TestClient,
    receiver: Receiver,
    process: str,
    boundary: str,
    subscriber: dict[str, str],
    told: str,
) -> tuple[str, dict[str, Any]]:
    """Execute ``process`` for ``boundary`` with ``subscriber`` (its URIs as receiver paths).

    Waits for the one callback at the path ``told``, whose body must be the job's status
    info as the status route answers it, and whose signature must be right; no other
    path but the in-progress one has been called. Returns the job id and that document.
    """
    response = hooked.post(
        f"/ogc/processes/{process}/execution",
        json={
            "inputs": {"boundary_name": boundary},
            "subscriber": {key: receiver.url(path) for key, path in subscriber.items()},
        },
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    (callback,) = receiver.wait_for(1, told)
    assert callback.body == hooked.get(f"/ogc/jobs/{job_id}").content
    document = verified(callback)
    for key, path in subscriber.items():
        if path != told and key != "inProgressUri":
            assert receiver.received(path) == [], key
    return job_id, document


def test_ogc_success_uri_is_sent_the_status_info(
    hooked: TestClient, hooked_runtime: Runtime, receiver: Receiver
) -> None:
    subscriber = {
        "successUri": "/ogc-ok/success",
        "failedUri": "/ogc-ok/failed",
        "inProgressUri": "/ogc-ok/progress",
    }
    job_id, info = ogc_called_back(hooked, receiver, OK, "sen", subscriber, "/ogc-ok/success")
    assert (info["jobID"], info["processID"], info["status"]) == (job_id, OK, "successful")
    links = {link["rel"]: link["href"] for link in info["links"]}
    assert links["self"] == f"http://testserver/ogc/jobs/{job_id}"
    results = links["http://www.opengis.net/def/rel/ogc/1.0/results"]
    assert hooked.get(results).json()["package"]["href"].endswith("/sen/datapackage.json")
    recorded = delivered_events(hooked_runtime, job_id)
    assert ("complete", "/ogc-ok/success") in recorded
    assert all(path != "/ogc-ok/failed" for _, path in recorded)
    assert set(recorded) <= {("complete", "/ogc-ok/success"), ("running", "/ogc-ok/progress")}


def test_ogc_failed_uri_is_sent_the_failure(
    hooked: TestClient, hooked_runtime: Runtime, receiver: Receiver
) -> None:
    subscriber = {"successUri": "/ogc-ko/success", "failedUri": "/ogc-ko/failed"}
    job_id, info = ogc_called_back(hooked, receiver, FAILING, "ner", subscriber, "/ogc-ko/failed")
    assert (info["jobID"], info["status"]) == (job_id, "failed")
    assert delivered_events(hooked_runtime, job_id) == [("complete", "/ogc-ko/failed")]


def test_conformance_declares_callbacks_only_when_they_are_signed(
    hooked: TestClient, client: TestClient
) -> None:
    assert CALLBACK_CLASS in hooked.get("/ogc/conformance").json()["conformsTo"]
    assert CALLBACK_CLASS not in client.get("/ogc/conformance").json()["conformsTo"]


def test_callbacks_are_refused_where_they_cannot_be_signed(
    client: TestClient, receiver: Receiver
) -> None:
    refused = client.post(
        "/v1/jobs",
        json={"boundary_name": "tcd", "processors": [OK], "notify_url": receiver.url("/unsigned")},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("notify_url: callbacks are not enabled")
    ogc = client.post(
        f"/ogc/processes/{OK}/execution",
        json={
            "inputs": {"boundary_name": "tcd"},
            "subscriber": {"successUri": receiver.url("/unsigned")},
        },
    )
    # Under /ogc a refusal is an exception document, and OGC lists no 422.
    assert ogc.status_code == 400
    assert ogc.headers["content-type"] == "application/problem+json"
    assert "AUTOPKG_CALLBACK_SECRET" in ogc.json()["detail"]
    assert receiver.received("/unsigned") == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.0.0.1/hook", "10.0.0.1, a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("https://user:pw@example.org/hook", "credentials in the URL"),
        ("ftp://example.org/hook", "only http:// and https://"),
    ],
)
def test_unacceptable_notify_urls_are_refused_at_submission(
    hooked: TestClient, url: str, words: str
) -> None:
    before = hooked.get("/v1/jobs").json()["total"]
    for dry_run in ("false", "true"):
        refused = hooked.post(
            f"/v1/jobs?dry_run={dry_run}",
            json={"boundary_name": "bfa", "processors": [OK], "notify_url": url},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith("notify_url: ")
        assert words in refused.json()["detail"]
    assert hooked.get("/v1/jobs").json()["total"] == before


def test_loopback_is_refused_unless_allowed_and_never_contacted(
    hooked_runtime: Runtime, hooked: TestClient, receiver: Receiver
) -> None:
    # The same service and database, without the allowed networks.
    strict = Runtime(
        settings=hooked_runtime.settings.model_copy(update={"callback_allowed_networks": []}),
        database=hooked_runtime.database,
        storage=hooked_runtime.storage,
        registry=hooked_runtime.registry,
    )
    plain = TestClient(create_app(strict, EmbeddedExecutor(strict, workers=1)))
    before = hooked.get("/v1/jobs").json()["total"]
    for host, address in (("127.0.0.1", "127.0.0.1"), ("localhost", "")):
        refused = plain.post(
            "/v1/jobs",
            json={
                "boundary_name": "mrt",
                "processors": [OK],
                "notify_url": receiver.url("/private", host=host),
            },
        )
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert f"notify_url: {host} resolves to {address}" in detail
        assert "a loopback address" in detail
        assert "AUTOPKG_CALLBACK_ALLOWED_NETWORKS" in detail
    ogc = plain.post(
        f"/ogc/processes/{OK}/execution",
        json={
            "inputs": {"boundary_name": "mrt"},
            "subscriber": {
                "successUri": "https://93.184.215.14/fine",
                "failedUri": receiver.url("/private"),
            },
        },
    )
    assert ogc.status_code == 400
    assert ogc.headers["content-type"] == "application/problem+json"
    assert ogc.json()["detail"].startswith("subscriber.failedUri: 127.0.0.1 resolves to")
    assert hooked.get("/v1/jobs").json()["total"] == before
    assert receiver.received("/private") == []


def test_a_subscriber_needs_a_success_uri_and_nothing_unknown(hooked: TestClient) -> None:
    for subscriber in (
        {"failedUri": "https://example.org/x"},
        {"successUri": "https://example.org/x", "onTheWayUri": "x"},
    ):
        refused = hooked.post(
            f"/ogc/processes/{OK}/execution",
            json={"inputs": {"boundary_name": "mrt"}, "subscriber": subscriber},
        )
        assert refused.status_code == 400, refused.text
