"""Base64 with a wrong length is decoded as the mail clients decode it, never stored as text."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.mail.documents import extract_document
from adapters.mail.headers import decode_words, parse_message
from adapters.mail.transfer import decode_runs, lenient_b64decode

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


def _with_attachment(body: bytes) -> bytes:
    return (b"From: bob@acme.example\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nThe scan.\r\n"
            b"--b\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
            b"Content-Disposition: attachment; filename=\"scan.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n--b--\r\n")


def _attachment_data(raw: bytes) -> bytes:
    [attachment] = extract_document(parse_message(raw)).attachments
    return attachment.data


def test_stray_characters_and_a_wrong_length_are_tolerated() -> None:
    # A stray "*" in a line and a last line cut one character into a quad (401 characters).
    encoded = base64.b64encode(PDF)[:401]
    lines = [encoded[i:i + 76] for i in range(0, len(encoded), 76)]
    lines[2] = lines[2][:30] + b"*" + lines[2][30:]
    assert _attachment_data(_with_attachment(b"\r\n".join(lines))) == PDF[:300]


def test_a_missing_padding_and_a_truncated_quad_are_tolerated() -> None:
    encoded = base64.encodebytes(PDF + b"x").replace(b"\n", b"\r\n").rstrip().rstrip(b"=")
    assert _attachment_data(_with_attachment(encoded + b"Q")) == PDF + b"x"


def test_base64_sent_in_separately_padded_chunks_is_decoded_whole() -> None:
    # Some gateways encode each block on its own: padding in the middle of the body.
    chunks = b"\r\n".join(base64.b64encode(PDF[i:i + 100]) for i in range(0, len(PDF), 100))
    assert _attachment_data(_with_attachment(chunks)) == PDF


def test_valid_base64_decodes_exactly_as_the_stdlib_does() -> None:
    for data in (b"", b"a", b"ab", b"abc", PDF):
        assert lenient_b64decode(base64.encodebytes(data)) == data


def test_an_encoded_word_with_a_wrong_length_is_decoded() -> None:
    word = base64.b64encode(b"Drucker defekt!").decode()  # 20 characters, one too many
    assert decode_words(f"=?utf-8?B?{word}A?=") == "Drucker defekt!"


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=120), st.lists(st.tuples(st.integers(0, 200),
                                                   st.sampled_from(b"=\r\n -*A+/")), max_size=4))
def test_the_fast_path_decodes_as_the_lenient_runs_do(data: bytes, edits: list) -> None:
    mangled = bytearray(base64.encodebytes(data))
    for position, byte in edits:  # stray characters, padding in the middle, cut quads
        mangled.insert(min(position, len(mangled)), byte)
    assert lenient_b64decode(bytes(mangled)) == decode_runs(bytes(mangled))
