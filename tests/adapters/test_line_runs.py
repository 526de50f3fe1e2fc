"""Runs of plain body lines parsed as one line each come back where the stdlib parser puts
them: the same parts, headers, payloads, preambles, epilogues and defects as parsing every
line, and the same documents out of the reader."""

from __future__ import annotations

import base64
import os
from email.parser import BytesParser
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.mail import line_runs
from adapters.mail.reading import read_message
from bench import mix
from tests.adapters.test_boundaries import _shape
from tests.adapters.test_mime_corpus import corpus_messages

_PARSER = BytesParser(policy=compat32)
B64 = base64.encodebytes(os.urandom(3000))
TEXT = b"".join(b"> quoted line %d of the history\n" % n for n in range(30))


def _both(raw: bytes) -> tuple[list[object], list[object], int]:
    collapsed = line_runs.CollapsedLines(raw)
    ours = collapsed.restore(_PARSER.parsebytes(collapsed.data))
    return _shape(ours), _shape(_PARSER.parsebytes(raw)), len(collapsed.runs)


def _multipart(body: bytes, *, eol: bytes = b"\n", preamble: bytes = b"",
               epilogue: bytes = b"") -> bytes:
    return eol.join([b"From: bob@acme.example", b'Content-Type: multipart/mixed; boundary="b"',
                     b"", preamble + b"--b", b"Content-Type: text/plain", b"", TEXT + b"--b",
                     b"Content-Type: application/pdf", b"Content-Transfer-Encoding: base64",
                     b"", body + b"--b--", epilogue]).replace(b"\n", eol)


SHAPES = {
    "lf": _multipart(B64),
    "crlf": _multipart(B64, eol=b"\r\n"),
    "bare cr": _multipart(B64, eol=b"\r"),
    "run in preamble and epilogue": _multipart(B64, preamble=TEXT, epilogue=TEXT + B64),
    "run where headers should be": b"From: a@b.example\n" + TEXT + B64,
    "envelope lines among the headers": b"From: a@b.example\n" + b"From a\n" * 9 + b"To: b\n\nhi",
    "run right after a part's boundary": _multipart(B64).replace(
        b"Content-Type: text/plain\n\n", b""),
    "no final line break": b"From: a@b.example\n\n" + B64.rstrip(),
    "lines that look like headers, boundaries, envelopes, continuations": b"From: a@b.example\n\n"
        + b"".join(TEXT[:200] + line for line in (b"Subject: x\n", b"--b\n", b"From me\n",
                                                   b" folded\n", b"\n", b"\r\n", b"a\rb\n")),
    "8-bit text": b"From: a@b.example\nContent-Type: text/plain; charset=latin-1\n\n"
                  + TEXT.replace(b"quoted", b"zit\xe9") * 3,
    "delivery status": b"From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; "
        b'report-type=delivery-status; boundary="r"\n\n--r\nContent-Type: message/'
        b"delivery-status\n\nReporting-MTA: dns; x\n" + TEXT + b"\nFinal-Recipient: rfc822; a@b\n"
        + TEXT + b"--r\nContent-Type: message/rfc822\n\nFrom: c@d.example\n" + TEXT + B64
        + b"\n--r--\n",
    "a token of another parse in the message": b"From: a@b.example\n\n"
        + b"@@email-connector-lines-0123456789abcdef-0@@\n" + TEXT,
}


@pytest.mark.parametrize("name", SHAPES)
def test_a_message_parses_as_the_stdlib_parses_it_with_its_runs_collapsed(name: str) -> None:
    ours, stdlib, runs = _both(SHAPES[name])
    assert ours == stdlib
    if name not in ("bare cr", "envelope lines among the headers"):
        assert runs  # the shape really had runs to collapse


def test_every_corpus_and_mix_message_parses_alike() -> None:
    raws = [path.read_bytes() for path in corpus_messages()] + mix.build(300, pool=300)
    collapsed = 0
    for raw in raws:
        ours, stdlib, runs = _both(raw)
        assert ours == stdlib
        collapsed += bool(runs)
    assert collapsed > len(raws) // 2


_LINES = [b"", b" ", b"\t x", b"-", b"--b", b"--b--", b"From x", b"From: x", b"Subject: y",
          b"x: y", b":", b"plain text", b"> quoted", b"a\rb", b"QUJD", b"=?utf-8?q?x?=",
          b'Content-Type: multipart/mixed; boundary="b"', b"Content-Type: message/rfc822",
          b"Content-Type: message/delivery-status", b"\xff\xfe 8-bit", b"x\r--b", b"x\r",
          b"x\r\rSubject: y", b"x\rFrom y", b"x\r\r", b"From y"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_LINES), st.integers(1, 12)), max_size=30),
       st.sampled_from([b"\n", b"\r\n", b"\r"]), st.booleans())
def test_any_sequence_of_tricky_lines_parses_alike(blocks: list[tuple[bytes, int]], eol: bytes,
                                                   final: bool) -> None:
    raw = eol.join(line for line, count in blocks for _ in range(count)) + (eol if final else b"")
    ours, stdlib, _ = _both(raw)
    assert ours == stdlib


def test_past_the_limit_of_marks_the_rest_is_parsed_as_it_is() -> None:
    raw = b"From: a@b.example\n\n" + TEXT + b"x: y\n" * (line_runs._MAX_MARKS + 10) + TEXT
    collapsed = line_runs.CollapsedLines(raw)
    assert len(collapsed.runs) == 1  # the first history only
    assert _both(raw)[0] == _both(raw)[1]


def test_the_reader_gives_the_same_documents_with_and_without_collapsing(monkeypatch) -> None:
    raws = [path.read_bytes() for path in corpus_messages()] + mix.build(200, pool=200)
    ours = [read_message(raw, None, None) for raw in raws]
    monkeypatch.setattr(line_runs, "_MIN_LINES", 10**9)
    assert [read_message(raw, None, None) for raw in raws] == ours
