"""Bounces: which of our mails bounced, and which addresses not to write to for a while.

Anyone can send us a delivery report, so what it claims is believed only as far as we can check
it: the report must quote the Message-ID of a mail we sent, and an address is marked
undeliverable only when that mail was really sent to it and the report's own block for that
recipient says the delivery failed for good (Action: failed, Status 5.x.x; RFC 3464 §2.3).
"""

from __future__ import annotations

from domain.decisions import Ignore
from domain.model import DeliveryReport, MessageView, Outcome
from domain.ports import Directory


def is_read_receipt(view: MessageView) -> str | None:
    """Why this message is a read receipt (RFC 8098 disposition notification), or None.

    A read receipt is an automated notification, not a delivery failure: it marks nothing.
    """
    if view.content_type == "multipart/report" and view.report_type == "disposition-notification":
        return "it is a read receipt (multipart/report; report-type=disposition-notification)"
    return None


def read_receipt_decision(why: str) -> Ignore:
    return Ignore(outcome=Outcome.IGNORED_LOOP,
                  reason=f"ignored: {why}, an automated notification; nothing is filed, "
                         "forwarded or marked undeliverable")


def bounce_decision(view: MessageView, directory: Directory, why: str) -> Ignore:
    report = view.delivery_report
    if report is None:
        return Ignore(outcome=Outcome.BOUNCE, reason=f"bounce: {why}")
    ours, sent_to = _our_message(report, directory)
    who = ", ".join(report.recipients) or "an unnamed recipient"
    kind = "permanent" if report.permanent else "temporary"
    parts = [f"bounce: {why}; {kind} failure ({report.status or report.action or 'no status'}) for {who}"]
    if ours:
        parts.append(f"of our message <{ours}>")
    marked = _undeliverable(report, sent_to) if ours else ()
    if marked:
        parts.append(f"; {', '.join(marked)} marked undeliverable for a while")
    if ours:
        failed = {a for r in report.per_recipient if r.permanent for a in r.addresses}
        not_ours = sorted(failed - set(sent_to) - set(marked))
        if not_ours:
            parts.append(f"; not marked: {', '.join(not_ours)} (our message was not sent there)")
    return Ignore(
        outcome=Outcome.BOUNCE,
        reason=" ".join(parts),
        bounced_outbound_message_id=ours,
        undeliverable=marked,
        diagnostic=report.diagnostic,
    )


def _our_message(report: DeliveryReport, directory: Directory) -> tuple[str | None, tuple[str, ...]]:
    """The first quoted Message-ID we sent, and the addresses that message went to."""
    for message_id in report.message_ids:
        recipients = directory.outbound_recipients(message_id)
        if recipients is not None:
            return message_id, tuple(a.lower() for a in recipients)
    return None, ()


def _undeliverable(report: DeliveryReport, sent_to: tuple[str, ...]) -> tuple[str, ...]:
    """The recipients of our message whose own report block is a permanent failure."""
    marked: list[str] = []
    for recipient in report.per_recipient:
        if not recipient.permanent:
            continue
        address = next((a for a in recipient.addresses if a in sent_to), None)
        if address and address not in marked:
            marked.append(address)
    return tuple(marked)
