"""Plain text from HTML mail, for messages that have no text/plain part.

A small scanner rather than html.parser: on unterminated markup ("<a <a <a ...", unclosed
quotes or comments) the standard parser re-scans the rest of the document from every "<",
quadratic in its length (60 KB of "<a " took over 20 s). Here every step moves forward: a tag
never extends past the next "<", and an unclosed comment, script or style ends the text.
"""

from __future__ import annotations

import html
import re

_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "blockquote", "pre", "hr"}
_SKIP = {"script", "style", "head", "title"}
# A tag: name, then attributes; quoted values may hold ">" but not "<" (which ends the attempt).
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^<>"']|"[^"<]*"|'[^'<]*')*>""")
_SKIP_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _SKIP}


def html_to_text(markup: str) -> str:
    text = _text_of(markup)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(markup: str) -> str:
    parts: list[str] = []
    position, end = 0, len(markup)
    while position < end:
        start = markup.find("<", position)
        if start < 0:
            parts.append(html.unescape(markup[position:]))
            break
        parts.append(html.unescape(markup[position:start]))
        position = _after_markup(markup, start, parts)
    return "".join(parts)


def _after_markup(markup: str, start: int, parts: list[str]) -> int:
    """Handle the markup at `start` (a "<"); return where the text goes on."""
    if markup.startswith("<!--", start):
        close = markup.find("-->", start + 4)
        return len(markup) if close < 0 else close + 3
    tag = _TAG.match(markup, start)
    if tag is None:
        if markup.startswith(("<!", "<?"), start):  # doctype, CDATA, processing instruction
            close = markup.find(">", start)
            return len(markup) if close < 0 else close + 1
        parts.append("<")  # a lone "<" is text ("a < b")
        return start + 1
    closing, name = tag.group(1), tag.group(2).lower()
    if name in _SKIP and not closing:
        close_tag = _SKIP_END[name].search(markup, tag.end())
        return len(markup) if close_tag is None else close_tag.end()
    if name in _BLOCK:
        parts.append("\n")
    return tag.end()
