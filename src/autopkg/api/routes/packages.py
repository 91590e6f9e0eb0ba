"""Published packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from autopkg.api.cache import respond
from autopkg.api.deps import (
    IfNoneMatchDep,
    PackagesHostDep,
    ReadCacheDep,
    RuntimeDep,
    StorageCallsDep,
)
from autopkg.api.routes.boundaries import NOT_MODIFIED, boundary_detail
from autopkg.api.routes.processors import version_metadata
from autopkg.api.routing import StrictJSONRoute
from autopkg.api.schemas import (
    ErrorMessage,
    FilePreviewPublic,
    PackageFilePublic,
    PackagePublic,
    PackageSummary,
)
from autopkg.runtime import Runtime
from autopkg.services import packages as service
from autopkg.slugs import canonical_name

router = APIRouter(prefix="/packages", tags=["packages"], route_class=StrictJSONRoute)


@router.get(
    "",
    response_model=list[PackageSummary],
    responses=NOT_MODIFIED,
    operation_id="list_packages",
)
async def list_packages(
    rt: RuntimeDep, cache: ReadCacheDep, if_none_match: IfNoneMatchDep, host: PackagesHostDep
) -> Response:
    """Every boundary that has a package published by a job, with the package's URI.

    A package appears here once its job reads COMPLETE.
    """

    def build() -> list[dict[str, Any]]:
        return [
            PackageSummary(boundary_name=name, uri=rt.package_url(name, host)).model_dump(
                mode="json"
            )
            for name in service.published_packages(rt)
        ]

    rendered = await cache.of_packages(("packages", host), build, with_boundaries=False)
    return respond(rendered, if_none_match)


@router.get(
    "/{boundary_name}",
    response_model=PackagePublic,
    responses={**NOT_MODIFIED, 404: {"model": ErrorMessage}},
    operation_id="get_package",
)
async def get_package(
    rt: RuntimeDep,
    cache: ReadCacheDep,
    if_none_match: IfNoneMatchDep,
    request: Request,
    host: PackagesHostDep,
    boundary_name: str,
) -> Response:
    """A package: its boundary, processors and datapackage.

    ``datapackage.resources`` has one entry per processor version with ``name``,
    ``version`` and ``path`` (absolute download URLs), ``bytes``, ``hashes`` and
    licences. ``files`` lists every data file with its own size, hash and preview
    picture (with its colour scale). The standard manifest (one resource per file) is
    at ``uri`` + ``datapackage.json``. A publication shows here once its job reads
    COMPLETE.
    """
    # The page holds the boundary too: rebuilt when boundaries or packages change.
    rendered = await cache.of_packages(
        ("package", boundary_name, host, str(request.base_url)),
        lambda: package_public(rt, request, host, boundary_name),
        with_boundaries=True,
    )
    return respond(rendered, if_none_match)


def package_public(rt: Runtime, request: Request, host: str, boundary_name: str) -> Any:
    """The JSON of :class:`PackagePublic` for a published package."""
    view = service.get_package(rt, boundary_name, host_url=host)
    return PackagePublic(
        boundary_name=view.boundary_name,
        uri=view.uri,
        boundary=boundary_detail(view.boundary),
        processors=[version_metadata(m, request, rt.registry) for m in view.processors],
        datapackage=view.datapackage,
        files=[
            PackageFilePublic(
                processor=f.processor_id,
                name=f.name,
                url=f.url,
                bytes=f.bytes,
                hash=f.hash,
                format=f.format,
                preview=_preview(f.preview),
                empty=f.empty,
            )
            for f in view.files
        ],
    ).model_dump(mode="json")


def _preview(preview: service.FilePreview | None) -> FilePreviewPublic | None:
    if preview is None:
        return None
    return FilePreviewPublic(
        url=preview.url,
        bytes=preview.bytes,
        legend=preview.legend,
        bounds=list(preview.bounds) if preview.bounds else None,
    )


@router.get(
    "/{boundary_name}/zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, 404: {"model": ErrorMessage}},
    operation_id="download_package_zip",
)
async def download_package_zip(
    rt: RuntimeDep, storage_calls: StorageCallsDep, boundary_name: str
) -> StreamingResponse:
    """The whole package (manifest, pages and the data files it lists) as one zip file.

    The zip is streamed as it is read from storage, with its length known up front.
    """
    archive = await storage_calls.run(lambda: service.package_zip(rt, boundary_name))
    chunks = iter(archive.chunks)

    async def stream() -> AsyncIterator[bytes]:
        # Each piece is read on the storage pool: a hung store holds none of the
        # threads other routes use.
        while (chunk := await storage_calls.run(lambda: next(chunks, None))) is not None:
            yield chunk

    return StreamingResponse(
        stream(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{canonical_name(boundary_name)}.zip"',
            "Content-Length": str(archive.size),
        },
    )
