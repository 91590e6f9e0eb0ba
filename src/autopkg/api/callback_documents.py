"""The documents callbacks send: exactly what the status routes answer.

A ``notify_url`` is sent the ``/v1/jobs/{id}`` body and an OGC subscriber URI the
``/ogc/jobs/{id}`` status info, built by the routes' own functions, so a receiver can
parse a callback as it parses a poll. The OGC document's links are absolute; they are
built against the API's address at submission (stored with the subscription), through a
request scope made for it, since no request is at hand when a change is found.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request

from autopkg.api.routes.jobs import job_public
from autopkg.api.routes.ogc import _status as ogc_status_info
from autopkg.db.deliveries import Role
from autopkg.jobs.callbacks import Documents
from autopkg.jobs.service import JobStatus


def _request_at(app: FastAPI, base_url: str) -> Request:
    parts = urlsplit(base_url)
    secure = parts.scheme == "https"
    return Request(
        {
            "type": "http",
            "app": app,
            "router": app.router,
            "scheme": parts.scheme,
            "server": (parts.hostname or "", parts.port or (443 if secure else 80)),
            "headers": [(b"host", parts.netloc.encode("latin-1"))],
            "root_path": parts.path.rstrip("/"),
            "path": "/",
            "query_string": b"",
        }
    )


def callback_documents(app: FastAPI) -> Documents:
    """Render each role's document with ``app``'s routes."""

    def render(role: Role, status: JobStatus, base_url: str) -> str:
        if role is Role.NOTIFY:
            return job_public(status).model_dump_json()
        return ogc_status_info(_request_at(app, base_url), status).model_dump_json()

    return render
