"""Published packages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from autopkg.api.deps import PackagesHostDep, RuntimeDep
from autopkg.api.routes.boundaries import boundary_detail
from autopkg.api.routes.processors import version_metadata
from autopkg.api.schemas import ErrorMessage, PackageFilePublic, PackagePublic, PackageSummary
from autopkg.services import packages as service

router = APIRouter(prefix="/packages", tags=["packages"])


@router.get("", response_model=list[PackageSummary], operation_id="list_packages")
def list_packages(rt: RuntimeDep, host: PackagesHostDep) -> list[PackageSummary]:
    """Every boundary that has a published package, with the package's URI."""
    return [
        PackageSummary(boundary_name=name, uri=rt.package_url(name, host))
        for name in service.list_packages(rt)
    ]


@router.get(
    "/{boundary_name}",
    response_model=PackagePublic,
    responses={404: {"model": ErrorMessage}},
    operation_id="get_package",
)
def get_package(
    rt: RuntimeDep, request: Request, host: PackagesHostDep, boundary_name: str
) -> PackagePublic:
    """A package: its boundary, processors and datapackage.

    ``datapackage.resources`` has one entry per processor version with ``name``,
    ``version`` and ``path`` (absolute download URLs), ``bytes``, ``hashes`` and
    licences. ``files`` lists every data file with its own size and hash. The
    standard manifest (one resource per file) is at ``uri`` + ``datapackage.json``.
    """
    view = service.get_package(rt, boundary_name, host_url=host)
    return PackagePublic(
        boundary_name=view.boundary_name,
        uri=view.uri,
        boundary=boundary_detail(view.boundary),
        processors=[version_metadata(m, request) for m in view.processors],
        datapackage=view.datapackage,
        files=[
            PackageFilePublic(
                processor=f.processor_id,
                name=f.name,
                url=f.url,
                bytes=f.bytes,
                hash=f.hash,
                format=f.format,
            )
            for f in view.files
        ],
    )


@router.get(
    "/{boundary_name}/zip",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, 404: {"model": ErrorMessage}},
    operation_id="download_package_zip",
)
def download_package_zip(rt: RuntimeDep, boundary_name: str) -> FileResponse:
    """The whole package (manifest, pages and data files) as one zip file."""
    archive = service.package_zip(rt, boundary_name)
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"{boundary_name}.zip",
        background=BackgroundTask(archive.unlink),
    )
