"""The limits one request must keep to, for clients that check before they send."""

from __future__ import annotations

from fastapi import APIRouter

from autopkg.api.deps import RuntimeDep
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import LimitsPublic

router = APIRouter(tags=["limits"], route_class=StrictJSONRoute)


@router.get("/limits", response_model=LimitsPublic, operation_id="get_limits")
def get_limits(rt: RuntimeDep) -> LimitsPublic:
    """This service's request limits (its ``AUTOPKG_MAX_*`` settings).

    The web page reads them to say "this area is over the limit" and bound its buffer
    field before anything is sent; the service checks every request against them anyway.
    """
    settings = rt.settings
    return LimitsPublic(
        max_area_km2=settings.max_area_km2,
        max_area_vertices=settings.max_area_vertices,
        max_buffer_m=settings.max_buffer_m,
        max_processors_per_job=settings.max_processors_per_job,
        max_output_bytes=settings.max_output_bytes,
    )
