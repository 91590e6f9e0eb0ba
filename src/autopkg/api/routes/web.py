"""The web page at ``/`` and the API docs, served from files shipped in the package.

An adapter like the OGC view: it adds no behaviour, only pages that call the public
API. Swagger UI and ReDoc load their scripts from ``/static`` instead of a CDN so
that ``/docs`` and ``/redoc`` work without internet.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from autopkg.web import STATIC_DIR

router = APIRouter(include_in_schema=False)

# Everything these pages need comes from this service. The policy also stops the
# browser from fetching what the vendored bundles would load from elsewhere (ReDoc's
# sidebar logo comes from cdn.redoc.ly), so no request leaves for a third party.
# Inline scripts and styles: FastAPI's docs pages and Leaflet's positioning use them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    ]
)
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/")
def web_page() -> FileResponse:
    """The page for people: map, search, datasets, progress, jobs and packages."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_HEADERS)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Interactive API docs (Swagger UI) with local assets."""
    root = _root(request)
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="autopkg API",
        swagger_js_url=f"{root}/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/favicon.svg",
        # The validator badge would send the schema to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers.update(_HEADERS)
    return page


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """API reference (ReDoc) with local assets and no web fonts."""
    root = _root(request)
    page = get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title="autopkg API",
        redoc_js_url=f"{root}/static/vendor/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{root}/static/favicon.svg",
        with_google_fonts=False,
    )
    page.headers.update(_HEADERS)
    return page
