"""What the API does when it starts and stops."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime


def _collected(obj: object) -> bool:
    """Whether the garbage collector would scan ``obj`` (frozen objects are in no generation)."""
    return any(found is obj for found in gc.get_objects())


def test_start_up_freezes_what_is_alive_out_of_collection_until_shut_down(
    runtime: Runtime,
) -> None:
    app = create_app(runtime, EmbeddedExecutor(runtime, workers=0))
    gc.unfreeze()  # what an app started earlier in this test process froze
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        # Built before the freeze: the latency middleware reads it on every request.
        assert app.openapi_schema is not None
        assert not _collected(app.openapi_schema)
        assert not _collected(app)
        assert client.get("/v1/liveness").status_code == 200
    assert gc.get_freeze_count() == 0
    assert _collected(app.openapi_schema)
