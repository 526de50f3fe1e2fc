"""Applying a Decision: tickets, documents, attachments and outbox rows, in the caller's unit
of work. Each write is keyed so that the same decision can never be applied twice. The mail it
queues is written by api/application/authoring.py; this module only persists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.application import authoring
from api.application.runtime_settings import Values
from api.application.xml_transactions import XmlOptions, run_transactions
from domain.addresses import sender_cap_key
from domain.decisions import ApplyXml, CreateTicket, Decision, FileReply, Forward, Ignore
from domain.messages import Claimed, ExtractedDocument, FiledDocument, Origin
from domain.model import DocumentKind, MessageView, TicketStatus
from domain.ports import UnitOfWork
from domain.xml_api import plan_responses, settle_message


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    claimed: Claimed
    view: MessageView
    document: ExtractedDocument


def apply(uow: UnitOfWork, decision: Decision, parsed: ParsedMessage, values: Values,
          now: datetime, *, xml: XmlOptions | None = None) -> tuple[Decision, int | None]:
    """Write what the decision says. Returns the decision as carried out (an XML transaction's
    outcome and reason depend on what was written) and the ticket id the message ended up under."""
    if isinstance(decision, CreateTicket):
        return decision, _create_ticket(uow, decision, parsed, values, now)
    if isinstance(decision, FileReply):
        uow.records.add_document(decision.ticket_id, filed(parsed, decision.document_kind), now)
        uow.records.touch_ticket(decision.ticket_id, now, reopen=decision.reopen)
        if decision.forward:
            _forward(uow, decision, parsed, values, now, ticket_number=decision.ticket_number)
        return decision, decision.ticket_id
    if isinstance(decision, Forward):
        if decision.send:
            _forward(uow, decision, parsed, values, now, ticket_number=None)
        return decision, None
    if isinstance(decision, Ignore):
        _record_bounce(uow, decision, now, values)
        return decision, None
    if isinstance(decision, ApplyXml):
        return _apply_xml(uow, decision, parsed, values, now, xml or XmlOptions())
    raise TypeError(f"no way to apply {type(decision).__name__}")


def filed(parsed: ParsedMessage, kind: DocumentKind) -> FiledDocument:
    view, doc = parsed.view, parsed.document
    return FiledDocument(
        kind=kind, subject=view.subject, text=doc.text, reply_text=doc.reply_text, html=doc.html,
        date=doc.date, from_address=view.from_address, to=view.to, cc=view.cc,
        message_id=view.message_id, inbound_message_id=parsed.claimed.id,
        attachments=doc.attachments)


def _create_ticket(uow: UnitOfWork, decision: CreateTicket, parsed: ParsedMessage,
                   values: Values, now: datetime) -> int:
    view = parsed.view
    ticket_id = uow.records.open_ticket({
        "account_id": decision.account_id, "contact_id": decision.contact_id,
        "subject": view.subject or "(no subject)",
        "description": parsed.document.reply_text or parsed.document.text,
        "status": TicketStatus.OPEN, "source": "email"},
        filed(parsed, DocumentKind.CUSTOMER_EMAIL), now)
    if decision.acknowledge and view.from_address:
        uow.outbox.add(authoring.acknowledgement(
            values, view, ticket_id=ticket_id, inbound_id=parsed.claimed.id,
            purpose_key=_purpose(parsed, "acknowledgement")), now)
    return ticket_id


def _forward(uow: UnitOfWork, decision: Decision, parsed: ParsedMessage, values: Values,
             now: datetime, *, ticket_number: str | None) -> None:
    uow.outbox.add(authoring.forward(values, parsed.view, decision, inbound_id=parsed.claimed.id,
                                     ticket_number=ticket_number,
                                     purpose_key=_purpose(parsed, "forward"),
                                     has_files=bool(parsed.document.attachments)), now)


def _apply_xml(uow: UnitOfWork, decision: ApplyXml, parsed: ParsedMessage, values: Values,
               now: datetime, options: XmlOptions) -> tuple[Decision, int | None]:
    view = parsed.view
    results = run_transactions(uow, decision.transactions, options=options, now=now,
                               origin=Origin(parsed.claimed.id, view.from_address, view.message_id))
    own = frozenset(a.lower() for a in (values.public_address, values.effective_from_address))
    sender = sender_cap_key(view.from_address) if view.from_address else None
    # Automatic replies to one sender (acknowledgements and XML responses) share its cap.
    capped = bool(sender) and uow.directory.acknowledgements_since(
        sender, now - timedelta(hours=1)) >= values.acknowledgements_per_hour  # type: ignore[arg-type]
    planned, notes = plan_responses(
        results, password=options.password, sender=view.from_address, own_addresses=own,
        unauthenticated_to=values.xml_api_unauthenticated_responses, sender_capped=capped)
    for response in planned:
        uow.outbox.add(authoring.xml_response(
            values, response.result, to=response.to, body=options.render(response.result),
            bcc=options.response_bcc if response.authenticated else None,
            authenticated=response.authenticated,
            in_reply_to=view.message_id, inbound_id=parsed.claimed.id,
            purpose_key=_purpose(parsed, f"xml_response:{response.index}")), now)
    outcome, reason = settle_message(results, notes)
    tickets = [ticket_id for result in results for ticket_id in result.ticket_ids]
    return Decision(outcome=outcome, reason=reason), (tickets[0] if tickets else None)


def _record_bounce(uow: UnitOfWork, decision: Ignore, now: datetime, values: Values) -> None:
    if decision.bounced_outbound_message_id:
        uow.outbox.mark_bounced(decision.bounced_outbound_message_id, now, decision.diagnostic)
    if decision.undeliverable:
        uow.outbox.mark_undeliverable(
            decision.undeliverable, until=now + timedelta(days=values.undeliverable_days),
            reason=f"bounced on {now:%Y-%m-%d}: {decision.diagnostic or 'permanent failure'}",
            message_id=decision.bounced_outbound_message_id)


def _purpose(parsed: ParsedMessage, purpose: str) -> str:
    return f"inbound:{parsed.claimed.id}:{parsed.claimed.generation}:{purpose}"
