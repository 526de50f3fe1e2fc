"""Operations: liveness, readiness (database and outbox health) and Prometheus metrics.

/healthz and /readyz answer without a credential on purpose: load balancers and orchestrators
probe them, and they reveal nothing but up or down. /metrics needs CONNECTOR_METRICS_TOKEN (a
read-only credential good for nothing else) or an API key; Prometheus sends it with
`authorization: {credentials: ...}` in the scrape config.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.application import connector
from api.http.deps import ServicesDep, require_metrics_reader
from api.http.routes.common import errors

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(app: ServicesDep) -> Response:
    """Ready to take mail: the database answers; the outbox is not stuck."""
    checks = connector.readiness(app)
    ready = checks.get("database") == "ok"
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", dependencies=[Depends(require_metrics_reader)], response_class=Response,
            responses={**errors(), 200: {"content": {"text/plain": {}},
                                         "description": "Prometheus text format"}})
def metrics(app: ServicesDep) -> Response:
    """Prometheus metrics: received, processed by outcome, failures, queue, outbox, latency,
    refusals by provider and reason, polled mailboxes, and the process's own (memory, CPU,
    open files)."""
    connector.refresh_metrics(app)
    return Response(generate_latest(app.metrics.registry), media_type=CONTENT_TYPE_LATEST)
