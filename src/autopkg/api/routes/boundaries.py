"""Boundaries: list, search and detail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from shapely.geometry import box, mapping

from autopkg.api.cache import matches, respond
from autopkg.api.deps import IfNoneMatchDep, ReadCacheDep, RuntimeDep, WriteAccess
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import (
    BoundaryDetail,
    BoundaryFound,
    BoundarySummary,
    BoundaryUnit,
    BoundaryUploadReport,
    ErrorMessage,
    RejectedRow,
)
from autopkg.boundaries.geojson import UploadFeatureCollection
from autopkg.boundaries.loader import MAX_LONG_NAME
from autopkg.domain.boundary import Boundary
from autopkg.errors import UnprocessableError
from autopkg.services import boundaries as service

router = APIRouter(prefix="/boundaries", tags=["boundaries"], route_class=StrictJSONRoute)


def boundary_detail(boundary: Boundary) -> BoundaryDetail:
    """Present a boundary with GeoJSON geometry and envelope."""
    return BoundaryDetail(
        name=boundary.name,
        name_long=boundary.name_long,
        admin_level=boundary.admin_level,
        parent=boundary.parent,
        codes=boundary.codes,
        edition=boundary.edition,
        geometry=dict(mapping(boundary.geometry)),
        envelope=dict(mapping(box(*boundary.geometry.bounds))),
    )


def summaries(found: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """``(name, name_long)`` pairs as the JSON of :class:`BoundarySummary` items."""
    return [BoundarySummary(name=n, name_long=nl).model_dump(mode="json") for n, nl in found]


def _json_body(request: Request) -> None:
    """Refuse a body that is not JSON (a form upload) with words, not a schema error."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise UnprocessableError(
            f"the body is {media[:100]}; send the GeoJSON FeatureCollection itself as the "
            "body, with Content-Type: application/json (a form or file upload is not read)"
        )


AdminLevel = Annotated[
    int | None,
    Query(ge=0, le=2, description="Only boundaries of this level (0 countries, 1, 2)."),
]
IncludeCustom = Annotated[
    bool, Query(description="Also list custom areas (boundaries named custom-…).")
]
# Cached reads answer a matching If-None-Match with 304 (api/cache.py).
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is current"}
}


@router.get(
    "",
    response_model=list[BoundarySummary],
    responses=NOT_MODIFIED,
    operation_id="list_boundaries",
)
async def list_boundaries(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    if_none_match: IfNoneMatchDep,
    include_custom: IncludeCustom = False,
) -> Response:
    """All boundaries (without geometry), ordered by long name ignoring accents and case."""
    rendered = await cache.of_boundaries(
        ("boundaries",),
        lambda: summaries(service.list_boundaries(rt, include_custom=include_custom)),
        include_custom=include_custom,
    )
    return respond(rendered, if_none_match)


@router.post(
    "",
    response_model=BoundaryUploadReport,
    responses={
        400: {"model": ErrorMessage},
        401: {"model": ErrorMessage},
        429: {"model": ErrorMessage},
        413: {"model": ErrorMessage},
        422: {"model": ErrorMessage},
    },
    dependencies=[WriteAccess, Depends(_json_body)],
    operation_id="upload_boundaries",
)
def upload_boundaries(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    collection: Annotated[
        UploadFeatureCollection,
        Body(description="GeoJSON FeatureCollection of (Multi)Polygons, within the size limits."),
    ],
    name_column: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            description="The property holding each boundary's name: a slug, lowercased; "
            "not starting with `custom-` nor holding `-buffer-` (reserved).",
        ),
    ] = "name",
    long_name_column: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            description="The property holding each boundary's long name: text of 1 to "
            f"{MAX_LONG_NAME} characters.",
        ),
    ] = "name_long",
) -> BoundaryUploadReport:
    """Add or replace boundaries from a GeoJSON FeatureCollection.

    Send the collection as the JSON body (`Content-Type: application/json`), not as a
    form upload. Each feature's ``name_column`` property becomes the boundary name
    (lowercased; it must be a slug, and names starting with ``custom-`` or holding
    ``-buffer-`` are reserved for the areas the service makes) and
    ``long_name_column`` its long name (bounded in length, see the parameter). Geometries
    (Polygons and MultiPolygons, also inside GeometryCollections) are repaired and
    stored as MultiPolygons in EPSG:4326; uploads have no admin level. Features that
    cannot be used are listed in ``rejected``; if none can, the answer is 422.
    """
    report = service.upload_boundaries(
        rt, collection, name_column=name_column, long_name_column=long_name_column
    )
    cache.boundaries_written()
    return BoundaryUploadReport(
        loaded=[BoundarySummary(name=b.name, name_long=b.name_long) for b in report.boundaries],
        rejected=[RejectedRow(row=row, reason=reason) for row, reason in report.rejected],
    )


