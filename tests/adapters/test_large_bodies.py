"""Large base64 bodies set aside before parsing come back where the stdlib parser puts them."""

from __future__ import annotations

import base64
import binascii
import os
import tracemalloc
from email.message import Message

import pytest

from adapters.mail import large_bodies, transfer
from adapters.mail.documents import extract_document
from adapters.mail.headers import parse_message
from tests.adapters.test_boundaries import _shape
from tests.adapters.test_mime_corpus import corpus_messages

BLOB = os.urandom(1_200_000)


def lines(data: bytes, eol: bytes = b"\r\n") -> bytes:
    return base64.encodebytes(data).replace(b"\n", eol)


def multipart(body: bytes, eol: bytes = b"\r\n", preamble: bytes = b"") -> bytes:
    return eol.join([b"From: bob@acme.example", b"MIME-Version: 1.0",
                     b'Content-Type: multipart/mixed; boundary="b"', b"", preamble + b"--b",
                     b"Content-Type: text/plain", b"", b"Hello", b"--b",
                     b"Content-Type: application/pdf",
                     b'Content-Disposition: attachment; filename="scan.pdf"',
                     b"Content-Transfer-Encoding: base64", b"", body + b"--b--", b""])


SHAPES = {
    "crlf": multipart(lines(BLOB)),
    "lf": multipart(lines(BLOB, b"\n"), b"\n"),
    "run in the preamble": multipart(lines(BLOB), preamble=lines(BLOB[:100_000])),
    "run in a 7bit text part": multipart(lines(BLOB)).replace(
        b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: 7bit"),
    "run without a final line break": b"From: a@b.example\r\nContent-Transfer-Encoding: "
                                      b"base64\r\n\r\n" + lines(BLOB).rstrip(),
    "run where headers should be": b"From: a@b.example\r\n" + lines(BLOB),
    "attached message": multipart(b"From: c@d.example\r\nContent-Type: multipart/mixed; "
                                  b'boundary="inner"\r\n\r\n--inner\r\nContent-Transfer-'
                                  b"Encoding: base64\r\n\r\n" + lines(BLOB) + b"--inner--\r\n"
                                  ).replace(b"application/pdf", b"message/rfc822").replace(
                                      b"Content-Transfer-Encoding: base64\r\n\r\nFrom: c",
                                      b"\r\nFrom: c"),
}


@pytest.mark.parametrize("name", SHAPES)
def test_a_large_message_parses_as_the_stdlib_parses_it(name: str) -> None:
    raw = SHAPES[name]
    assert large_bodies.Elided(raw).runs  # the run really was set aside
    assert _shape(parse_message(raw)) == _shape(_plain(raw))


def test_the_attachment_keeps_its_bytes() -> None:
    [attachment] = extract_document(parse_message(SHAPES["crlf"])).attachments
    assert attachment.data == BLOB


def test_every_corpus_message_parses_alike_with_every_base64_run_set_aside(monkeypatch) -> None:
    paths = corpus_messages()
    if not paths:
        pytest.skip("../shared/corpus is absent")
    monkeypatch.setattr(large_bodies, "LARGE", 0)
    monkeypatch.setattr(large_bodies, "_MIN_RUN", 1)
    set_aside = 0
    for path in paths:
        raw = path.read_bytes()
        set_aside += bool(large_bodies.Elided(raw).runs)
        assert _shape(parse_message(raw)) == _shape(_plain(raw)), path.name
    assert set_aside > len(paths) // 2


def _plain(raw: bytes) -> Message:
    """parse_message with nothing set aside: the stdlib parser sees every line."""
    previous = large_bodies.LARGE
    large_bodies.LARGE = len(raw) + 1
    try:
        return parse_message(raw)
    finally:
        large_bodies.LARGE = previous


@pytest.mark.parametrize("name", ["crlf", "lf", "attached message"])
def test_a_body_kept_in_the_message_bytes_reads_and_serializes_as_the_stdlibs(name: str) -> None:
    raw = SHAPES[name]
    kept, plain = parse_message(raw), _plain(raw)
    assert any(isinstance(p, large_bodies.RunPayload) for p in kept.walk())
    assert kept.as_bytes() == plain.as_bytes()
    assert [p.get_payload(decode=True) for p in kept.walk() if not p.is_multipart()] == \
        [p.get_payload(decode=True) for p in plain.walk() if not p.is_multipart()]
    assert extract_document(kept) == extract_document(plain)


def test_a_payload_set_again_makes_an_ordinary_part() -> None:
    [part] = [p for p in parse_message(SHAPES["crlf"]).walk()
              if isinstance(p, large_bodies.RunPayload)]
    part.set_payload("aGVsbG8=\r\n")
    assert type(part) is Message and part.get_payload(decode=True) == b"hello"


def test_reading_a_large_attachment_holds_no_text_copy_of_it() -> None:
    blob = os.urandom(12_000_000)
    raw = multipart(lines(blob))
    tracemalloc.start()
    try:
        [attachment] = extract_document(parse_message(raw)).attachments
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert attachment.data == blob
    assert peak < len(blob) + 2_000_000  # the decoded file, and no 16 MB of base64 text


IN_PLACE_TEXTS = {
    "76-character CRLF lines": lines(BLOB[:300_001]),
    "LF lines, one padding character": lines(BLOB[:300_002], b"\n"),
    "lines of 63 characters": b"\r\n".join(
        base64.b64encode(BLOB[:200_000])[i:i + 63] for i in range(0, 266_668, 63)),
    "one line": base64.b64encode(BLOB[:2_000_000]),
    "short": base64.b64encode(b"ab"),
}
NOT_IN_PLACE = {
    "padding before the end": lines(BLOB[:100_000]) + b"QQ==\r\n" + lines(BLOB[:1000]),
    "one character too many": lines(BLOB[:300_000]) + b"Q",
    "padding missing": base64.b64encode(BLOB[:300_001]).rstrip(b"="),
}


@pytest.mark.parametrize("name", IN_PLACE_TEXTS)
def test_a_body_decoded_in_place_is_exactly_what_binascii_decodes(name: str) -> None:
    text = IN_PLACE_TEXTS[name].rstrip(b"\r\n")
    buffer = bytearray(text)
    decoded = transfer.decode_in_place(memoryview(buffer))
    assert decoded is not None and decoded.obj is buffer  # in the buffer, over the text
    assert bytes(decoded) == binascii.a2b_base64(text)


@pytest.mark.parametrize("name", NOT_IN_PLACE)
def test_base64_the_fast_path_would_not_take_is_left_untouched(name: str) -> None:
    text = NOT_IN_PLACE[name]
    buffer = bytearray(text)
    assert transfer.decode_in_place(memoryview(buffer)) is None
    assert buffer == text  # for the lenient decoding to read


def test_a_reader_childs_copy_has_its_large_file_decoded_in_it_and_reads_alike() -> None:
    raw = SHAPES["crlf"]
    buffer = bytearray(raw)
    msg = parse_message(buffer)
    [attachment] = extract_document(msg).attachments
    assert isinstance(attachment.data, memoryview) and attachment.data.obj is buffer
    assert attachment.data == BLOB
    assert extract_document(msg) == extract_document(parse_message(raw))
    # Asked for after that, the part's text is its body's (the same content, re-encoded).
    [part] = [p for p in msg.walk() if isinstance(p, large_bodies.RunPayload)]
    assert part.get_payload(decode=True) == BLOB


def test_a_large_message_without_a_base64_run_reads_from_a_bytearray_as_from_bytes() -> None:
    raw = multipart(b"x" * 1_100_000 + b"\r\n").replace(
        b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: 8bit")
    assert extract_document(parse_message(bytearray(raw))) == \
        extract_document(parse_message(raw))
