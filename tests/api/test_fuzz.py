"""Schemathesis against the live OpenAPI schema: no 5xx, answers as the schema says.

Every operation gets generated valid and invalid requests (a bounded number each, so
the whole run stays under a minute on the development machine), sent to the real app
in-process on a real database. What it found once is kept as regular tests in
``test_fuzz_findings.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from schemathesis.config import OperationConfig, OperationsConfig, PositiveDataAcceptanceConfig

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.conftest import make_settings

# Generated requests per operation and mode: bounds the run (about 40 s for every
# route on the 2-core machine).
EXAMPLES = 12


# Schemathesis builds the tests at collection, so the app is built then too: a real
# app on its own database whose jobs stay queued (no workers, so reads stay cheap).
# Rates and the queued-jobs limit are off, so every generated write reaches its route.
_data = tempfile.TemporaryDirectory(prefix="autopkg-fuzz-")
_rt = open_runtime(
    make_settings(
        Path(_data.name),
        rate_writes_per_minute=0,
        rate_auth_failures_per_minute=0,
        max_queued_jobs_per_client=0,
    )
)
app = create_app(_rt, EmbeddedExecutor(_rt, workers=0))
with TestClient(app) as _client:
    # The simplified map layer is computed once, then served from memory: built here
    # so the time limit below measures serving it.
    assert _client.get("/v1/boundaries/simplified").status_code == 200
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES
)
# No answer slower than 3 s: the pathological ones the security review found took 20 s
# and more (a map layer rebuilt after a 30,000-part upload), while a normal rebuild of
# that layer after an upload takes ~0.3 s of CPU, which a loaded 2-core machine can
# stretch past 1 s (the bar the review set for a quiet one, measured in benchmarks/).
schema.config.checks.update(max_response_time=3.0)
# A request the schema allows may still be refused: names the schema cannot list
# (boundaries are data) are 400, and areas over a limit, or with nothing left after
# repair, are 422 (README, HTTP API and Limits).
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", 400, 401, 404, 409, 422, 429]
)
# A read has no area to measure: every rule that makes one 422 is in the schema, so a
# read the schema allows is answered, or is 400/404 for a name that does not exist.
schema.config.operations = OperationsConfig(
    operations=[
        OperationConfig.from_dict(
            {
                "include-method": "GET",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", 304, 400, 404]}
                },
            }
        )
    ]
)


@schema.parametrize()
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate()
