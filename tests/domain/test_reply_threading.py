"""Threading that survives what clients and people do to replies (issue 12, class 10)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.decide import decide
from domain.decisions import CreateTicket, FileReply
from domain.model import EmployeeRef, MessageView, Outcome
from domain.reply_reference import sign
from tests.domain.fakes import FakeDirectory
from tests.domain.test_decide import POLICY

KEY = "k" * 43
SIGNED = replace(POLICY, reply_reference_key=KEY)


def reply(**fields: object) -> MessageView:
    # A reply whose subject was rewritten and whose client dropped In-Reply-To/References.
    base = MessageView(from_address="bob@acme.example", subject="AW: Drucker",
                       message_id="r1@acme.example")
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def directory() -> FakeDirectory:
    found = FakeDirectory()
    found.add_account(1, "Acme", "acme.example")
    found.add_ticket(123, account_id=1)
    return found


def test_a_valid_reference_threads_a_reply_with_no_subject_tag_and_no_headers(
        directory: FakeDirectory) -> None:
    decision = decide(reply(reply_references=(sign(123, KEY),)), directory, SIGNED)
    assert isinstance(decision, FileReply) and decision.ticket_id == 123
    assert decision.outcome == Outcome.FILED_CUSTOMER_REPLY
    assert "our signed reply reference for ticket 0000123" in decision.reason
    assert decision.matched_by == "our signed reply reference for ticket 0000123"


def test_a_forged_reference_or_one_under_another_key_is_ignored(directory: FakeDirectory) -> None:
    forged = ("t123-aaaaaaaaaa", sign(123, "someone-elses-key"))
    decision = decide(reply(reply_references=forged), directory, SIGNED)
    assert isinstance(decision, CreateTicket)  # a new ticket, as with no reference at all


def test_without_a_key_no_reference_is_believed(directory: FakeDirectory) -> None:
    decision = decide(reply(reply_references=(sign(123, ""),)), directory, POLICY)
    assert isinstance(decision, CreateTicket)


def test_the_reason_says_which_clue_threaded_it(directory: FakeDirectory) -> None:
    directory.own_message_ids["ack.1@msp.example"] = 123
    by_id = decide(reply(in_reply_to=("ack.1@msp.example",)), directory, SIGNED)
    by_subject = decide(reply(subject="Re: [Ticket #0000123]"), directory, SIGNED)
    assert "a reply to our message on ticket 0000123" in by_id.reason
    assert "ticket number 0000123 in the subject" in by_subject.reason


def test_a_bare_number_from_an_unrelated_sender_is_filed_forwarded_and_flagged(
        directory: FakeDirectory) -> None:
    decision = decide(reply(from_address="mallory@elsewhere.example",
                            subject="Re: [Ticket #0000123]"), directory, SIGNED)
    assert isinstance(decision, FileReply) and decision.forward
    assert "mallory@elsewhere.example is neither the ticket's contact" in decision.reason
    assert decision.caution.startswith("the ticket number in the subject is the only clue")


@pytest.mark.parametrize("tie", ["account", "correspondent", "reference", "message_id"])
def test_a_number_from_someone_tied_to_the_ticket_is_not_flagged(
        directory: FakeDirectory, tie: str) -> None:
    sender, fields = "carol@partner.example", {}
    if tie == "account":
        sender = "dave@acme.example"  # the account's domain
    elif tie == "correspondent":
        directory.correspondents[123] = {sender}
    elif tie == "reference":
        fields = {"reply_references": (sign(123, KEY),)}
    else:
        directory.own_message_ids["fwd.9@msp.example"] = 123
        fields = {"in_reply_to": ("fwd.9@msp.example",)}
    decision = decide(reply(from_address=sender, subject="RE: Ticket 123", **fields),
                      directory, SIGNED)
    assert isinstance(decision, FileReply)
    assert decision.caution == "" and "only clue" not in decision.reason


def test_an_employee_with_a_bare_number_is_an_employee_reply(directory: FakeDirectory) -> None:
    directory.employees["tina@msp.example"] = EmployeeRef(5, "Tina")
    decision = decide(reply(from_address="tina@msp.example", subject="Ticket 123"),
                      directory, SIGNED)
    assert decision.outcome == Outcome.FILED_EMPLOYEE_REPLY
