"""Real-world odd messages through the whole pipeline (HTTP in, worker, processing log out).

Each must be accepted, reach `done` within the fixture's normal wait (Api.processed: 10 s; a
pathological reader would exceed it, and the default per-message limit is 60 s), with the
outcome a person would expect and its content read as far as it can be.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.conftest import SmtpSink
from tests.hostile import odd_messages as odd


def deliver(api: Api, raw: bytes) -> dict[str, Any]:
    accepted = api.send(raw)
    assert accepted["status"] == "queued"
    message = api.processed(accepted["id"])
    assert message["status"] == "done", message["error"]
    return message


def first_document(api: Api, message: dict[str, Any]) -> dict[str, Any]:
    assert message["ticket_number"], message
    documents = api.get(f"/api/v1/tickets/{message['ticket_number']}/documents")["items"]
    [document] = documents
    return document


@pytest.mark.parametrize("name", sorted(odd.ODD))
def test_every_odd_message_is_processed_to_its_expected_outcome(customer_api: Api, name: str) -> None:
    build, expected = odd.ODD[name]
    message = deliver(customer_api, build())
    assert message["outcome"] == expected, message["reason"]


def test_a_message_without_from_is_forwarded_untouched_to_the_team(customer_api: Api,
                                                                   smtp: SmtpSink) -> None:
    raw = odd.no_from()
    message = deliver(customer_api, raw)
    assert message["from_address"] is None
    [forward] = smtp.wait_for(1)
    assert forward.rcpt_tos == ["team@msp.example"]
    assert raw in forward.data  # attached byte for byte (already CRLF)


def test_text_under_a_wrong_boundary_is_still_filed_as_text(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.broken_boundaries()))
    assert "body under a wrong boundary" in (document["text"] or "")


def test_wrongly_declared_and_unknown_charsets_are_decoded_best_effort(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.wrong_charsets()))
    assert (document["text"] or "").count("Grüße aus Köln") == 2


def test_eight_bit_headers_are_read_as_text(customer_api: Api) -> None:
    message = deliver(customer_api, odd.eight_bit_headers())
    assert message["subject"] == "Störung im Büro"
    assert message["from_address"] == odd.CUSTOMER


def test_bad_base64_keeps_the_attachment_as_received(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.bad_base64()))
    assert [a["filename"] for a in document["attachments"]] == ["x.png"]


def test_a_header_flood_still_finds_the_body(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.huge_header_count()))
    assert "body after a header flood" in (document["text"] or "")


def test_deep_mime_nesting_becomes_a_ticket_without_losing_the_text(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.deep_nesting()))
    assert "the innermost text" in (document["text"] or "")


def test_nul_bytes_do_not_break_storage(customer_api: Api) -> None:
    message = deliver(customer_api, odd.nul_bytes())
    document = first_document(customer_api, message)
    assert "\x00" not in (document["text"] or "") and "NUL" in (document["text"] or "")
    assert "\x00" not in (message["subject"] or "")


def test_winmail_dat_is_unpacked_into_its_files(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.tnef()))
    assert [a["filename"] for a in document["attachments"]] == ["report.txt"]
    assert "Body from Outlook" in (document["text"] or "")


def test_a_thousand_attachments_are_filed_up_to_the_part_limit(customer_api: Api) -> None:
    document = first_document(customer_api, deliver(customer_api, odd.many_attachments()))
    names = [a["filename"] for a in document["attachments"]]
    # MAX_PARTS (1000) counts the container and the text part too: the first 998 files.
    assert len(names) == 998 and names[0] == "f0.bin" and len(set(names)) == 998


@pytest.mark.parametrize("build", [odd.only_headers, odd.whitespace_body], ids=lambda b: b.__name__)
def test_a_message_with_no_body_becomes_a_ticket_with_empty_text(customer_api: Api, build: Any) -> None:
    message = deliver(customer_api, build())
    document = first_document(customer_api, message)
    assert (document["text"] or "").strip() == ""
    assert message["subject"] == build().split(b"Subject: ")[1].split(b"\r\n")[0].decode()


def test_the_acknowledgement_of_a_hostile_subject_is_still_delivered(customer_api: Api,
                                                                      smtp: SmtpSink) -> None:
    # The acknowledgement quotes the subject in its body: 998 characters without a space made
    # a 7bit line the SMTP server refused, and the mail was never sent.
    deliver(customer_api, odd.encoded_word_flood())
    [acknowledgement] = smtp.wait_for(1)
    assert acknowledgement.rcpt_tos == [odd.CUSTOMER]
    assert max(len(line) for line in acknowledgement.data.split(b"\r\n")) <= 998
