"""The processing log (filters, a message's detail, its raw bytes, Reprocess) and the outbox
(pending and failed mail, Retry), through the processing-log use cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.application import console, processing_log, records
from api.http.console.web import CheckedForm, ConsoleRefusal, SignedIn, redirect, render, services
from api.http.routes.tickets import attachment_download
from domain.errors import Conflict, NotFound
from domain.messages import InboundFilter
from domain.model import MAX_ID, MessageStatus, Outcome, format_ticket_number

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = 50
# Outcomes that filed or wrote something: processing them again would do it twice (the use case
# refuses; the page does not offer it). A held duplicate may be allowed: the use case decides.
FILED = {Outcome.TICKET_CREATED, Outcome.FILED_CUSTOMER_REPLY, Outcome.FILED_EMPLOYEE_REPLY,
         Outcome.AUTOMATED_TICKET, Outcome.XML_PROCESSED}
FILTERS = ("outcome", "status", "source", "sender", "subject", "ticket", "date_from", "date_to")


def _day(text: str, *, after: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), UTC)


def _filter(query: dict[str, str]) -> tuple[InboundFilter, list[str]]:
    """The log's filter from the query string, and what in it could not be used."""
    problems = []
    outcome, status = query.get("outcome") or None, query.get("status") or None
    if outcome and outcome not in set(Outcome):
        problems.append(f"unknown outcome {outcome!r}")
        outcome = None
    if status and status not in set(MessageStatus):
        problems.append(f"unknown status {status!r}")
        status = None
    ticket = query.get("ticket", "").strip().lstrip("#") or None
    ticket_id = int(ticket) if ticket and ticket.isdigit() and 0 < int(ticket) <= MAX_ID else None
    if ticket and ticket_id is None:
        problems.append(f"{ticket!r} is not a ticket number")
        ticket_id = -1  # matches nothing, rather than everything
    received = {}
    for name, after in (("date_from", False), ("date_to", True)):
        if query.get(name):
            received[name] = _day(query[name], after=after)
            if received[name] is None:
                problems.append(f"{name.replace('_', ' ')}: not a date (YYYY-MM-DD)")
    return InboundFilter(
        status=status, outcome=outcome, source=query.get("source") or None,
        sender=query.get("sender") or None, subject=query.get("subject") or None,
        ticket_id=ticket_id, received_from=received.get("date_from"),
        received_to=received.get("date_to")), problems


@router.get("/log")
def log_page(request: Request, session: SignedIn, page: int = 1) -> Response:
    query = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    where, problems = _filter(query)
    page = max(page, 1)
    items, total = processing_log.list_inbound(services(request), status=None, outcome=None,
                                               limit=PAGE, offset=(page - 1) * PAGE, where=where)
    chosen = {k: v for k, v in query.items() if v}
    links = {"previous": page > 1, "next": page * PAGE < total, "page": page,
             "query": urlencode(chosen)}
    return render(request, "log.html", items=items, total=total, query=query,
                  outcomes=[str(o) for o in Outcome], statuses=[str(s) for s in MessageStatus],
                  error="; ".join(problems) or None, links=links, filtered=bool(chosen),
                  ticket_number=format_ticket_number)


def _message_id(message_id: int) -> int:
    if not 0 < message_id <= MAX_ID:
        raise ConsoleRefusal(404, f"inbound message {message_id} not found")
    return message_id


@router.get("/log/{message_id}")
def message_page(request: Request, message_id: int, session: SignedIn) -> Response:
    app = services(request)
    try:
        message = processing_log.get_inbound(app, inbound_id=_message_id(message_id))
        documents, mails = processing_log.produced(app, inbound_id=message_id)
    except NotFound as exc:
        raise ConsoleRefusal(404, str(exc)) from None
    return render(request, "message.html", m=message, documents=documents, mails=mails,
                  steps=console.decision_steps(message.outcome, message.reason),
                  ticket_number=format_ticket_number,
                  can_reprocess=message.status == MessageStatus.FAILED or (
                      message.status == MessageStatus.DONE and message.outcome not in FILED))


@router.get("/log/{message_id}/raw")
def raw(request: Request, message_id: int, session: SignedIn) -> Response:
    try:
        data = processing_log.raw_message(services(request), inbound_id=_message_id(message_id))
    except NotFound as exc:
        raise ConsoleRefusal(404, str(exc)) from None
    return Response(data, media_type="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="{message_id}.eml"',
        "X-Content-Type-Options": "nosniff"})


@router.get("/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: int, session: SignedIn) -> Response:
    try:
        if not 0 < attachment_id <= MAX_ID:
            raise NotFound(f"attachment {attachment_id} not found")
        found = records.get_record(services(request), kind="attachment", record_id=attachment_id)
    except NotFound as exc:
        raise ConsoleRefusal(404, str(exc)) from None
    return attachment_download(found)


@router.post("/log/{message_id}/reprocess")
def reprocess(request: Request, message_id: int, session: SignedIn, form: CheckedForm
              ) -> Response:
    try:
        processing_log.reprocess(services(request), inbound_id=_message_id(message_id))
    except (Conflict, NotFound) as exc:
        return redirect(request, f"/admin/log/{message_id}", f"!Not queued again: {exc}")
    return redirect(request, f"/admin/log/{message_id}",
                    f"Message {message_id} queued again: it is processed in a moment.")


@router.get("/outbox")
def outbox_page(request: Request, session: SignedIn) -> Response:
    app = services(request)
    listed = {}
    for status in ("pending", "failed"):
        listed[status] = processing_log.list_outbound(
            app, status=status, kind=None, inbound_message_id=None, limit=100, offset=0)
    return render(request, "outbox.html", pending=listed["pending"], failed=listed["failed"])


@router.post("/outbox/{mail_id}/retry")
def retry(request: Request, mail_id: int, session: SignedIn, form: CheckedForm) -> Response:
    try:
        if not 0 < mail_id <= MAX_ID:
            raise NotFound(f"outbound message {mail_id} not found")
        processing_log.retry_outbound(services(request), mail_id=mail_id)
    except (Conflict, NotFound) as exc:
        return redirect(request, "/admin/outbox", f"!Not retried: {exc}")
    return redirect(request, "/admin/outbox", f"Mail {mail_id} is due again: sending now.")
