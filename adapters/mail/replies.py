"""The reply without its quoted history (mail-parser-reply), the full text kept elsewhere."""

from __future__ import annotations

import heapq
import re

from mailparser_reply.parser import EmailMessage

# Languages of the attribution lines it recognizes ("On ... wrote:", "Am ... schrieb", ...).
_LANGUAGES = ("en", "de", "fr", "es", "nl", "it", "da", "sv", "pl")
# The library compiles its (large) patterns per message and relies on the `re` module's cache,
# which every multipart message floods with its own boundary pattern (email.feedparser): they
# were recompiled for almost every message, ~1 ms each. Compiled once here and handed over.
_TEMPLATE = EmailMessage(text="", languages=list(_LANGUAGES))
# Every alternative of its header pattern begins at a line start ("^", "(?:^|\n..."), at a
# "\n", or with Danish "-----Oprindelig meddelelse-----" (tests/adapters/test_replies.py
# checks the claim): tried only there, it finds the same headers 5-10 x faster than a scan
# trying its ~25 alternatives at every position.
_DANISH = re.compile(r"-----Oprindelig", re.IGNORECASE)


class HeaderPattern:
    """The library's header pattern as the library uses it (`findall`), tried at those places."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def findall(self, text: str) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        position = 0
        for start in _starts(text):
            if start < position:
                continue
            match = self.pattern.match(text, start)
            if match is None:
                continue
            if match.end() == start:  # an empty match: let the stdlib's own rules apply
                return self.pattern.findall(text)
            found.append(match.groups(""))
            position = match.end()
        return found


def _starts(text: str) -> list[int]:
    starts = {0}
    newline = text.find("\n")
    while newline >= 0:
        starts.update((newline, newline + 1))
        newline = text.find("\n", newline + 1)
    starts.update(match.start() for match in _DANISH.finditer(text))
    return sorted(starts)


# Only the reply's text is used (`latest_reply`): the signatures and disclaimers it also finds
# in every fragment are never read, so their patterns are replaced by one that fails at once.
_UNUSED = re.compile(r"\A(?!)")
_PATTERNS = {"_header_regex": HeaderPattern(_TEMPLATE.HEADER_REGEX),
             "_disclaimers_regex": _UNUSED,
             "_signature_regex": _UNUSED}
# Cheap pre-check: only text that looks quoted is handed to the (regex-heavy) parser.
_QUOTE_HINT = re.compile(
    r"^\s*>|wrote:|schrieb|a écrit|escribió|schreef|scrisse|skrev|napisał|"
    r"-----\s*original|^\s*(from|von|de|van|da|fra|från|od)\s*:|^_{10}",
    re.IGNORECASE | re.MULTILINE,
)
# The same search, twice as fast: a hint begins at a line start or with the first two letters
# of one of its words ("wr", "sc", "sk", "a ", "es", "na", "--"), so other places are passed
# over at once.
_QUOTE_HINT_FAST = re.compile(
    rf"(?:(?<![^\n])|(?=[wsaen-][rcks a-]))(?:{_QUOTE_HINT.pattern})", _QUOTE_HINT.flags)
# Faster again, with the same leftmost match (tests/adapters/test_replies.py compares them):
# the places where a hint can begin are found by C-speed scans, the regex is tried only there.
# The words begin anywhere; str.find in the lowered text finds each (lower() keeps positions
# unless a character lowers to two, and the only characters re's IGNORECASE equates with a
# letter of these words that lower() does not turn into it are "ſ" and "ı": then the regex
# scans). The other alternatives begin at a line start: a pattern led by "\n" is searched
# with the regex engine's own literal scan.
_HINT_WORDS = ("wrote:", "schrieb", "a écrit", "escribió", "schreef", "scrisse", "skrev",
               "napisał", "-----")
_LONGEST_WORD = max(map(len, _HINT_WORDS))
_AT_LINE_START = r"\s*>|\s*(?:from|von|de|van|da|fra|från|od)\s*:|_{10}"
_LINE_HINT = re.compile(rf"\n(?:{_AT_LINE_START})", re.IGNORECASE)
_FIRST_LINE_HINT = re.compile(_AT_LINE_START, re.IGNORECASE)


def quote_hint(text: str) -> re.Match[str] | None:
    """_QUOTE_HINT.search(text, 0, _SCAN), found without trying the pattern at every position."""
    end = min(len(text), _SCAN)
    starts: list[tuple[int, str]] = []
    if _FIRST_LINE_HINT.match(text, 0, _SCAN):
        starts.append((0, ""))
    elif (line := _LINE_HINT.search(text, 0, _SCAN)) is not None:
        starts.append((line.start() + 1, ""))
    # A line-start hint always matches: the words need looking for only before it.
    before = starts[0][0] + _LONGEST_WORD if starts else end
    head = text[:before]
    lowered = head.lower()
    if len(lowered) != len(head) or "ſ" in lowered or "ı" in lowered:
        return _QUOTE_HINT_FAST.search(text, 0, _SCAN)
    starts += [(at, word) for word in _HINT_WORDS if (at := lowered.find(word)) >= 0]
    heapq.heapify(starts)
    while starts:
        at, word = heapq.heappop(starts)
        found = _QUOTE_HINT.match(text, at, _SCAN)
        if found is not None:
            return found
        if word and (later := lowered.find(word, at + 1)) >= 0:  # "-----" not before "original"
            heapq.heappush(starts, (later, word))
    return None


# The parser's cost grows with the text (its patterns scan all of it), but the reply ends at
# the first separator: it sees the text up to the first hint of a quote and a margin after it,
# enough for a client's header block ("From: / Sent: / To: / Subject:") to be recognized.
_MARGIN = 512
# The hint is looked for in the first 100,000 characters only: the scan costs about 0.5 µs a
# character (an 8 MB one-line body took 4 s), and a reply longer than that is kept whole.
_SCAN = 100_000


def reply_part(text: str) -> str:
    hint = quote_hint(text) if text else None
    if hint is None:
        return text.strip()
    head = text[: hint.end() + _MARGIN]
    try:
        reply = EmailMessage(text=head, languages=list(_LANGUAGES), **_PATTERNS).read().latest_reply
    except Exception:  # a parser failure must not fail the message: keep the whole text
        return text.strip()
    if not reply or (len(head) < len(text) and reply.strip() == head.strip()):
        return text.strip()  # nothing recognized as quoted in the head: the whole text is new
    return reply.strip()
