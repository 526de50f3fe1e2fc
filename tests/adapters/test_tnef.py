"""winmail.dat (issue 12, class 6): the HTML body, the compressed RTF body when there is no
plain one, and every embedded attachment, read from messages shaped as Exchange sends them."""

from __future__ import annotations

import base64

from adapters.mail.reading import read_message
from tests.tnef_build import tnef

RTF = (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Calibri;}}"
       r"\pard\f0\fs22 The scanner on floor 3 jams.\par Please call me back.\par}")


def exchange_message(blob: bytes, *, plain: str | None = None) -> bytes:
    """Exchange's shape: multipart/mixed with an (often empty) text part and winmail.dat."""
    text = (plain or "").encode("ascii")
    return (b"From: Bob Jones <bob@acme.example>\r\nTo: support@msp.example\r\n"
            b"Subject: Scanner\r\nMessage-ID: <tnef.1@acme.example>\r\nMIME-Version: 1.0\r\n"
            b"X-MS-Has-Attach: yes\r\nX-MS-TNEF-Correlator: <tnef.1@acme.example>\r\n"
            b'Content-Type: multipart/mixed; boundary="_000_tnef_"\r\n\r\n'
            b"--_000_tnef_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n"
            b"Content-Transfer-Encoding: 7bit\r\n\r\n" + text + b"\r\n"
            b"--_000_tnef_\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
            b"Content-Disposition: attachment; filename=\"winmail.dat\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(blob).replace(b"\n", b"\r\n") + b"\r\n--_000_tnef_--\r\n")


def test_the_compressed_rtf_body_is_the_text_when_there_is_no_plain_or_html_one() -> None:
    doc = read_message(exchange_message(tnef(rtf=RTF)), None, None).document
    assert "The scanner on floor 3 jams." in doc.text and "Please call me back." in doc.text
    assert "\\par" not in doc.text and "Calibri" not in doc.text
    assert doc.reply_text.startswith("The scanner on floor 3 jams.")


def test_the_html_body_is_kept_as_html_and_rendered_as_text() -> None:
    html = "<html><body><p>Hello,</p><p>the <b>scanner</b> jams.</p></body></html>"
    doc = read_message(exchange_message(tnef(html=html, rtf=RTF)), None, None).document
    assert doc.html == html
    assert "scanner jams." in " ".join(doc.text.split()) and "<b>" not in doc.text


def test_a_plain_tnef_body_wins_and_the_outer_plain_text_is_kept() -> None:
    doc = read_message(exchange_message(tnef(body="plain inside", html="<p>html inside</p>"),
                                        plain="outer text"), None, None).document
    assert "outer text" in doc.text and "plain inside" in doc.text
    assert "html inside" not in doc.text


def test_every_file_is_kept_also_those_inside_an_attached_outlook_message() -> None:
    inner = tnef(body="Notes of Monday's meeting.", files=[("minutes.pdf", b"%PDF-1.5 minutes")])
    blob = tnef(rtf=RTF, files=[("budget.xlsx", b"PK\x03\x04 budget"), ("logo.png", b"\x89PNG")],
                embedded=[("Fwd Meeting.msg", inner)])
    doc = read_message(exchange_message(blob), None, None).document
    files = {a.filename: (a.content_type, a.data) for a in doc.attachments}
    assert files["budget.xlsx"][1] == b"PK\x03\x04 budget"
    assert files["budget.xlsx"][0].startswith("application/vnd.openxmlformats")
    assert files["logo.png"] == ("image/png", b"\x89PNG")
    assert files["minutes.pdf"] == ("application/pdf", b"%PDF-1.5 minutes")
    assert files["Fwd Meeting.txt"][1] == b"Notes of Monday's meeting."
    assert "winmail.dat" not in files


def test_a_broken_winmail_dat_is_kept_as_it_is() -> None:
    doc = read_message(exchange_message(b"\x78\x9f\x3e\x22 truncated"), None, None).document
    assert [a.filename for a in doc.attachments] == ["winmail.dat"]
