"""A package's summary: the numbers analysts compute first, as JSON rows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from autopkg.api.cache import respond
from autopkg.api.deps import IfNoneMatchDep, ReadCacheDep, RuntimeDep
from autopkg.api.routes.boundaries import NOT_MODIFIED
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import ErrorMessage, SummaryRowPublic
from autopkg.services.summaries import package_summary
from autopkg.summary.table import STATISTICS

router = APIRouter(prefix="/packages", tags=["packages"], route_class=StrictJSONRoute)
_Filter = Annotated[str | None, Query(max_length=200)]
# The vocabulary is stated in the schema, so a client (and schemathesis) knows which
# are valid; the service refuses others with a message that lists them.
_Statistic = Annotated[
    str | None, Query(max_length=200, json_schema_extra={"enum": list(STATISTICS)})
]


@router.get(
    "/{boundary_name}/summary",
    response_model=list[SummaryRowPublic],
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_package_summary",
)
async def get_package_summary(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    if_none_match: IfNoneMatchDep,
    boundary_name: str,
    statistic: _Statistic = None,
    area: _Filter = None,
    processor: _Filter = None,
) -> Response:
    """The rows of the package's summary (``summary/summary.csv``), with the same columns.

    One row per value: population, built-up area, plants, lengths of lines, hazard
    areas above thresholds, and what each hazard file reaches of each exposure dataset
    (``*_exposed``, at each threshold), for the boundary and its children when they
    are loaded. Filters: ``statistic`` (one of the vocabulary, else 422), ``area`` (a
    boundary id), ``processor`` (a processor id, matching the hazard or the exposure
    dataset). Empty cells are ``""`` for text and ``null`` for numbers.
    """

    def build() -> list[dict[str, Any]]:
        rows = package_summary(
            rt, boundary_name, statistic=statistic, area=area, processor=processor
        )
        return [asdict(row) for row in rows]

    rendered = await cache.of_packages(
        ("summary", boundary_name, statistic, area, processor), build, with_boundaries=False
    )
    return respond(rendered, if_none_match)
