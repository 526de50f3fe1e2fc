"""The overview: what is not ready yet, the outcomes of the last day and month, the queue and
the outbox, each mail source's last message and refusals, and the connector's on/off switch."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.application import connector, console
from api.http.console.web import CheckedForm, SignedIn, field, redirect, render, services
from domain.errors import InvalidInput
from domain.model import Outcome

router = APIRouter(prefix="/admin", include_in_schema=False)


def _bars(counts: dict[str, int]) -> list[tuple[str, int, float]]:
    """(outcome, count, share of the largest in percent), every outcome, in the SPEC's order."""
    rows = [(str(o), counts.get(str(o), 0)) for o in Outcome]
    if counts.get(""):
        rows.append(("not processed yet", counts[""]))
    top = max((n for _, n in rows), default=0) or 1
    return [(name, n, round(100 * n / top, 1)) for name, n in rows]


@router.get("")
def overview_page(request: Request, session: SignedIn) -> Response:
    figures = console.overview(services(request))
    refusals = {name: (r.count, r.last_reason,
                       datetime.fromtimestamp(r.last_at, UTC) if r.last_at else None)
                for name, r in figures.refusals.items()}
    return render(request, "overview.html", figures=figures, refusals=refusals,
                  day=_bars(figures.last_day), month=_bars(figures.last_month),
                  day_total=sum(figures.last_day.values()),
                  month_total=sum(figures.last_month.values()))


@router.post("/connector")
def switch(request: Request, session: SignedIn, form: CheckedForm) -> Response:
    status = field(form, "status")
    try:
        connector.change_settings(services(request), changes={"status": status})
    except InvalidInput as exc:
        return redirect(request, "/admin", f"Not changed: {exc}")
    note = ("Processing is on: queued mail is processed in arrival order." if status == "on" else
            "Processing is off: mail is still accepted and waits as queued.")
    return redirect(request, "/admin", note)
