"""Reading a multipart body the parser left unsplit, without recursion.

The stdlib parser leaves a multipart's body as one string when the declared boundary never
appears (a mailer that declared one boundary and used another) or when the nesting is deeper
than its recursion allows (headers.parse_message). Filed as it was, it became an opaque
"attachment-1.bin" and the ticket had no text. Here the body is split by the boundary that
is declared, or else by the first "--token" line that looks like one, level by level with an
explicit stack, and its leaf parts are handed back to be read like any other.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

MAX_LEVELS = 50  # as documents._collect: deeper levels are kept as text, unsplit
_SNIFF = re.compile(r"^--([!-~]{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)
_PARSER = HeaderParser(policy=compat32)


def unsplit_parts(part: Message, limit: int) -> list[Message] | None:
    """The leaf parts of a multipart whose payload is a string (in order, at most `limit`),
    or None when no boundary can be found in it."""
    body = part.get_payload()
    if not isinstance(body, str):
        return None
    top = _split(body, part.get_boundary())
    if top is None:
        return None
    leaves: list[Message] = []
    stack: list[tuple[list[str], int]] = [(top, 1)]
    while stack and len(leaves) < limit:
        pending, level = stack[-1]
        if not pending:
            stack.pop()
            continue
        sub = _PARSER.parsestr(pending.pop(0), headersonly=True)
        segments = None
        if sub.get_content_maintype() == "multipart" and level < MAX_LEVELS:
            payload = sub.get_payload()
            segments = _split(payload, sub.get_boundary()) if isinstance(payload, str) else None
        if segments is None:
            leaves.append(sub)  # a leaf, or a level too deep: read as it is (text, attachment)
        else:
            stack.append((segments, level + 1))
    return leaves


def _split(body: str, declared: str | None) -> list[str] | None:
    """The segments between boundary lines (preamble and epilogue dropped), or None."""
    boundary = next((b for b in _declared_forms(declared) if _has_line(body, b)), None)
    if boundary is None:
        sniffed = _SNIFF.search(body)
        if sniffed is None:
            return None
        boundary = sniffed.group(1)
    delimiter = re.compile(rf"^--{re.escape(boundary)}(--)?[ \t]*(?:\r?\n|\r?\Z)", re.MULTILINE)
    segments: list[str] = []
    start: int | None = None
    for line in delimiter.finditer(body):
        if start is not None:
            segments.append(body[start:line.start()])
        if line.group(1):  # the closing delimiter: what follows is the epilogue
            start = None
            break
        start = line.end()
    if start is not None:  # no closing delimiter: the last part runs to the end
        segments.append(body[start:])
    return segments or None


def _declared_forms(declared: str | None) -> list[str]:
    """The declared boundary, then unfolded (RFC 5322: the line break removed, a folded
    `boundary="foo<CRLF> bar"` is "foo bar"), then without the folding white space, as some
    mailers folded a boundary that had none; the sniffed line is only the last resort, as it
    can be a nested part's boundary."""
    if not declared:
        return []
    unfolded = re.sub(r"\r?\n", "", declared)
    return list(dict.fromkeys((declared, unfolded, re.sub(r"\r?\n[ \t]*", "", declared),
                               re.sub(r"[ \t]+", "", unfolded))))


def _has_line(body: str, boundary: str) -> bool:
    return re.search(rf"^--{re.escape(boundary)}(?:--)?[ \t]*\r?$", body, re.MULTILINE) is not None
