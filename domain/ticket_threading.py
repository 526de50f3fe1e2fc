"""Step 4 of processing: which existing ticket a message belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.model import MessageView, TicketRef
from domain.ports import Directory

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


def find_thread(view: MessageView, directory: Directory, pattern: re.Pattern[str]) -> ThreadMatch | None:
    """The ticket named in the subject, else the one our own Message-ID in the headers belongs to.

    A number that names no ticket is ignored and the next clue is tried.
    """
    for number in ticket_numbers_in_subject(view.subject, pattern):
        ticket = directory.ticket_by_number(number)
        if ticket is not None:
            return ThreadMatch(ticket, f"ticket number {ticket.number} in the subject")
    # In-Reply-To first, then References newest first (RFC 5322 §3.6.4 lists oldest first).
    candidates = list(view.in_reply_to) + list(reversed(view.references))
    if candidates:
        ticket = directory.ticket_by_own_message_ids(candidates)
        if ticket is not None:
            return ThreadMatch(ticket, f"a reply to our message on ticket {ticket.number}")
    return None
