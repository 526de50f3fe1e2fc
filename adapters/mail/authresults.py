"""Reading authentication verdicts: Authentication-Results (RFC 8601) and
ARC-Authentication-Results (RFC 8617 §4.1.1) header fields.

Only what the rules need is kept: per header, its authserv-id (and ARC instance), and for each
method (dmarc, spf, dkim, ...) its result and properties (header.from, smtp.mailfrom,
header.d, ...). Which of these headers are believed is the domain's decision
(domain/authentication.py); here every one is read, topmost first. Malformed pieces are skipped.
"""

from __future__ import annotations

import re

from adapters.mail.headers import RawHeaders, header_text
from domain.model import AuthResult, AuthVerdicts

MAX_HEADERS = 20  # of each kind; a message with more is not believed further down anyway
MAX_RESULTS = 30
MAX_LENGTH = 8_000
_PAIR = re.compile(r'([A-Za-z0-9][A-Za-z0-9_.\-/]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)')
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def auth_verdicts(headers: RawHeaders) -> tuple[AuthVerdicts, ...]:
    found: list[AuthVerdicts] = []
    for name in ("authentication-results", "arc-authentication-results"):
        for value in headers.get_all(name)[:MAX_HEADERS]:
            verdicts = parse_auth_results(header_text(value), arc=name.startswith("arc-"))
            if verdicts is not None:
                found.append(verdicts)
    return tuple(found)


def parse_auth_results(value: str, *, arc: bool = False) -> AuthVerdicts | None:
    """One header field value, or None when it names no authserv-id."""
    pieces = [p.strip() for p in _split(_without_comments(value[:MAX_LENGTH]))]
    instance: int | None = None
    if arc:
        if not pieces:
            return None
        match = re.fullmatch(r"i\s*=\s*([0-9]{1,3})", pieces[0])
        if match is None:
            return None
        instance = int(match.group(1))
        pieces = pieces[1:]
    if not pieces:
        return None
    first = _TOKEN.match(pieces[0])
    if first is None:
        return None
    results: list[AuthResult] = []
    for piece in pieces[1:]:
        result = _result(piece)
        if result is not None and len(results) < MAX_RESULTS:
            results.append(result)
    return AuthVerdicts(
        header="arc-authentication-results" if arc else "authentication-results",
        authserv_id=first.group(0).lower(),
        instance=instance,
        results=tuple(results),
    )


def _result(piece: str) -> AuthResult | None:
    pairs = [(name.lower(), _unquote(v)) for name, v in _PAIR.findall(piece)]
    if not pairs:
        return None
    method, result = pairs[0]
    if "." in method or method == "reason":
        return None
    props = tuple((name, v.lower()) for name, v in pairs[1:] if "." in name)
    return AuthResult(method=method.split("/")[0], result=result.lower(), properties=props)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _without_comments(value: str) -> str:
    """The value with (nested) comments removed; quoted strings kept as they are."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
        elif quoted:
            out.append(ch)
            quoted = ch != '"'
        elif ch == '"' and depth == 0:
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _split(value: str) -> list[str]:
    """Split at semicolons outside quoted strings."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    pieces.append("".join(current))
    return [p for p in pieces if p.strip()]
