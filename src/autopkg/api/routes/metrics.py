"""``/metrics``: the service's Prometheus metrics, for a Prometheus server to scrape."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from autopkg.api.metrics import ServiceMetrics
from autopkg.api.routing import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute)


# Left out of the OpenAPI schema: it is for operators' scrapers, in Prometheus's format.
@router.get("/metrics", include_in_schema=False, operation_id="get_metrics")
def get_metrics(request: Request) -> Response:
    """Metrics in the Prometheus text format (see the README's Observability section)."""
    metrics: ServiceMetrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
