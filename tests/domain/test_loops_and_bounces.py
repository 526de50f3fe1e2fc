"""Bounces linked to what we sent; limits on what we send automatically."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.decide import decide
from domain.decisions import CreateTicket, FileReply, Forward, Ignore
from domain.model import DeliveryReport, Outcome, RecipientStatus
from tests.domain.fakes import FakeDirectory
from tests.domain.test_decide import NOW, POLICY, view

REPORT = DeliveryReport(action="failed", status="5.1.1", recipients=("gone@acme.example",),
                        diagnostic="550 5.1.1 no such user", message_ids=("ack.1@msp.example",),
                        per_recipient=(RecipientStatus("gone@acme.example", action="failed",
                                                       status="5.1.1"),))
DSN = {"from_address": "mailer-daemon@mx.acme.example", "content_type": "multipart/report",
       "report_type": "delivery-status", "delivery_report": REPORT}


def test_a_hard_bounce_of_our_mail_names_it_and_marks_the_address() -> None:
    directory = FakeDirectory(own_message_ids={"ack.1@msp.example": None},
                              sent_to={"ack.1@msp.example": ("gone@acme.example",)})
    decision = decide(view(**DSN), directory, POLICY)
    assert isinstance(decision, Ignore) and decision.outcome == Outcome.BOUNCE
    assert decision.bounced_outbound_message_id == "ack.1@msp.example"
    assert decision.undeliverable == ("gone@acme.example",)
    assert "permanent failure (5.1.1) for gone@acme.example of our message" in decision.reason


def test_a_bounce_of_mail_we_never_sent_marks_nothing() -> None:
    decision = decide(view(**DSN), FakeDirectory(), POLICY)
    assert isinstance(decision, Ignore)
    assert decision.bounced_outbound_message_id is None and decision.undeliverable == ()


def test_a_delay_notice_is_not_a_reason_to_stop_writing() -> None:
    delayed = replace(REPORT, action="delayed", status="4.2.2", per_recipient=(
        RecipientStatus("gone@acme.example", action="delayed", status="4.2.2"),))
    directory = FakeDirectory(own_message_ids={"ack.1@msp.example": None},
                              sent_to={"ack.1@msp.example": ("gone@acme.example",)})
    decision = decide(view(**{**DSN, "delivery_report": delayed}), directory, POLICY)
    assert isinstance(decision, Ignore) and decision.undeliverable == ()
    assert "temporary failure" in decision.reason


def test_an_address_that_bounced_gets_no_acknowledgement() -> None:
    directory = FakeDirectory(bounced={"bob@acme.example": "bounced on 2026-11-20"})
    directory.add_account(1, "Acme", "acme.example")
    decision = decide(view(), directory, POLICY)
    assert isinstance(decision, CreateTicket) and not decision.acknowledge
    assert "bounced recently" in decision.reason


def test_forwards_stop_at_the_hourly_limit_per_sender_but_the_outcome_stands() -> None:
    directory = FakeDirectory(forwards=[("bob@acme.example", NOW - timedelta(minutes=5))] * 30)
    decision = decide(view(), directory, POLICY)
    assert isinstance(decision, Forward) and decision.outcome == Outcome.FORWARDED_UNRECOGNIZED
    assert decision.send is False and "forward suppressed: 30 mails" in decision.reason
    directory.add_ticket(7)
    reply = decide(view(subject="Re: [Ticket #0000007]"), directory, POLICY)
    assert isinstance(reply, FileReply) and reply.forward is False


def test_below_the_limit_forwards_go_out() -> None:
    directory = FakeDirectory(forwards=[("bob@acme.example", NOW - timedelta(minutes=90))] * 50)
    decision = decide(view(), directory, POLICY)
    assert isinstance(decision, Forward) and decision.send is True
