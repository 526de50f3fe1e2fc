"""What a forward tells the team: a subject tag saying what happened (and with which ticket),
the sender's name in From ("Bob Jones via Support", with our address, as Google Groups and
helpdesks write it), and first lines in plain words. The internal outcome and reason follow
for whoever wants the detail."""

from __future__ import annotations

import re

from api.application.runtime_settings import Values
from domain.decisions import Decision, FileReply
from domain.model import MessageView, Outcome

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
NAME_LIMIT = 64  # characters of the sender's name in our From


def clean(text: str, limit: int) -> str:
    """One line of at most `limit` characters (an ellipsis marks a cut), no control characters:
    what we quote of text a stranger chose."""
    text = " ".join(_CONTROL.sub(" ", text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def sender_name(view: MessageView) -> str:
    """The sender as a person reads it: the display name, else the address."""
    return clean(view.from_name or view.from_address or "", NAME_LIMIT)


def forward_from_name(values: Values, view: MessageView) -> str:
    name = sender_name(view)
    return f"{name} via {values.from_name}" if name else str(values.from_name)


def forward_subject(values: Values, outcome: str, subject: str, ticket_number: str | None) -> str:
    subject = subject or "(no subject)"
    if ticket_number and ticket_number.lstrip("0") not in subject:
        # The ticket's tag stays in the subject: the team's replies to the customer thread.
        subject = f"[Ticket #{ticket_number}] {subject}"
    template = {
        Outcome.FORWARDED_UNRECOGNIZED: values.forward_tag_unrecognized,
        Outcome.FORWARDED_ERROR: values.forward_tag_error,
        Outcome.FILED_CUSTOMER_REPLY: values.forward_tag_reply,
        Outcome.AUTOMATED_SKIPPED: values.forward_tag_automated,
    }.get(Outcome(outcome), "")
    tag = template.format(number=ticket_number or "") if template else ""
    return f"{tag} {subject}" if tag and not subject.startswith(tag) else subject


def headline(decision: Decision, view: MessageView, ticket_number: str | None) -> list[str]:
    """The first lines: what happened, in words a technician reads at a glance."""
    who = _who(view)
    outcome = decision.outcome
    if outcome == Outcome.FILED_CUSTOMER_REPLY:
        reopened = isinstance(decision, FileReply) and decision.reopen
        lines = [f"{who} replied on ticket {ticket_number}. The reply is filed under the ticket"
                 + (" and the closed ticket is reopened." if reopened else ".")]
        if isinstance(decision, FileReply) and decision.matched_by:
            lines.append(f"Matched by {decision.matched_by}.")
        if isinstance(decision, FileReply) and decision.caution:
            lines.append(f"Check: {decision.caution}.")
        return lines
    if outcome == Outcome.FORWARDED_UNRECOGNIZED:
        if not view.from_address:
            return ["This message has no usable sender address, so no customer could be found "
                    "and no ticket was opened."]
        return [f"{who} is not a known customer: the address matches no account, so no ticket "
                "was opened.",
                "To have their mail open tickets, add the address (or its domain) to an account."]
    if outcome == Outcome.FORWARDED_ERROR:
        reason = decision.reason.removesuffix("; forwarded for a person to decide")
        return [f"This message from {who} needs a person to decide, so no ticket was opened: "
                f"{reason}."]
    if outcome == Outcome.AUTOMATED_SKIPPED:
        return [f"An automatic message from {who}, skipped by an automated-email rule: no "
                "ticket was opened."]
    return [f"A message from {who}."]


def _who(view: MessageView) -> str:
    name = sender_name(view)
    if view.from_address and view.from_name:
        return f"{name} <{view.from_address}>"
    return name or "(no sender)"
