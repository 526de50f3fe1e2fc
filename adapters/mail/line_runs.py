"""Runs of plain body lines handed to the stdlib parser as one line each.

email.feedparser reads a message line by line in Python (a boundary check, a list append,
a join per line): for the bench mix that is most of the parse, the lines being the base64 of
attachments and images and the quoted history of replies. Before parsing, each run of at
least _MIN_LINES lines that the parser can only ever treat as content is replaced by one
token line; after parsing, each token is replaced by its run wherever it landed (a payload,
a preamble, an epilogue), as large_bodies.py does for large base64 runs.

A line qualifies when it is not the message's first line, not blank, starts neither with
white space, "-" nor "From ", and holds no ":" and no bare CR. Such a line is never a
boundary ("--"), a header field (email.feedparser's headerRE needs "From " or a ":"), a
continuation, nor the blank line that ends a header block or a delivery-status block, and
the parser splits lines at CR and LF only: the token line, made of the same kind of
characters, is none of these either. Where a run starts in a header block, its first line
ends that block (a missing separator) exactly as the token does, and the rest is body both
ways. So the message parses into the same structure with the same texts
(tests/adapters/test_line_runs.py compares both ways on the corpus, the mix and mutations).
"""

from __future__ import annotations

import re
import secrets
from email.message import Message

_MIN_LINES = 8
# What makes a line stay: a ":" or a bare CR anywhere in it; a LF before it and white space
# (a blank line too), "-" or "From " at its start. One pattern each: a pattern that starts
# with one literal is scanned for in C at memchr speed, an alternation of them ten times slower.
_MARKS = (re.compile(rb":"), re.compile(rb"\r(?!\n)"), re.compile(rb"\n(?=[\s\-])"),
          re.compile(rb"\nFrom "))
# Past this many marks of one kind (a flood of header-like lines, say) the rest of the message
# is parsed as it is, so the scan never costs much.
_MAX_MARKS = 4096
_TOKEN = re.compile(r"@@email-connector-lines-([0-9a-f]{16})-(\d{1,9})@@")


class CollapsedLines:
    def __init__(self, data: bytes) -> None:
        self.runs: list[str] = []
        self.data = data
        self._secret = secrets.token_hex(8)  # a token in the message itself is left alone
        prefix = f"@@email-connector-lines-{self._secret}-"
        pieces: list[bytes] = []
        position = 0
        for start, end in _runs(data):
            # The run's last line ending stays: the parser may count it as the boundary's.
            end -= 2 if data[end - 2:end] == b"\r\n" else 1
            pieces += [data[position:start], f"{prefix}{len(self.runs)}@@".encode("ascii")]
            # As the parser reads bytes: 8-bit ones as surrogates (BytesParser.parsebytes).
            self.runs.append(data[start:end].decode("ascii", "surrogateescape"))
            position = end
        if self.runs:
            pieces.append(data[position:])
            self.data = b"".join(pieces)

    def restore(self, msg: Message) -> Message:
        """Put every run back where its token landed."""
        if not self.runs:
            return msg
        for part in msg.walk():
            for attribute in ("_payload", "preamble", "epilogue"):
                text = getattr(part, attribute, None)
                if isinstance(text, str) and "@@email-connector-lines-" in text:
                    setattr(part, attribute, _TOKEN.sub(self._run, text))
        return msg

    def _run(self, match: re.Match[str]) -> str:
        secret, index = match.groups()
        known = secret == self._secret and int(index) < len(self.runs)
        return self.runs[int(index)] if known else match.group(0)


def _runs(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each run of at least _MIN_LINES qualifying lines, whole lines."""
    end = data.rfind(b"\n") + 1  # a last line without a line ending stays as it is
    marks = [0]  # the first line always stays
    for mark in _MARKS:
        for count, found in enumerate(mark.finditer(data, 0, end)):
            if count == _MAX_MARKS:
                end = min(end, data.rfind(b"\n", 0, found.start()) + 1)
                break
            at = found.start()
            marks.append(at + 1 if data[at] == 0x0A else at)  # a position in the line that stays
    runs: list[tuple[int, int]] = []
    clean = 0  # where the lines after the last line that stays begin
    for at in sorted(marks):
        if at >= end:
            break
        if at < clean:  # in the line that stays already
            continue
        kept = data.rfind(b"\n", 0, at) + 1
        if data.count(b"\n", clean, kept) >= _MIN_LINES:
            runs.append((clean, kept))
        clean = data.find(b"\n", at) + 1
    if clean and data.count(b"\n", clean, end) >= _MIN_LINES:
        runs.append((clean, end))
    return runs
