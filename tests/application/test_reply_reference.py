"""The signed reply reference through the use cases: the acknowledgement carries it, and the
envelope recipient's sub-address (Postmark's MailboxHash, support+<ref>@) threads a reply
whose headers and body carry no clue at all (issue 12, class 10)."""

from __future__ import annotations

from domain.messages import ExtractedDocument, InboundDelivery, ReadMessage
from domain.model import MessageView
from domain.reply_reference import sign
from tests.application.test_use_cases import World

KEY = "test-reply-reference-key"


def test_the_acknowledgement_carries_the_reference_and_its_sub_address_when_turned_on() -> None:
    world = World(reply_reference_key=KEY, reply_subaddress=True)
    world.state.directory.add_account(7, "Acme", "acme.example")
    world.receive("Printer offline")
    world.process()
    [ack] = world.state.outbound.values()
    token = sign(1, KEY)
    assert f"Reference: {token}" in ack.mail.body
    assert ack.mail.headers["Reply-To"] == f"support+{token}@msp.example"


def test_a_reply_delivered_to_the_sub_address_threads_by_the_envelope_alone() -> None:
    world = World(reply_reference_key=KEY)
    world.state.directory.add_account(7, "Acme", "acme.example")
    world.receive("Printer offline")
    world.process()
    world.state.directory.add_ticket(1, account_id=7)
    raw = b"From: bob@acme.example\r\nSubject: ok\r\n\r\nthanks"
    world.reads[raw] = ReadMessage(
        MessageView(from_address="bob@acme.example", subject="ok", to=("support@msp.example",)),
        ExtractedDocument(text="thanks", reply_text="thanks"))
    inbound = world.ingest.store(InboundDelivery(
        raw=raw, source="postmark", envelope_to=(f"support+{sign(1, KEY)}@msp.example",))).id
    world.process()
    row = world.state.inbound[inbound]
    assert (row.outcome, row.ticket_id) == ("filed_customer_reply", 1)
    assert "signed reply reference" in row.reason


def test_without_a_key_nothing_is_signed() -> None:
    world = World()
    world.state.directory.add_account(7, "Acme", "acme.example")
    world.receive("Printer offline")
    world.process()
    [ack] = world.state.outbound.values()
    assert "Reference:" not in ack.mail.body and "Reply-To" not in ack.mail.headers
