"""Operations: liveness, readiness (database and outbox health) and Prometheus metrics.

/healthz and /readyz answer without a credential on purpose: load balancers and orchestrators
probe them, and they reveal nothing but up or down. /metrics needs CONNECTOR_METRICS_TOKEN (a
read-only credential good for nothing else) or an API key; Prometheus sends it with
`authorization: {credentials: ...}` in the scrape config.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.application import connector
from api.http.deps import ServicesDep, require_metrics_reader
from api.http.routes.common import errors

router = APIRouter(tags=["operations"])


READY = {"status": "ready", "checks": {"database": "ok", "outbox": "ok"}}
NOT_READY = {"status": "not ready", "checks": {
    "database": "unavailable: database unavailable: connection refused"}}
METRICS = """# HELP connector_messages_received_total Inbound deliveries accepted
# TYPE connector_messages_received_total counter
connector_messages_received_total{source="postmark"} 1532.0
# HELP connector_queue_depth Inbound messages waiting
# TYPE connector_queue_depth gauge
connector_queue_depth 0.0
"""


@router.get("/healthz", responses={200: {"content": {"application/json": {
    "example": {"status": "ok"}}}}})
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_class=JSONResponse, responses={
    200: {"content": {"application/json": {"example": READY}}},
    503: {"description": "Not ready", "content": {"application/json": {"example": NOT_READY}}}})
def readyz(app: ServicesDep) -> Response:
    """Ready to take mail: the database answers; the outbox is not stuck."""
    checks = connector.readiness(app)
    ready = checks.get("database") == "ok"
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", dependencies=[Depends(require_metrics_reader)], response_class=Response,
            responses={**errors(), 200: {"content": {"text/plain": {"example": METRICS}},
                                         "description": "Prometheus text format"}})
def metrics(app: ServicesDep) -> Response:
    """Prometheus metrics: received, processed by outcome, failures, queue, outbox, latency,
    refusals by provider and reason, polled mailboxes, and the process's own (memory, CPU,
    open files)."""
    connector.refresh_metrics(app)
    return Response(app.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
