"""Every mail we write, in one place: acknowledgements, forwards, XML responses, test mail.

Each function returns the mail as a value (QueuedMail); apply and the test-mail use case put it
in the outbox, and the outbox sender composes and delivers it.
"""

from __future__ import annotations

from dataclasses import replace

from api.application.acknowledgement_text import Templates, footer, render
from api.application.forward_text import (
    NAME_LIMIT,
    clean,
    forward_from_name,
    forward_subject,
    headline,
    sender_name,
)
from api.application.runtime_settings import Values
from domain.decisions import Decision
from domain.messages import OutgoingMail, QueuedMail, new_message_id
from domain.model import MessageView, OutboxKind, format_ticket_number
from domain.reply_reference import sign, subaddress
from domain.xml_api import TransactionResult
from domain.xml_model import shown

TEST_BODY = "This is a test email sent by Email Connector to check the outgoing mail settings.\n"


def _mail(values: Values, *, to: list[str], subject: str, body: str, hint: str,
          headers: dict[str, str], bcc: list[str] | None = None) -> OutgoingMail:
    return OutgoingMail(mail_from=values.effective_from_address, to=to, subject=subject,
                        body=body, message_id=new_message_id(values.message_id_domain, hint),
                        headers=headers, from_name=values.from_name, bcc=bcc or [])


def reference_for(values: Values, ticket_id: int | None) -> str | None:
    """The signed reply reference of a ticket, when a key is configured (or generated)."""
    key = values.reply_reference_key
    return sign(ticket_id, str(key)) if key and ticket_id else None


def acknowledgement(values: Values, view: MessageView, *, ticket_id: int, inbound_id: int,
                    purpose_key: str) -> QueuedMail:
    number = format_ticket_number(ticket_id)
    reference = reference_for(values, ticket_id)
    text = render(Templates.of(values), team=values.from_name, sender_name=view.from_name,
                  subject=view.subject, number=number, reference=reference)
    headers = {
        "Auto-Submitted": "auto-replied",  # RFC 3834 §5: we are an automatic responder
        "X-Auto-Response-Suppress": "All",  # Exchange: do not answer us with an out-of-office
        "X-Loop": values.public_address,
    }
    if view.message_id:
        headers["In-Reply-To"] = f"<{view.message_id}>"
        headers["References"] = f"<{view.message_id}>"
    if reference and values.reply_subaddress:
        headers["Reply-To"] = subaddress(values.public_address, reference)
    mail = _mail(values, to=[view.from_address or ""], hint="ack", headers=headers,
                 subject=text.subject, body=text.body)
    return QueuedMail(OutboxKind.ACKNOWLEDGEMENT, replace(mail, html=text.html),
                      purpose_key=purpose_key, inbound_message_id=inbound_id, ticket_id=ticket_id)


def forward(values: Values, view: MessageView, decision: Decision, *, inbound_id: int,
            ticket_number: str | None, purpose_key: str, has_files: bool = False) -> QueuedMail:
    """The untouched original (attached at delivery, with copies of the customer's files next
    to it), the reason in words in the first lines (forward_text.py)."""
    lines = [*headline(decision, view, ticket_number), ""]
    if view.from_address:
        lines += [f"Reply to this email to answer {sender_name(view)} directly.", ""]
    lines += [f"Details: {decision.reason}",
              f"Outcome: {decision.outcome} (inbound message {inbound_id})", ""]
    sender = view.from_address or "(no sender)"
    lines.append(f"From: {clean(view.from_name, NAME_LIMIT)} <{sender}>" if view.from_name
                 else f"From: {sender}")
    lines += [f"{label}: {', '.join(found)}" for label, found in (("To", view.to), ("Cc", view.cc))
              if found]
    lines += [f"Subject: {view.subject}", "",
              "The original message is attached unchanged (original.eml)"
              + (", with copies of its files next to it." if has_files else "."), ""]
    reference = reference_for(values, int(ticket_number) if ticket_number else None)
    if reference:  # quoted in a technician's answer, it threads the customer's reply to it
        lines += [footer(reference), ""]
    # X-Loop keeps the loop marks the original carried: when two systems forward to each other
    # (our team address is another connector's public address), the mail comes back to us
    # with our own mark in it and is stopped (a second pass at most).
    loop_marks = dict.fromkeys([*view.headers.get("x-loop", ()), values.public_address])
    headers = {
        "X-Email-Connector-Outcome": str(decision.outcome),
        "X-Email-Connector-Inbound-Id": str(inbound_id),
        "X-Loop": ", ".join(loop_marks)[:900],
    }
    if view.from_address:
        headers["Reply-To"] = view.from_address  # our address stays in From (DMARC, SPF)
    if ticket_number:
        # Every forward about one ticket names the same (never sent) parent, so the team's
        # mail client shows them as one thread (RFC 5322 §3.6.4).
        thread = f"<ticket.{ticket_number}@{values.message_id_domain}>"
        headers["In-Reply-To"] = thread
        headers["References"] = thread
    mail = _mail(values, to=[values.support_team_address], body="\n".join(lines),
                 subject=forward_subject(values, decision.outcome, view.subject, ticket_number),
                 hint=f"fwd.{ticket_number}" if ticket_number else "fwd", headers=headers)
    mail = replace(mail, from_name=forward_from_name(values, view))
    return QueuedMail(OutboxKind.FORWARD, mail, purpose_key=purpose_key,
                      inbound_message_id=inbound_id,
                      ticket_id=int(ticket_number) if ticket_number else None,
                      attach_original=True, origin=view.from_address)


def xml_response(values: Values, result: TransactionResult, *, to: str, body: str,
                 bcc: str | None, in_reply_to: str | None, inbound_id: int,
                 purpose_key: str, authenticated: bool = True) -> QueuedMail:
    """A transaction's response; an unauthenticated one's subject carries no text it chose."""
    tx = result.transaction
    label = f" {shown(tx.return_id)}" if tx.return_id and authenticated else ""  # one line
    headers = {"Auto-Submitted": "auto-replied", "X-Loop": values.public_address}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    mail = _mail(values, to=[to], bcc=[bcc] if bcc else None, hint="xml", headers=headers,
                 subject=f"XML transaction{label}: {'OK' if result.ok else 'ERROR'}", body=body)
    tickets = result.ticket_ids
    return QueuedMail(OutboxKind.XML_RESPONSE, mail, purpose_key=purpose_key,
                      inbound_message_id=inbound_id, ticket_id=tickets[0] if tickets else None)


def test_mail(values: Values, *, to: str, sender: str | None) -> QueuedMail:
    mail = _mail(values, to=[to], subject="Email Connector test email", body=TEST_BODY,
                 hint="test", headers={"Auto-Submitted": "auto-generated",
                                       "X-Loop": values.public_address})
    return QueuedMail(OutboxKind.TEST, replace(mail, mail_from=sender) if sender else mail)
