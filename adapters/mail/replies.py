"""The reply without its quoted history (mail-parser-reply), the full text kept elsewhere."""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

# Languages of the attribution lines it recognizes ("On ... wrote:", "Am ... schrieb", ...).
_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "it", "da", "sv", "pl"])
# Cheap pre-check: only text that looks quoted is handed to the (regex-heavy) parser.
_QUOTE_HINT = re.compile(
    r"^\s*>|wrote:|schrieb|a écrit|escribió|schreef|scrisse|skrev|napisał|"
    r"-----\s*original|^\s*(from|von|de|van|da|fra|från|od)\s*:|^_{10,}",
    re.IGNORECASE | re.MULTILINE,
)
_MAX_TEXT = 256 * 1024


def reply_part(text: str) -> str:
    if not text or not _QUOTE_HINT.search(text):
        return text.strip()
    if len(text) > _MAX_TEXT:  # the reply is at the top; quoted megabytes need not be scanned
        text = text[:_MAX_TEXT]
    try:
        reply = _PARSER.parse_reply(text)
    except Exception:
        return text.strip()
    return (reply or text).strip()
