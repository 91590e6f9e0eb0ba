"""The web page at ``/`` and the API docs, served from files shipped in the package.

An adapter like the OGC view: it adds no behaviour, only pages that call the public
API. Swagger UI and ReDoc load their scripts from ``/static`` instead of a CDN so
that ``/docs`` and ``/redoc`` work without internet.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from autopkg.web import STATIC_DIR

router = APIRouter(include_in_schema=False)


def content_security_policy(*script_hashes: str) -> str:
    """The policy of a page: everything from this service, no inline script but these.

    Only this service: the policy also stops the browser from fetching what the vendored
    bundles would load from elsewhere (ReDoc's sidebar logo comes from cdn.redoc.ly), so
    no request leaves for a third party. No inline script: the page shows names people
    upload, so markup slipped into one must never run, even where a rendering bug lets
    it into the document. Inline styles stay: Leaflet positions the map with them.
    """
    scripts = " ".join(["'self'", *(f"'sha256-{digest}'" for digest in script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


_HEADERS = {"Content-Security-Policy": content_security_policy()}
# FastAPI's Swagger UI page starts the bundle with one inline script, made from our own
# settings (never from a request's input): only that exact script is allowed, by hash.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _allowing_its_scripts(page: HTMLResponse) -> HTMLResponse:
    digests = [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode())
    ]
    page.headers["Content-Security-Policy"] = content_security_policy(*digests)
    return page


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
    return _allowing_its_scripts(page)


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
    return _allowing_its_scripts(page)
