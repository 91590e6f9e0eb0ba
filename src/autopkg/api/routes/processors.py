"""Processors: the datasets that can be packaged, and their versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from autopkg.api.cache import respond
from autopkg.api.deps import IfNoneMatchDep, ReadCacheDep, RuntimeDep
from autopkg.api.routes.boundaries import NOT_MODIFIED
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import (
    ErrorMessage,
    LicensePublic,
    ProcessorPublic,
    ProcessorVersionMetadata,
)
from autopkg.domain.metadata import Metadata
from autopkg.errors import NotFoundError
from autopkg.processors.registry import Registry

router = APIRouter(prefix="/processors", tags=["processors"], route_class=StrictJSONRoute)


def version_metadata(
    metadata: Metadata, request: Request, registry: Registry
) -> ProcessorVersionMetadata:
    """Present one processor version's metadata, with its options' schema if registered."""
    options = registry.get(metadata.id).options_model if metadata.id in registry else None
    return ProcessorVersionMetadata(
        name=metadata.id,
        description=metadata.description,
        version=metadata.version,
        status=metadata.status,
        uri=str(
            request.url_for("get_processor_version", name=metadata.name, version=metadata.version)
        ),
        data_group=metadata.data_group,
        data_author=metadata.data_author,
        data_title=metadata.data_title,
        data_title_long=metadata.data_title_long,
        data_summary=metadata.data_summary,
        data_citation=metadata.data_citation,
        data_license=LicensePublic(**metadata.data_license.model_dump()),
        data_origin_url=metadata.data_origin_url,
        data_formats=list(metadata.data_formats),
        options_schema=options.model_json_schema() if options else {},
    )


def _versions(rt: RuntimeDep, name: str) -> list[Metadata]:
    """A processor's versions; given a version's id (``<name>.<version>``), that one."""
    versions = rt.registry.by_name().get(name)
    if not versions and name in rt.registry:
        versions = [rt.registry.get(name).metadata]
    if not versions:
        raise NotFoundError(
            f"unknown processor: {name[:80]!r} (give a name, e.g. wri_powerplants, or a "
            "version's id, e.g. wri_powerplants.version_130)"
        )
    return versions


# Metadata is fixed for the life of the process; only the URLs in it depend on the
# request (its host), so that is the rest of each cache key.
@router.get(
    "",
    response_model=list[ProcessorPublic],
    responses=NOT_MODIFIED,
    operation_id="list_processors",
)
async def list_processors(
    rt: RuntimeDep, cache: ReadCacheDep, if_none_match: IfNoneMatchDep, request: Request
) -> Response:
    """Every processor with the metadata of each of its versions."""

    def build() -> list[dict[str, Any]]:
        return [
            ProcessorPublic(
                name=name, versions=[version_metadata(m, request, rt.registry) for m in versions]
            ).model_dump(mode="json")
            for name, versions in rt.registry.by_name().items()
        ]

    return respond(await cache.get(("processors", str(request.base_url)), build), if_none_match)


@router.get(
    "/{name}",
    response_model=ProcessorPublic,
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_processor",
)
async def get_processor(
    rt: RuntimeDep, cache: ReadCacheDep, if_none_match: IfNoneMatchDep, request: Request, name: str
) -> Response:
    """One processor and its versions (its name in any case); given the id of one of its
    versions (``wri_powerplants.version_130``), that version only."""
    name = name.lower()

    def build() -> dict[str, Any]:
        found = _versions(rt, name)
        versions = [version_metadata(m, request, rt.registry) for m in found]
        return ProcessorPublic(name=found[0].name, versions=versions).model_dump(mode="json")

    key = ("processor", name, str(request.base_url))
    return respond(await cache.get(key, build), if_none_match)


@router.get(
    "/{name}/{version}",
    response_model=ProcessorVersionMetadata,
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_processor_version",
)
async def get_processor_version(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    if_none_match: IfNoneMatchDep,
    request: Request,
    name: str,
    version: str,
) -> Response:
    """One processor version's metadata (named in any case)."""
    name, version = name.lower(), version.lower()

    def build() -> dict[str, Any]:
        for metadata in _versions(rt, name):
            if metadata.version == version:
                return version_metadata(metadata, request, rt.registry).model_dump(mode="json")
        raise NotFoundError(f"unknown processor version: {name[:80]}.{version[:80]}")

    key = ("processor_version", name, version, str(request.base_url))
    return respond(await cache.get(key, build), if_none_match)
