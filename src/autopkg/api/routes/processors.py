"""Processors: the datasets that can be packaged, and their versions."""

from __future__ import annotations

from fastapi import APIRouter, Request

from autopkg.api.deps import RuntimeDep
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import (
    ErrorMessage,
    LicensePublic,
    ProcessorPublic,
    ProcessorVersionMetadata,
)
from autopkg.errors import NotFoundError
from autopkg.processors.base import Metadata
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
    versions = rt.registry.by_name().get(name)
    if not versions:
        raise NotFoundError(f"unknown processor: {name[:80]!r}")
    return versions


@router.get("", response_model=list[ProcessorPublic], operation_id="list_processors")
def list_processors(rt: RuntimeDep, request: Request) -> list[ProcessorPublic]:
    """Every processor with the metadata of each of its versions."""
    return [
        ProcessorPublic(
            name=name, versions=[version_metadata(m, request, rt.registry) for m in versions]
        )
        for name, versions in rt.registry.by_name().items()
    ]


@router.get(
    "/{name}",
    response_model=ProcessorPublic,
    responses={404: {"model": ErrorMessage}},
    operation_id="get_processor",
)
def get_processor(rt: RuntimeDep, request: Request, name: str) -> ProcessorPublic:
    """One processor and its versions."""
    return ProcessorPublic(
        name=name, versions=[version_metadata(m, request, rt.registry) for m in _versions(rt, name)]
    )


@router.get(
    "/{name}/{version}",
    response_model=ProcessorVersionMetadata,
    responses={404: {"model": ErrorMessage}},
    operation_id="get_processor_version",
)
def get_processor_version(
    rt: RuntimeDep, request: Request, name: str, version: str
) -> ProcessorVersionMetadata:
    """One processor version's metadata."""
    for metadata in _versions(rt, name):
        if metadata.version == version:
            return version_metadata(metadata, request, rt.registry)
    raise NotFoundError(f"unknown processor version: {name[:80]}.{version[:80]}")
