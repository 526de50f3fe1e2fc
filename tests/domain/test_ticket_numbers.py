"""Ticket numbers in subjects: the default forms and a configured pattern."""

from __future__ import annotations

import pytest

from domain.ticket_threading import compile_ticket_pattern, ticket_numbers_in_subject

DEFAULT = compile_ticket_pattern(None)


@pytest.mark.parametrize("subject, numbers", [
    ("[Ticket #0000123] Printer", [123]),
    ("Re: Ticket 0000123", [123]),
    ("AW: Ticket: 123", [123]),
    ("Ticket#123 follow-up", [123]),
    ("TICKET #42 and ticket 7", [42, 7]),
    ("Re: [Ticket #0000042] also [Ticket #42]", [42]),
    ("Tickets for the concert", []),
    ("Ticketing system 12", []),
    ("no number here", []),
])
def test_default_forms_are_found_and_leading_zeros_ignored(subject: str, numbers: list[int]) -> None:
    assert ticket_numbers_in_subject(subject, DEFAULT) == numbers


def test_a_configured_pattern_replaces_the_default_forms() -> None:
    pattern = compile_ticket_pattern(r"\[SR-(\d+)\]")
    assert ticket_numbers_in_subject("Re: [SR-00017] disk", pattern) == [17]
    assert ticket_numbers_in_subject("Ticket 5", pattern) == []


def test_a_pattern_without_a_group_is_refused() -> None:
    with pytest.raises(ValueError):
        compile_ticket_pattern(r"Ticket \d+")
