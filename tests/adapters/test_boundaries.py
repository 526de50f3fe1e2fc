"""The stand-in for email.feedparser's boundary pattern parses every message as the stdlib does."""

from __future__ import annotations

import email
import re
from email.message import Message
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.mail import boundaries
from tests.adapters.test_mime_corpus import corpus_messages

TRICKY = [
    # Regex metacharacters, spaces and a backslash in boundaries; nested multiparts; a close
    # delimiter with trailing blanks; a "boundary" that only starts like the real one; no close.
    b'Content-Type: multipart/mixed; boundary="a.b*c+(d)?[e]\\\\f $^|"\r\n\r\npreamble\r\n'
    b'--a.b*c+(d)?[e]\\f $^|\r\nContent-Type: text/plain\r\n\r\none\r\n'
    b'--a.b*c+(d)?[e]\\f $^|X\r\nnot a boundary line\r\n'
    b'--a.b*c+(d)?[e]\\f $^|-- \t\r\nepilogue\r\n',
    b'Content-Type: multipart/mixed; boundary=outer\n\n--outer\n'
    b'Content-Type: multipart/alternative; boundary=inner\n\n--inner\n\nplain\n--inner\n\n'
    b'html\n--inner--\n--outer\n\nlast\n--outer--\n',
    b'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nno close delimiter\r\n--x\r\n',
    b'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--\r\n',
]


def _shape(msg: Message) -> list[object]:
    return [(part.get_content_type(), part.preamble, part.epilogue,
             part.get_payload() if not part.is_multipart() else len(part.get_payload()),
             [type(d).__name__ for d in part.defects], part.items()) for part in msg.walk()]


def _parse_both(raw: bytes) -> tuple[list[object], list[object]]:
    boundaries.uninstall()
    try:
        stdlib = _shape(email.message_from_bytes(raw, policy=compat32))
    finally:
        boundaries.install()
    return stdlib, _shape(email.message_from_bytes(raw, policy=compat32))


@pytest.mark.parametrize("raw", TRICKY)
def test_tricky_boundaries_parse_as_the_stdlib_parses_them(raw: bytes) -> None:
    stdlib, ours = _parse_both(raw)
    assert ours == stdlib


def test_every_corpus_message_parses_as_the_stdlib_parses_it() -> None:
    paths = corpus_messages()
    if not paths:
        pytest.skip("../shared/corpus is absent")
    for path in paths:
        stdlib, ours = _parse_both(path.read_bytes())
        assert ours == stdlib, path.name


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
               max_size=40))
def test_a_boundary_is_recovered_from_its_escaped_pattern(separator: str) -> None:
    pattern = "(?P<sep>" + re.escape(separator) + boundaries._SUFFIX
    matcher = boundaries._FeedparserRe().compile(pattern)
    assert isinstance(matcher, boundaries.BoundaryPattern)
    for line in (separator + "\r\n", separator + "--\n", separator + "x\n", "x" + separator,
                 separator + "-- \t", separator):
        expected, got = re.compile(pattern).match(line), matcher.match(line)
        assert (got is None) == (expected is None)
        if got and expected:
            assert [got.group(g) for g in ("end", "ws", "linesep")] == \
                [expected.group(g) for g in ("end", "ws", "linesep")]
