"""The processing order and each of its steps, on plain objects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.decide import decide
from domain.decisions import CreateTicket, FileReply, Forward, Ignore
from domain.model import DocumentKind, EmployeeRef, MessageView, Outcome, Policy
from domain.ticket_threading import compile_ticket_pattern
from tests.domain.fakes import FakeDirectory

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
POLICY = Policy(public_address="support@msp.example", support_team_address="team@msp.example",
                from_address="support@msp.example", ticket_pattern=compile_ticket_pattern(None),
                acknowledgements_per_hour=2, now=NOW)


def view(**fields: object) -> MessageView:
    base = MessageView(from_address="bob@acme.example", subject="Printer offline",
                       message_id="m1@acme.example")
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


class TestSenderMatching:
    def test_an_exact_address_wins_over_a_domain(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        directory.add_account(2, "Bob Ltd", "bob@acme.example", contact_id=7)
        decision = decide(view(), directory, POLICY)
        assert isinstance(decision, CreateTicket)
        assert (decision.account_id, decision.contact_id) == (2, 7)
        assert "by address bob@acme.example" in decision.reason

    def test_the_domain_is_tried_when_no_account_holds_the_address(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        decision = decide(view(), directory, POLICY)
        assert isinstance(decision, CreateTicket) and decision.account_id == 1
        assert "by domain acme.example" in decision.reason

    def test_two_accounts_for_one_domain_are_an_error_naming_both(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme East", "acme.example")
        directory.add_account(2, "Acme West", "acme.example")
        decision = decide(view(), directory, POLICY)
        assert isinstance(decision, Forward)
        assert decision.outcome == Outcome.FORWARDED_ERROR
        assert "1 (Acme East), 2 (Acme West)" in decision.reason

    def test_two_contacts_of_one_account_are_not_ambiguous(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "bob@acme.example", contact_id=5)
        directory.add_account(1, "Acme", "bob@acme.example", contact_id=3)
        decision = decide(view(), directory, POLICY)
        assert isinstance(decision, CreateTicket) and decision.contact_id == 3

    def test_no_match_and_no_sender_are_forwarded_unrecognized(self, directory: FakeDirectory) -> None:
        assert decide(view(), directory, POLICY).outcome == Outcome.FORWARDED_UNRECOGNIZED
        nobody = decide(view(from_address=None), directory, POLICY)
        assert nobody.outcome == Outcome.FORWARDED_UNRECOGNIZED
        assert "no usable sender" in nobody.reason


class TestThreading:
    def test_the_subject_number_files_a_customer_reply_and_forwards_it(self, directory: FakeDirectory) -> None:
        directory.add_ticket(123)
        decision = decide(view(subject="Re: [Ticket #0000123] Printer"), directory, POLICY)
        assert isinstance(decision, FileReply)
        assert (decision.ticket_id, decision.forward) == (123, True)
        assert decision.document_kind == DocumentKind.CUSTOMER_EMAIL

    def test_an_active_employee_is_filed_without_a_forward(self, directory: FakeDirectory) -> None:
        directory.add_ticket(123)
        directory.employees["bob@acme.example"] = EmployeeRef(4, "Bob")
        decision = decide(view(subject="Ticket 123"), directory, POLICY)
        assert isinstance(decision, FileReply)
        assert decision.outcome == Outcome.FILED_EMPLOYEE_REPLY and decision.forward is False

    def test_threading_comes_before_sender_matching(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        directory.add_ticket(5)
        assert decide(view(subject="Ticket: 5"), directory, POLICY).outcome == Outcome.FILED_CUSTOMER_REPLY

    def test_our_message_id_in_references_threads_when_the_subject_lost_its_tag(self, directory: FakeDirectory) -> None:
        directory.add_ticket(9)
        directory.own_message_ids["ack.1@msp.example"] = 9
        decision = decide(view(subject="Re: hello", references=("x@y", "ack.1@msp.example")),
                          directory, POLICY)
        assert isinstance(decision, FileReply) and decision.ticket_id == 9

    def test_a_reply_to_a_closed_ticket_reopens_it(self, directory: FakeDirectory) -> None:
        directory.add_ticket(8, status="closed")
        decision = decide(view(subject="Ticket#8"), directory, POLICY)
        assert isinstance(decision, FileReply) and decision.reopen


class TestGuards:
    def test_our_own_message_id_is_a_loop_even_from_a_customer_address(self, directory: FakeDirectory) -> None:
        directory.own_message_ids["fwd.1@msp.example"] = None
        decision = decide(view(message_id="fwd.1@msp.example"), directory, POLICY)
        assert isinstance(decision, Ignore) and decision.outcome == Outcome.IGNORED_LOOP

    def test_guards_run_before_threading(self, directory: FakeDirectory) -> None:
        directory.add_ticket(1)
        decision = decide(view(subject="Ticket 1", headers={"x-loop": ("support@msp.example",)}),
                          directory, POLICY)
        assert decision.outcome == Outcome.IGNORED_LOOP

    @pytest.mark.parametrize("fields", [
        {"content_type": "multipart/report", "report_type": "delivery-status"},
        {"from_address": "mailer-daemon@mx.example"},
        {"from_address": "postmaster@mx.example", "subject": "Undeliverable: hello"},
        {"return_path": "<>"},
    ])
    def test_delivery_failures_are_bounces(self, directory: FakeDirectory, fields: dict[str, object]) -> None:
        assert decide(view(**fields), directory, POLICY).outcome == Outcome.BOUNCE


class TestAcknowledgements:
    def test_a_new_ticket_is_acknowledged(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        decision = decide(view(), directory, POLICY)
        assert isinstance(decision, CreateTicket) and decision.acknowledge

    @pytest.mark.parametrize("headers", [
        {"auto-submitted": ("auto-replied",)}, {"precedence": ("junk",)},
        {"x-autoreply": ("yes",)}, {"list-unsubscribe": ("<mailto:x@y>",)},
    ])
    def test_automatic_mail_is_never_acknowledged(self, directory: FakeDirectory,
                                                 headers: dict[str, tuple[str, ...]]) -> None:
        directory.add_account(1, "Acme", "acme.example")
        decision = decide(view(headers=headers), directory, POLICY)
        assert isinstance(decision, CreateTicket) and not decision.acknowledge
        assert "not acknowledged" in decision.reason

    def test_auto_submitted_no_is_a_person(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        decision = decide(view(headers={"auto-submitted": ("no",)}), directory, POLICY)
        assert isinstance(decision, CreateTicket) and decision.acknowledge

    def test_the_hourly_limit_counts_only_the_last_hour(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        directory.acknowledgements = [("bob@acme.example", NOW - timedelta(minutes=10)),
                                      ("bob@acme.example", NOW - timedelta(minutes=50))]
        limited = decide(view(), directory, POLICY)
        assert isinstance(limited, CreateTicket) and not limited.acknowledge
        assert "suppressed: 2 already sent" in limited.reason
        directory.acknowledgements[1] = ("bob@acme.example", NOW - timedelta(minutes=61))
        allowed = decide(view(), directory, POLICY)
        assert isinstance(allowed, CreateTicket) and allowed.acknowledge

    def test_turned_off_means_no_acknowledgement(self, directory: FakeDirectory) -> None:
        directory.add_account(1, "Acme", "acme.example")
        decision = decide(view(), directory, replace(POLICY, acknowledge_new_tickets=False))
        assert isinstance(decision, CreateTicket) and not decision.acknowledge
