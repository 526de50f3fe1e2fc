"""Header reading that survives real mail: 8-bit, broken encoded words, odd address lists."""

from __future__ import annotations

from adapters.mail.documents import extract_document
from adapters.mail.headers import decode_words, parse_message, summarize
from adapters.mail.view import message_view


def test_encoded_words_are_decoded_and_adjacent_ones_joined() -> None:
    assert decode_words("=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?IGF1cw==?= Köln") == "Grüße aus Köln"


def test_an_encoded_word_holding_raw_8bit_bytes_is_still_read() -> None:
    raw = b"From: a@b.example\r\nSubject: =?iso-8859-1?Q?Die_Hasen_und_die_Fr\xf6sche?=\r\n\r\nx"
    assert summarize(raw).subject == "Die Hasen und die Fr\xf6sche"


def test_utf8_headers_without_encoding_are_read_as_utf8() -> None:
    raw = "From: Jöhn <jöhn@exämple.example>\r\nSubject: Säying hello\r\n\r\nx".encode()
    summary = summarize(raw)
    assert (summary.from_address, summary.subject) == ("jöhn@exämple.example", "Säying hello")


def test_an_unknown_charset_label_falls_back_instead_of_failing() -> None:
    assert decode_words("=?x-made-up?Q?caf=E9?=") == "café"


def test_an_unparseable_from_still_yields_the_address_in_it() -> None:
    raw = b"From: Big Bug bb@bug.example\r\nSubject: s\r\n\r\nx"
    assert summarize(raw).from_address == "bb@bug.example"


def test_a_stray_line_in_the_header_block_does_not_hide_the_headers_after_it() -> None:
    raw = (b"Received: by mx\r\nquite Delivered-To: x@y.example\r\nFrom: real@sender.example\r\n"
           b"Subject: after the stray line\r\n\r\nbody\r\n")
    view = message_view(parse_message(raw))
    assert (view.from_address, view.subject) == ("real@sender.example", "after the stray line")


def test_header_values_lose_line_breaks_and_control_characters() -> None:
    raw = b"From: a@b.example\r\nSubject: =?utf-8?q?evil=0D=0ABcc:_x@y=07?=\r\n\r\nx"
    assert summarize(raw).subject == "evil Bcc: x@y"


def test_in_reply_to_and_references_are_read_in_order() -> None:
    raw = (b"From: a@b.example\r\nIn-Reply-To: <r1@x>\r\nReferences: <a@x> <b@x>\r\n <c@x>\r\n\r\n")
    view = message_view(parse_message(raw))
    assert view.in_reply_to == ("r1@x",)
    assert view.references == ("a@x", "b@x", "c@x")


def test_attachment_names_cannot_carry_paths() -> None:
    raw = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n--x--\r\n")
    [attachment] = extract_document(parse_message(raw)).attachments
    assert attachment.filename == "passwd"


def test_a_body_with_a_wrong_charset_label_is_still_text() -> None:
    raw = (b"From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n") + "Prüfung läuft".encode("cp1252")
    assert "Prüfung läuft" in extract_document(parse_message(raw)).text
