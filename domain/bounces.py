"""Bounces: which of our mails bounced, and which addresses not to write to for a while."""

from __future__ import annotations

from domain.decisions import Ignore
from domain.model import MessageView, Outcome
from domain.ports import Directory


def bounce_decision(view: MessageView, directory: Directory, why: str) -> Ignore:
    report = view.delivery_report
    if report is None:
        return Ignore(outcome=Outcome.BOUNCE, reason=f"bounce: {why}")
    ours = next((mid for mid in report.message_ids if directory.is_own_message_id(mid)), None)
    who = ", ".join(report.recipients) or "an unnamed recipient"
    kind = "permanent" if report.permanent else "temporary"
    parts = [f"bounce: {why}; {kind} failure ({report.status or report.action or 'no status'}) for {who}"]
    if ours:
        parts.append(f"of our message <{ours}>")
    if report.permanent and ours:
        parts.append("; the address is marked undeliverable for a while")
    return Ignore(
        outcome=Outcome.BOUNCE,
        reason=" ".join(parts),
        bounced_outbound_message_id=ours,
        # Only a permanent failure of a mail we sent marks addresses: anyone can forge a bounce
        # naming any address, but not one quoting a Message-ID only we and the recipient know.
        undeliverable=report.recipients if (report.permanent and ours) else (),
        diagnostic=report.diagnostic,
    )
