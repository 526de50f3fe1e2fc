"""The public MIME test suites (../shared/corpus): every message is read without error, and
attachments decode to the expected bytes."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from adapters.mail.documents import extract_document
from adapters.mail.headers import parse_message, summarize
from adapters.mail.view import message_view
from tests.conftest import CORPUS

HUNNY = CORPUS / "mail-mime-parser"
EXPECTED_FILES = ("blueball.png", "greenball.png", "redball.png", "bin-bashy.jpg", "test.doc",
                  "aaa.txt", "abc.txt", "HasenundFrosche.txt", "farmerandstork.txt",
                  "hareandtortoise.txt", "wolfandlamb.txt")
# m2011 carries blueball.png as application/mac-binhex40 (Eudora): kept as received, since
# Python no longer decodes BinHex; the bytes differ by design.
STILL_ENCODED = {("m2011.txt", "blueball.png")}


def corpus_messages() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    messages = sorted((CORPUS / "mail-gem").rglob("*.eml")) + sorted(HUNNY.glob("m*.txt"))
    messages += sorted(HUNNY.glob("github-*.txt")) + [HUNNY / "invalid-charset.txt"]
    return [p for p in messages if p.is_file()]


requires_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


@requires_corpus
@pytest.mark.parametrize("path", corpus_messages(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_message_yields_a_view_and_a_document(path: Path) -> None:
    raw = path.read_bytes()
    summary = summarize(raw)
    msg = parse_message(raw)
    view = message_view(msg)
    document = extract_document(msg)
    assert view.subject == summary.subject
    assert isinstance(document.text, str)
    for attachment in document.attachments:
        assert attachment.filename and "/" not in attachment.filename


@requires_corpus
def test_attachments_decode_to_the_expected_files() -> None:
    expected = {name: (HUNNY / name).read_bytes() for name in EXPECTED_FILES if (HUNNY / name).exists()}
    compared = 0
    for path in sorted(HUNNY.glob("m*.txt")):
        for attachment in extract_document(parse_message(path.read_bytes())).attachments:
            want = expected.get(attachment.filename)
            if want is None or (path.name, attachment.filename) in STILL_ENCODED:
                continue
            got = attachment.data
            if attachment.filename.endswith(".txt"):  # text parts: line endings are the MUA's
                got, want = _lines(got), _lines(want)
            assert got == want, f"{path.name}: {attachment.filename}"
            compared += 1
    assert compared >= 40


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def test_outlook_winmail_dat_is_unpacked_into_its_body_and_files() -> None:
    tnef = struct.pack("<IH", 0x223E9F78, 1) + b"".join([
        _tnef_attribute(1, 0x800C, 0x0002, b"Body from Outlook"),      # attBody
        _tnef_attribute(2, 0x9002, 0x0006, b"\x00" * 14),                # attAttachRendData
        _tnef_attribute(2, 0x8010, 0x0001, b"report.txt\x00"),          # attAttachTitle
        _tnef_attribute(2, 0x800F, 0x0006, b"quarterly numbers\r\n"),    # attAttachData
    ])
    raw = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
           b"Content-Type: application/ms-tnef; name=winmail.dat\r\n"
           b"Content-Disposition: attachment; filename=winmail.dat\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(tnef) + b"--x--\r\n")
    document = extract_document(parse_message(raw))
    assert [(a.filename, a.data) for a in document.attachments] == [
        ("report.txt", b"quarterly numbers\r\n")]
    assert "Body from Outlook" in document.text


@requires_corpus
def test_a_winmail_dat_that_is_not_tnef_is_kept_byte_for_byte() -> None:
    # The suite's "winmail.dat" is really a PNG: it must come out exactly as it went in.
    document = extract_document(parse_message((HUNNY / "m4006.txt").read_bytes()))
    [attachment] = document.attachments
    assert attachment.filename == "winmail.dat"
    assert attachment.data == (HUNNY / "winmail.dat").read_bytes()


def test_an_unreadable_winmail_dat_is_kept_as_it_is() -> None:
    raw = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
           b"Content-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: application/ms-tnef\r\n"
           b"Content-Disposition: attachment; filename=winmail.dat\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nbm90IHRuZWY=\r\n--x--\r\n")
    document = extract_document(parse_message(raw))
    assert [(a.filename, a.data) for a in document.attachments] == [("winmail.dat", b"not tnef")]


def _lines(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")
