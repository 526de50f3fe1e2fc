"""The customer's files next to the untouched original in a forward (issue 12, class 7)."""

from __future__ import annotations

import email
from email.policy import default

from adapters.mail.compose import compose
from adapters.mail.part_copies import file_copies
from domain.messages import OutgoingMail
from tests.mail import email as make_email

MAIL = OutgoingMail(mail_from="support@msp.example", to=["team@msp.example"], subject="Fwd",
                    body="Bob wrote.\n", message_id="fwd.1@msp.example")


def top_level_files(data: bytes) -> dict[str, bytes]:
    msg = email.message_from_bytes(data, policy=default)
    return {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()
            if p.get_filename() != "original.eml"}


def test_each_file_is_attached_decoding_to_the_customers_bytes_and_the_body_is_not() -> None:
    original = make_email(html="<p>hi</p>", attachments=[
        ("scan.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256))),
        ("notes.txt", "text/plain", b"call back monday\n")])
    files = top_level_files(compose(MAIL, original=original))
    assert files == {"scan.pdf": b"%PDF-1.7\n" + bytes(range(256)),
                     "notes.txt": b"call back monday\n"}


def test_an_8bit_file_becomes_base64_for_a_server_without_8bitmime() -> None:
    latin = "Grüße aus Köln\r\n".encode("latin-1")
    original = (b"From: a@b.example\r\nMIME-Version: 1.0\r\n"
                b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
                b"--b1\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
                b'--b1\r\nContent-Type: text/plain; charset=latin-1; name="gruss.txt"\r\n'
                b"Content-Disposition: attachment; filename=\"gruss.txt\"\r\n"
                b"Content-Transfer-Encoding: 8bit\r\n\r\n" + latin + b"\r\n--b1--\r\n")
    data = compose(MAIL, original=original, allow_8bit=False)
    assert data.isascii()
    assert top_level_files(data) == {"gruss.txt": latin}
    assert b"Content-Transfer-Encoding: 8bit" in compose(MAIL, original=original, allow_8bit=True)


def test_files_past_the_limit_stay_only_in_the_original_and_tnef_is_not_copied() -> None:
    original = make_email(attachments=[("small.bin", "application/octet-stream", b"s" * 100),
                                       ("big.bin", "application/octet-stream", b"b" * 5000),
                                       ("winmail.dat", "application/ms-tnef", b"\x78\x9f\x3e\x22")])
    data = original.replace(b"\n", b"\r\n")
    copies = [bytes(c) for c in file_copies(data, allow_8bit=True, limit=2000)]
    assert len(copies) == 1 and b'filename="small.bin"' in copies[0]


def test_a_cut_off_multipart_or_a_single_part_message_gives_no_copies_and_no_error() -> None:
    cut = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
           b"Content-Type: application/pdf; name=a.pdf\r\n\r\nJVBER")
    assert file_copies(cut, allow_8bit=True) == []
    single = b"From: a@b.example\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nJVBER\r\n"
    assert file_copies(single, allow_8bit=True) == []
    assert file_copies(b"", allow_8bit=True) == []


def test_an_8bit_file_with_a_nul_byte_never_travels_raw_even_with_8bitmime() -> None:
    # RFC 6152 §3: 8BITMIME lines carry no NUL; such a part is re-encoded like any other.
    original = (b"From: a@b.example\r\nMIME-Version: 1.0\r\n"
                b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
                b"--b1\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
                b'--b1\r\nContent-Type: application/octet-stream; name="dump.bin"\r\n'
                b"Content-Disposition: attachment; filename=\"dump.bin\"\r\n"
                b"Content-Transfer-Encoding: 8bit\r\n\r\n" + b"caf\xe9\x00end\r\n--b1--\r\n")
    copies = [bytes(c) for c in file_copies(original, allow_8bit=True)]
    assert all(b"\x00" not in copy for copy in copies)


def _lf_and_crlf(raw: bytes) -> tuple[bytes, bytes] | None:
    """The message with bare LF line endings and in CRLF form; None when it has bare CRs."""
    lf = raw.replace(b"\r\n", b"\n")
    return None if b"\r" in lf else (lf, lf.replace(b"\n", b"\r\n"))


def test_a_bare_lf_original_gives_the_same_copies_as_its_crlf_form_across_the_corpus() -> None:
    from tests.adapters.test_mime_corpus import corpus_messages

    samples = [make_email(attachments=[("a.pdf", "application/pdf", bytes(range(256)) * 9),
                                       ("b.txt", "text/plain", b"one\ntwo\n")])]
    samples += [path.read_bytes() for path in corpus_messages()]
    compared = 0
    for raw in samples:
        forms = _lf_and_crlf(raw)
        if forms is None:
            continue
        lf, crlf = forms
        for allow_8bit in (True, False):
            assert file_copies(lf, allow_8bit=allow_8bit, eol=b"\n") == \
                [bytes(c) for c in file_copies(crlf, allow_8bit=allow_8bit)]
        compared += bool(file_copies(crlf, allow_8bit=True))
    assert compared >= 1  # some of them really have files to copy


def test_a_bare_lf_original_travels_in_crlf_form() -> None:
    lf, crlf = _lf_and_crlf(make_email(attachments=[("a.txt", "text/plain", b"x\ny\n")]))  # type: ignore[misc]
    sent_lf, sent_crlf = compose(MAIL, original=lf), compose(MAIL, original=crlf)
    assert crlf in sent_lf and lf not in sent_lf
    assert len(sent_lf) == len(sent_crlf)  # the same forward but for its random boundary and Date
