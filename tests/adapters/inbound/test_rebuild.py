"""The shared pieces: byte-exact form parsing and the rebuilt RFC 822 message."""

from __future__ import annotations

import email
from email.policy import compat32

import pytest

from adapters.inbound.forms import parse_form
from adapters.inbound.rebuild import Attachment, Body, build_message, split_header_block
from domain.errors import MalformedPayload
from tests.adapters.inbound.payloads import PNG, multipart, urlencoded


class TestForms:
    def test_a_multipart_text_field_keeps_its_non_utf8_bytes_and_is_not_capped_at_1_mb(self) -> None:
        big = b"caf\xe9 \xff\xfe " * 200_000  # 1.4 MB, not valid UTF-8
        body, ctype = multipart([("email", big), ("to", "a@b.example")])
        form = parse_form(body, ctype)
        assert form.get("email") == big
        assert form.text("to") == "a@b.example"

    def test_a_file_part_keeps_its_filename_content_type_and_bytes(self) -> None:
        body, ctype = multipart([("attachment1", ("logo.png", "image/png", PNG))])
        part = parse_form(body, ctype).part("attachment1")
        assert part is not None
        assert (part.filename, part.content_type, part.data) == ("logo.png", "image/png", PNG)

    def test_a_urlencoded_value_is_percent_decoded_to_bytes_not_text(self) -> None:
        body, ctype = urlencoded([("body-mime", b"Subject: \xe9t\xe9\r\n\r\nx")])
        assert parse_form(body, ctype).get("body-mime") == b"Subject: \xe9t\xe9\r\n\r\nx"

    def test_json_is_not_a_form(self) -> None:
        with pytest.raises(MalformedPayload):
            parse_form(b"{}", "application/json")


class TestRebuild:
    def test_bodies_keep_their_bytes_and_declared_charset(self) -> None:
        text = "Grüße aus Köln\r\n".encode("iso-8859-1")
        raw = build_message([("From", "a@b.example")], text=Body(text, "iso-8859-1"),
                            html=Body.of("<p>Grüße</p>"))
        msg = email.message_from_bytes(raw, policy=compat32)
        plain, html = msg.get_payload()
        assert plain.get_content_charset() == "iso-8859-1"
        assert plain.get_payload(decode=True) == text
        assert html.get_payload(decode=True) == "<p>Grüße</p>".encode()

    def test_bare_newlines_in_text_become_crlf_the_canonical_form(self) -> None:
        raw = build_message([], text=Body(b"one\ntwo\n"))
        assert email.message_from_bytes(raw, policy=compat32).get_payload(decode=True) == b"one\r\ntwo\r\n"

    def test_the_providers_structure_headers_are_replaced_and_the_others_kept_in_order(self) -> None:
        raw = build_message([("Received", "a"), ("Content-Type", "multipart/mixed; boundary=x"),
                             ("From", "a@b.example"), ("Received", "b"),
                             ("Content-Transfer-Encoding", "7bit")], text=Body(b"x"))
        msg = email.message_from_bytes(raw, policy=compat32)
        assert msg.get_all("Received") == ["a", "b"]
        assert msg.get_content_type() == "text/plain"
        assert msg.get_all("Content-Type") == ["text/plain; charset=utf-8"]

    def test_a_header_value_cannot_inject_another_header(self) -> None:
        raw = build_message([("Subject", "hi\r\nBcc: victim@example.com")], text=Body(b"x"))
        assert email.message_from_bytes(raw, policy=compat32).get("Bcc") is None

    def test_non_ascii_header_values_are_written_as_utf8(self) -> None:
        raw = build_message([("Subject", "Café – déjà")], text=Body(b"x"))
        assert "Subject: Café – déjà\r\n".encode() in raw

    def test_inline_parts_sit_in_related_with_their_content_id_and_files_keep_their_names(self) -> None:
        raw = build_message([], html=Body.of('<img src="cid:logo">'), attachments=[
            Attachment(PNG, "image/png", "logo.png", "<logo>"),
            Attachment(b"%PDF", "application/pdf", "Bericht Ä.pdf")])
        msg = email.message_from_bytes(raw, policy=compat32)
        related, pdf = msg.get_payload()
        assert related.get_content_type() == "multipart/related"
        image = related.get_payload()[1]
        assert (image["Content-ID"], image.get_filename(), image.get_payload(decode=True)) == \
            ("<logo>", "logo.png", PNG)
        assert image.get_content_disposition() == "inline"
        assert pdf.get_filename() == "Bericht Ä.pdf"
        assert pdf.get_content_disposition() == "attachment"

    def test_a_sendgrid_header_block_splits_into_pairs_keeping_folded_values(self) -> None:
        block = b"Received: by mx\r\n  with SMTP\r\nFrom: a@b.example\nSubject: caf\xc3\xa9\n"
        assert split_header_block(block) == [("Received", "by mx\r\n  with SMTP"),
                                             ("From", "a@b.example"), ("Subject", "café")]
