"""Responses for uncached reads that are polled often."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel) -> Response:
    """``model`` as a JSON response, serialised once by pydantic-core.

    A route that returns the model itself has FastAPI validate it a second time against
    the route's ``response_model`` and serialise it on another trip through the thread
    pool: more than the whole database read of a job's status. The ``response_model``
    stays on the route for the OpenAPI document.
    """
    return Response(model.model_dump_json(), media_type="application/json")
