"""Step 4 of processing: which existing ticket a message belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.model import MessageView, TicketRef
from domain.ports import Directory
from domain.reply_reference import verify

# Default forms: "[Ticket #0000123]", "Ticket 0000123", "Ticket: 123", "Ticket#123".
DEFAULT_TICKET_PATTERN = r"\bticket\s*[:#]?\s*#?\s*(\d{1,12})\b"


def compile_ticket_pattern(pattern: str | None) -> re.Pattern[str]:
    """Compile the configured subject pattern; it must have at least one group for the number."""
    compiled = re.compile(pattern or DEFAULT_TICKET_PATTERN, re.IGNORECASE)
    if compiled.groups < 1:
        raise ValueError("the ticket subject pattern needs one group around the number")
    return compiled


def ticket_numbers_in_subject(subject: str, pattern: re.Pattern[str]) -> list[int]:
    """Numbers in subject order; leading zeros do not matter (0000123 is 123)."""
    numbers: list[int] = []
    for match in pattern.finditer(subject or ""):
        digits = next((g for g in match.groups() if g), None)
        if digits and digits.isdigit() and int(digits) not in numbers:
            numbers.append(int(digits))
    return numbers


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    ticket: TicketRef
    how: str
    # Only a number in the subject said so (no reference or Message-ID of ours agreed): anyone
    # can write a number, so the sender's tie to the ticket is checked (decide.py).
    bare: bool = False


def find_thread(view: MessageView, directory: Directory, pattern: re.Pattern[str],
                key: str = "") -> ThreadMatch | None:
    """The ticket named in the subject, else the one our signed reply reference names, else
    the one our own Message-ID in the headers belongs to.

    A number that names no ticket, and a reference that does not verify, are ignored and the
    next clue is tried.
    """
    by_reference = _by_reference(view, directory, key)
    # In-Reply-To first, then References newest first (RFC 5322 §3.6.4 lists oldest first).
    candidates = list(view.in_reply_to) + list(reversed(view.references))
    by_message_id = directory.ticket_by_own_message_ids(candidates) if candidates else None
    for number in ticket_numbers_in_subject(view.subject, pattern):
        ticket = directory.ticket_by_number(number)
        if ticket is not None:
            confirmed = ticket.id in {t.id for t in (by_reference, by_message_id) if t}
            return ThreadMatch(ticket, f"ticket number {ticket.number} in the subject",
                               bare=not confirmed)
    if by_reference is not None:
        return ThreadMatch(by_reference, f"our signed reply reference for ticket "
                                         f"{by_reference.number}")
    if by_message_id is not None:
        return ThreadMatch(by_message_id, f"a reply to our message on ticket {by_message_id.number}")
    return None


def _by_reference(view: MessageView, directory: Directory, key: str) -> TicketRef | None:
    for token in view.reply_references:
        ticket_id = verify(token, key)
        ticket = directory.ticket_by_number(ticket_id) if ticket_id else None
        if ticket is not None:
            return ticket
    return None