@router.get(
    "/search",
    response_model=list[BoundaryFound],
    responses={**NOT_MODIFIED, 400: {"model": ErrorMessage}, 422: {"model": ErrorMessage}},
    operation_id="search_boundaries",
)
async def search_boundaries(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    if_none_match: IfNoneMatchDep,
    name: Annotated[
        str | None,
        Query(max_length=200, description="Part of the name, long name or another name."),
    ] = None,
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
    include_custom: IncludeCustom = False,
    admin_level: AdminLevel = None,
) -> Response:
    """Boundaries whose names contain ``name``, or that contain a point.

    Give either ``name`` or both ``latitude`` and ``longitude`` (WGS84 degrees). Name
    matching ignores case and accents (``cote`` finds Côte d'Ivoire) and includes
    common alternative names (``ivory`` finds it too, ``KE-30`` a unit's ISO 3166-2
    code); an exact id (``GHA``) comes first, then countries, admin-1 and admin-2 units
    (those loaded so far: see ``/boundaries/{name}/children``). A point finds the unit
    at each loaded level holding it. Custom areas are matched (by name or point) only
    with ``include_custom=true``.
    """
    rendered = await cache.of_boundaries(
        ("search", name, latitude, longitude, include_custom, admin_level),
        lambda: [
            BoundaryFound(
                name=f.name, name_long=f.name_long, admin_level=f.admin_level, parent=f.parent
            ).model_dump(mode="json")
            for f in service.search_boundaries(
                rt,
                name=name,
                latitude=latitude,
                longitude=longitude,
                include_custom=include_custom,
                admin_level=admin_level,
            )
        ],
    )
    return respond(rendered, if_none_match)


@router.get(
    "/simplified",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}, 304: {}},
    operation_id="get_simplified_boundaries",
)
def get_simplified_boundaries(
    rt: RuntimeDep,
    if_none_match: IfNoneMatchDep,
    accept_encoding: Annotated[str, Header()] = "",
) -> Response:
    """Every boundary (custom areas aside), simplified for a map, as a FeatureCollection.

    About 2 km of detail (0.05° tolerance, 0.01° grid): for drawing and picking, never
    for clipping. Features have ``id`` = ``name`` and ``name``/``name_long``
    properties. Served gzipped when accepted, with an ``ETag`` for revalidation.
    """
    layer = service.map_layer(rt)
    headers = {"ETag": layer.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if matches(if_none_match, layer.etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(layer.gzipped, media_type="application/geo+json", headers=headers)
    return Response(layer.body, media_type="application/geo+json", headers=headers)


@router.get(
    "/{name}/simplified",
    response_model=dict[str, Any],
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_simplified_boundary",
)
async def get_simplified_boundary(
    rt: RuntimeDep, cache: ReadCacheDep, if_none_match: IfNoneMatchDep, name: str
) -> Response:
    """One boundary (custom areas too), simplified for a map, as a GeoJSON Feature."""
    rendered = await cache.of_boundaries(
        ("simplified", name), lambda: service.simplified_boundary(rt, name)
    )
    return respond(rendered, if_none_match)


@router.get(
    "/{name}/children",
    response_model=list[BoundaryUnit],
    responses={404: {"model": ErrorMessage}, 503: {"model": ErrorMessage}},
    operation_id="get_boundary_children",
)
def get_boundary_children(rt: RuntimeDep, cache: ReadCacheDep, name: str) -> list[BoundaryUnit]:
    """The units one level below a boundary: a country's admin-1 units, an admin-1
    unit's admin-2 units (``[]`` when it has none, as for custom areas).

    A country's admin-1 and admin-2 units come from geoBoundaries and are loaded at
    the first request for them, once however many ask together; when they cannot be
    fetched the answer is 503 naming the URL and the mirror setting (the country itself
    still works).
    """
    found = service.boundary_children(rt, name)
    cache.boundaries_written()
    return [
        BoundaryUnit(name=f.name, name_long=f.name_long, admin_level=f.admin_level) for f in found
    ]


@router.get(
    "/{name}",
    response_model=BoundaryDetail,
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_boundary",
)
async def get_boundary(
    rt: RuntimeDep, cache: ReadCacheDep, if_none_match: IfNoneMatchDep, name: str
) -> Response:
    """One boundary with its geometry (GeoJSON MultiPolygon) and envelope."""
    rendered = await cache.of_boundaries(
        ("boundary", name),
        lambda: boundary_detail(service.get_boundary(rt, name)).model_dump(mode="json"),
    )
    return respond(rendered, if_none_match)
