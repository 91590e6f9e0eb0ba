"""A small client of a running autopkg API, for the ``autopkg jobs`` commands."""

from __future__ import annotations

from typing import Any

import httpx

from autopkg.errors import AutopkgError, InvalidInputError


class ApiClient:
    """Calls ``/v1`` of the service at ``base_url``; errors become one-line AutopkgErrors."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._base = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self._base + "/v1", headers=headers, timeout=timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def submit(
        self,
        boundary: str,
        processors: list[str],
        options: dict[str, dict[str, Any]] | None = None,
        *,
        buffer_m: int | None = None,
    ) -> str:
        """Submit a job (with processor ``options`` and ``buffer_m``, if any); return its id."""
        job: dict[str, Any] = {"boundary_name": boundary, "processors": processors}
        if options is not None:
            job["options"] = options
        if buffer_m is not None:
            job["buffer_m"] = buffer_m
        body = self._call("POST", "/jobs", json=job)
        return str(body["job_id"])

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's status document."""
        return self._call("GET", f"/jobs/{job_id}")

    def jobs(self, **filters: str | int | None) -> dict[str, Any]:
        """One page of the job list, newest first."""
        params = {key: value for key, value in filters.items() if value is not None}
        return self._call("GET", "/jobs", params=params)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise AutopkgError(
                f"cannot reach the API at {self._base}: {str(exc) or type(exc).__name__}"
            ) from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise InvalidInputError(f"{response.status_code} from the API: {detail}")
        body = response.json()
        if not isinstance(body, dict):
            raise AutopkgError(f"unexpected answer from the API at {self._base}{path}")
        return body
