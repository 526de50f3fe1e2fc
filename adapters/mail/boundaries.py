"""email.feedparser's multipart boundary matcher, without compiling a pattern per message.

The stdlib parser compiles one regular expression per multipart entity, from its boundary:
about 250 µs each here, a tenth of reading a typical message, and `re`'s cache never helps
because every message has boundaries of its own. Inside email.feedparser only, `re` is
replaced by a stand-in that answers that one pattern with a matcher doing the same: the
separator compared with str.startswith, the rest of the line with one pattern compiled once.
Any other pattern (or a future stdlib's different one) goes to `re` unchanged.
tests/adapters/test_boundaries.py checks that both parse every corpus message alike.
"""

from __future__ import annotations

import email.feedparser
import re
from typing import Any

_PREFIX = "(?P<sep>"
_SUFFIX = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_REST = re.compile(_SUFFIX[1:])
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)  # re.escape puts a backslash before a character


class BoundaryPattern:
    """Matches a line as `re.compile(_PREFIX + re.escape(separator) + _SUFFIX)` would."""

    __slots__ = ("_separator", "_length")

    def __init__(self, separator: str) -> None:
        self._separator = separator
        self._length = len(separator)

    def match(self, line: str) -> re.Match[str] | None:
        if not line.startswith(self._separator):
            return None
        return _REST.match(line, self._length)


class _FeedparserRe:
    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def compile(self, pattern: Any, flags: int = 0) -> Any:
        if (not flags and isinstance(pattern, str) and pattern.startswith(_PREFIX)
                and pattern.endswith(_SUFFIX)):
            return BoundaryPattern(_ESCAPED.sub(r"\1", pattern[len(_PREFIX):-len(_SUFFIX)]))
        return re.compile(pattern, flags)


def install() -> None:
    email.feedparser.re = _FeedparserRe()  # type: ignore[attr-defined]


def uninstall() -> None:
    email.feedparser.re = re  # type: ignore[attr-defined]
