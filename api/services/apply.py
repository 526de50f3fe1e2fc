"""Applying a Decision: tickets, documents, attachments and outbox rows, in the caller's
transaction. Each write is keyed so that the same decision can never be applied twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from adapters.mail.compose import new_message_id
from adapters.mail.documents import ExtractedDocument
from adapters.persistence import outbox, records
from adapters.persistence.inbox import Claimed
from adapters.xml.render import render_response
from adapters.xml.store import Origin
from api.services.runtime_config import ConnectorState
from api.services.xml_transactions import XmlOptions, run_transactions
from domain.decisions import ApplyXml, CreateTicket, Decision, FileReply, Forward, Ignore
from domain.model import DocumentKind, MessageView, format_ticket_number
from domain.xml_api import TransactionResult, response_address, settle_message
from domain.xml_model import shown

ACK_BODY = """Hello{name},

we have received your message and opened ticket {number} for it.

Subject: {subject}

To add to this ticket, reply to this email and keep "[Ticket #{number}]" in the subject.

This is an automatic message.
"""


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    claimed: Claimed
    view: MessageView
    document: ExtractedDocument


def apply(session: Session, decision: Decision, parsed: ParsedMessage, state: ConnectorState,
          now: datetime, *, xml: XmlOptions | None = None) -> tuple[Decision, int | None]:
    """Write what the decision says. Returns the decision as carried out (an XML transaction's
    outcome and reason depend on what was written) and the ticket id the message ended up under."""
    if isinstance(decision, CreateTicket):
        return decision, _create_ticket(session, decision, parsed, state, now)
    if isinstance(decision, FileReply):
        _file(session, parsed, decision.ticket_id, decision.document_kind, now)
        records.touch_ticket(session, decision.ticket_id, now, reopen=decision.reopen)
        if decision.forward:
            _forward(session, decision, parsed, state, now, ticket_number=decision.ticket_number)
        return decision, decision.ticket_id
    if isinstance(decision, Forward):
        if decision.send:
            _forward(session, decision, parsed, state, now, ticket_number=None)
        return decision, None
    if isinstance(decision, Ignore):
        _record_bounce(session, decision, now, state)
        return decision, None
    if isinstance(decision, ApplyXml):
        return _apply_xml(session, decision, parsed, state, now, xml or XmlOptions())
    raise TypeError(f"no way to apply {type(decision).__name__}")


def _create_ticket(session: Session, decision: CreateTicket, parsed: ParsedMessage,
                   state: ConnectorState, now: datetime) -> int:
    view = parsed.view
    ticket_id = records.insert_ticket(session, {
        "account_id": decision.account_id, "contact_id": decision.contact_id,
        "subject": view.subject or "(no subject)",
        "description": parsed.document.reply_text or parsed.document.text,
        "status": "open", "source": "email", "created_at": now, "updated_at": now})
    _file(session, parsed, ticket_id, DocumentKind.CUSTOMER_EMAIL, now)
    if decision.acknowledge and view.from_address:
        number = format_ticket_number(ticket_id)
        name = f" {view.from_name}" if view.from_name else ""
        headers = {
            "Auto-Submitted": "auto-replied",  # RFC 3834 §5: we are an automatic responder
            "X-Auto-Response-Suppress": "All",  # Exchange: do not answer us with an out-of-office
            "X-Loop": state.public_address,
        }
        if view.message_id:
            headers["In-Reply-To"] = f"<{view.message_id}>"
            headers["References"] = f"<{view.message_id}>"
        outbox.add(session, kind="acknowledgement", purpose_key=_purpose(parsed, "acknowledgement"),
                   mail_from=state.from_address, to=[view.from_address],
                   subject=f"[Ticket #{number}] {view.subject or '(no subject)'}",
                   body=ACK_BODY.format(name=name, number=number, subject=view.subject or ""),
                   headers=headers, message_id=new_message_id(state.message_id_domain, "ack"),
                   inbound_message_id=parsed.claimed.id, ticket_id=ticket_id, now=now)
    return ticket_id


def _file(session: Session, parsed: ParsedMessage, ticket_id: int, kind: DocumentKind,
          now: datetime) -> int:
    view, doc = parsed.view, parsed.document
    return records.add_document(session, {
        "ticket_id": ticket_id, "kind": kind, "inbound_message_id": parsed.claimed.id,
        "message_id": view.message_id, "from_address": view.from_address,
        "to_addresses": list(view.to), "cc_addresses": list(view.cc), "subject": view.subject,
        "date": doc.date, "text": doc.text, "reply_text": doc.reply_text, "html": doc.html,
        "created_at": now,
    }, doc.attachments)


def _forward(session: Session, decision: Decision, parsed: ParsedMessage, state: ConnectorState,
             now: datetime, *, ticket_number: str | None) -> None:
    view = parsed.view
    subject = view.subject or "(no subject)"
    if ticket_number and ticket_number.lstrip("0") not in subject:
        subject = f"[Ticket #{ticket_number}] {subject}"
    lines = [f"Email Connector: {decision.outcome}", f"Reason: {decision.reason}"]
    if ticket_number:
        lines.append(f"Ticket: {ticket_number}")
    sender = view.from_address or "(no sender)"
    lines += ["", f"From: {view.from_name} <{sender}>" if view.from_name else f"From: {sender}",
              f"To: {', '.join(view.to)}", f"Subject: {view.subject}",
              f"Inbound message: {parsed.claimed.id}",
              "", "The original message is attached unchanged.", ""]
    # X-Loop keeps the loop marks the original carried: when two systems forward to each other
    # (our team address is another connector's public address), the mail comes back to us
    # with our own mark in it and is stopped (a second pass at most).
    loop_marks = dict.fromkeys([*view.headers.get("x-loop", ()), state.public_address])
    headers = {
        "X-Email-Connector-Outcome": str(decision.outcome),
        "X-Email-Connector-Inbound-Id": str(parsed.claimed.id),
        "X-Loop": ", ".join(loop_marks)[:900],
    }
    if view.from_address:
        headers["Reply-To"] = view.from_address
    outbox.add(session, kind="forward", purpose_key=_purpose(parsed, "forward"),
               mail_from=state.from_address, to=[state.support_team_address], subject=subject,
               body="\n".join(lines), headers=headers,
               message_id=new_message_id(state.message_id_domain, "fwd"),
               inbound_message_id=parsed.claimed.id,
               ticket_id=int(ticket_number) if ticket_number else None,
               attach_original=True, now=now, origin=view.from_address)


def _apply_xml(session: Session, decision: ApplyXml, parsed: ParsedMessage,
               state: ConnectorState, now: datetime, options: XmlOptions
               ) -> tuple[Decision, int | None]:
    view = parsed.view
    results = run_transactions(session, decision.transactions, options=options, now=now,
                               origin=Origin(parsed.claimed.id, view.from_address, view.message_id))
    own = frozenset(a.lower() for a in (state.public_address, state.from_address))
    notes = []
    for index, result in enumerate(results):
        address, note = response_address(result.transaction, own)
        if address:
            _xml_response(session, result, address, index, parsed, state, options, now)
        notes.append(note)
    outcome, reason = settle_message(results, notes)
    tickets = [ticket_id for result in results for ticket_id in result.ticket_ids]
    return Decision(outcome=outcome, reason=reason), (tickets[0] if tickets else None)


def _xml_response(session: Session, result: TransactionResult, address: str, index: int,
                  parsed: ParsedMessage, state: ConnectorState, options: XmlOptions,
                  now: datetime) -> None:
    """The response goes to SendResponseToEmail (never to the sender), with the optional Bcc."""
    tx = result.transaction
    label = f" {shown(tx.return_id)}" if tx.return_id else ""  # one line: it becomes a header
    headers = {"Auto-Submitted": "auto-replied", "X-Loop": state.public_address}
    if parsed.view.message_id:
        headers["In-Reply-To"] = f"<{parsed.view.message_id}>"
    tickets = result.ticket_ids
    outbox.add(session, kind="xml_response", purpose_key=_purpose(parsed, f"xml_response:{index}"),
               mail_from=state.from_address, to=[address],
               bcc=[options.response_bcc] if options.response_bcc else None,
               subject=f"XML transaction{label}: {'OK' if result.ok else 'ERROR'}",
               body=render_response(result), headers=headers,
               message_id=new_message_id(state.message_id_domain, "xml"),
               inbound_message_id=parsed.claimed.id, ticket_id=tickets[0] if tickets else None,
               now=now)


def _record_bounce(session: Session, decision: Ignore, now: datetime, state: ConnectorState) -> None:
    if decision.bounced_outbound_message_id:
        outbox.mark_bounced(session, decision.bounced_outbound_message_id, now, decision.diagnostic)
    if decision.undeliverable:
        outbox.mark_undeliverable(
            session, decision.undeliverable, until=now + timedelta(days=state.undeliverable_days),
            reason=f"bounced on {now:%Y-%m-%d}: {decision.diagnostic or 'permanent failure'}",
            message_id=decision.bounced_outbound_message_id)


def _purpose(parsed: ParsedMessage, purpose: str) -> str:
    return f"inbound:{parsed.claimed.id}:{parsed.claimed.generation}:{purpose}"
