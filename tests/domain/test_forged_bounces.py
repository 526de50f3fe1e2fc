"""Forged bounces (issue 15 item 2): a report is believed only as far as it can be checked."""

from __future__ import annotations

from domain.decide import decide
from domain.decisions import CreateTicket, Ignore
from domain.model import DeliveryReport, Outcome, RecipientStatus
from tests.domain.fakes import FakeDirectory
from tests.domain.test_decide import POLICY, view

OURS = "ack.1@msp.example"


def dsn(*recipients: RecipientStatus, ids: tuple[str, ...] = (OURS,)) -> dict[str, object]:
    first = recipients[0] if recipients else RecipientStatus("x@y.example")
    report = DeliveryReport(action=first.action, status=first.status,
                            recipients=tuple(r.address for r in recipients),
                            message_ids=ids, per_recipient=recipients)
    return {"from_address": "mailer-daemon@mx.acme.example", "content_type": "multipart/report",
            "report_type": "delivery-status", "delivery_report": report}


def sent(*addresses: str) -> FakeDirectory:
    return FakeDirectory(own_message_ids={OURS: None}, sent_to={OURS: addresses})


def test_a_bounce_quoting_our_message_marks_only_addresses_it_was_sent_to() -> None:
    decision = decide(view(**dsn(
        RecipientStatus("gone@acme.example", action="failed", status="5.1.1"),
        RecipientStatus("ceo@victim.example", action="failed", status="5.1.1"),
        RecipientStatus("cfo@victim.example", action="failed", status="5.1.1"),
    )), sent("gone@acme.example"), POLICY)
    assert isinstance(decision, Ignore) and decision.outcome == Outcome.BOUNCE
    assert decision.bounced_outbound_message_id == OURS
    assert decision.undeliverable == ("gone@acme.example",)
    assert "not marked: ceo@victim.example, cfo@victim.example" in decision.reason


def test_only_recipients_whose_own_block_is_a_permanent_failure_are_marked() -> None:
    decision = decide(view(**dsn(
        RecipientStatus("late@acme.example", action="delayed", status="4.2.2"),
        RecipientStatus("fine@acme.example", action="delivered", status="2.0.0"),
        RecipientStatus("expired@acme.example", action="failed", status="4.4.7"),
        RecipientStatus("gone@acme.example", action="failed", status="5.1.1"),
    )), sent("late@acme.example", "fine@acme.example", "expired@acme.example",
             "gone@acme.example"), POLICY)
    assert isinstance(decision, Ignore) and decision.undeliverable == ("gone@acme.example",)


def test_a_failed_recipient_is_matched_by_its_original_recipient_too() -> None:
    decision = decide(view(**dsn(RecipientStatus(
        "bob@mailhost.acme.example", original="bob@acme.example", action="failed",
        status="5.1.1"))), sent("bob@acme.example"), POLICY)
    assert isinstance(decision, Ignore) and decision.undeliverable == ("bob@acme.example",)


def test_a_report_without_per_recipient_blocks_marks_nothing() -> None:
    report = DeliveryReport(action="failed", status="5.1.1", recipients=("gone@acme.example",),
                            message_ids=(OURS,))
    decision = decide(view(**{**dsn(), "delivery_report": report}), sent("gone@acme.example"),
                      POLICY)
    assert isinstance(decision, Ignore) and decision.undeliverable == ()


def test_a_read_receipt_is_no_bounce_and_marks_nothing() -> None:
    receipt = {**dsn(RecipientStatus("bob@acme.example", action="failed", status="5.1.1")),
               "from_address": "bob@acme.example", "report_type": "disposition-notification"}
    directory = sent("bob@acme.example")
    directory.add_account(1, "Acme", "acme.example")
    decision = decide(view(**receipt), directory, POLICY)
    assert isinstance(decision, Ignore) and not isinstance(decision, CreateTicket)
    assert decision.outcome == Outcome.IGNORED_LOOP and decision.undeliverable == ()
    assert decision.bounced_outbound_message_id is None
    assert "read receipt" in decision.reason
