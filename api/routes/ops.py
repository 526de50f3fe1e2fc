"""Operations: liveness, readiness (database and outbox health) and Prometheus metrics.

/healthz and /readyz answer without a credential on purpose: load balancers and orchestrators
probe them, and they reveal nothing but up or down. /metrics needs the API key (Prometheus
sends it with `authorization: {credentials: ...}` in the scrape config).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from adapters.persistence import inbox, outbox
from adapters.persistence.tables import OutboundMessage
from adapters.persistence.types import utcnow
from api.deps import ContainerDep
from api.routes.common import AUTH, errors
from domain.errors import StorageUnavailable

router = APIRouter(tags=["operations"])
STUCK_OUTBOX = timedelta(hours=1)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(container: ContainerDep) -> Response:
    """Ready to take mail: the database answers; the outbox is not stuck."""
    checks: dict[str, str] = {}
    try:
        with container.db.reading() as session:
            session.execute(text("SELECT 1"))
            oldest = session.execute(
                select(func.min(OutboundMessage.next_attempt_at))
                .where(OutboundMessage.status == "pending")
            ).scalar_one()
        checks["database"] = "ok"
        stuck = oldest is not None and utcnow() - oldest > STUCK_OUTBOX
        checks["outbox"] = "stuck: mail pending for over an hour (check SMTP)" if stuck else "ok"
    except StorageUnavailable as exc:
        checks["database"] = f"unavailable: {exc}"
    ready = checks.get("database") == "ok"
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", dependencies=AUTH, response_class=Response,
            responses={**errors(), 200: {"content": {"text/plain": {}},
                                         "description": "Prometheus text format"}})
def metrics(container: ContainerDep) -> Response:
    """Prometheus metrics: received, processed by outcome, failures, queue, outbox, latency."""
    with container.db.reading() as session:
        container.metrics.queue_depth.set(inbox.queue_depth(session))
        container.metrics.outbox_backlog.set(outbox.backlog(session))
    return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)
