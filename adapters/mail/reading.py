"""Reading a stored message for processing: the view the rules need and the document a
filing keeps. Runs in a reader process (see reader_pool.py), so it is a plain function of bytes."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from datetime import datetime
from typing import Any

from adapters.mail.documents import extract_document
from adapters.mail.dsn import delivery_report
from adapters.mail.files import safe_attachment
from adapters.mail.headers import parse_message
from adapters.mail.view import message_view
from adapters.mail.xml_parts import transactions_in
from domain.messages import ExtractedDocument, ReadMessage
from domain.reply_reference import candidates
from domain.xml_model import XmlTransaction

XmlParse = Callable[[bytes], XmlTransaction]
REFERENCE_SCAN_CHARS = 64 * 1024  # a reply quotes our footer near its top; ~1 ms at most


TOO_DEEP = ("This message nests attached messages deeper than can be read (hundreds of "
            "levels); it is filed with its headers, and the original is attached unchanged.")


def read_message(raw: bytes | bytearray, envelope_from: str | None,
                 xml_parse: XmlParse | None) -> ReadMessage:
    """`xml_parse` only while the XML API is on: otherwise XML in a message is just text.
    A bytearray may have its large files decoded in it (parse_message): a reader child's."""
    try:
        return _read(raw, envelope_from, xml_parse)
    except RecursionError:
        # Hundreds of nested message/rfc822 parts exhaust the stdlib parser's recursion: the
        # message still gets an outcome, read from its headers, with every byte attached.
        msg = parse_message(raw, headers_only=True)
        view = message_view(msg, envelope_from=envelope_from)
        original = safe_attachment("original.eml", "message/rfc822", bytes(raw))
        return without_nul(ReadMessage(view, ExtractedDocument(text=TOO_DEEP, reply_text=TOO_DEEP,
                                                               attachments=[original])))


def _read(raw: bytes | bytearray, envelope_from: str | None, xml_parse: XmlParse | None) -> ReadMessage:
    msg = parse_message(raw)
    view = message_view(msg, envelope_from=envelope_from)
    if xml_parse is not None:
        view = replace(view, xml=transactions_in(msg, xml_parse))
    report = delivery_report(msg)
    if report is not None:
        view = replace(view, delivery_report=report)
    document = extract_document(msg)
    # The footer line of our mail, quoted in the reply (its first part: the newest quote).
    found = candidates([document.text[:REFERENCE_SCAN_CHARS]])
    if found:
        view = replace(view, reply_references=tuple(dict.fromkeys(view.reply_references + found)))
    return without_nul(ReadMessage(view, document))


def read_or_error(raw: bytes | bytearray, envelope_from: str | None,
                  xml_parse: XmlParse | None) -> ReadMessage | str:
    """The same, with an error returned as text: bad input is data, not an exception."""
    try:
        return read_message(raw, envelope_from, xml_parse)
    except Exception as exc:
        return error_text(exc)


def error_text(exc: BaseException) -> str:
    """An exception as one line for the processing log: type, message, and where it arose."""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    return without_nul(f"{type(exc).__name__}: {exc}{place}")


def without_nul(value: Any) -> Any:
    """The value with NUL removed from every string in it (dataclasses, tuples, lists, dicts).

    PostgreSQL text cannot hold NUL, so a NUL in a body, a header or an error text failed the
    whole filing there (SQLite stored it). Mail has no legitimate use for it: it is dropped
    once here, on everything the reader hands over. Unchanged values are returned as they are.
    """
    kind = type(value)
    if kind is str:
        return value.replace("\x00", "") if "\x00" in value else value
    if kind in _LEAVES:
        return value
    if kind in _CONTAINERS:
        return _without_nul_in_container(value)
    names = _init_fields.get(kind)
    if names is None:
        if not is_dataclass(value) or isinstance(value, type):
            return _without_nul_in_container(value)
        names = _init_fields[kind] = tuple(f.name for f in fields(value) if f.init)
    changes = None
    for name in names:
        old = getattr(value, name)
        if type(old) in _LEAVES or (type(old) is str and "\x00" not in old):
            continue
        new = without_nul(old)
        if new is not old:
            changes = changes or {}
            changes[name] = new
    return replace(value, **changes) if changes else value


# Walked for every message read (about 33 values each in the bench mix): the leaves answered
# first and each dataclass's fields looked up once: 32 -> 15.5 µs a message (timeit).
_LEAVES = frozenset({bytes, bytearray, memoryview, int, float, bool, type(None), datetime})
_CONTAINERS = frozenset({tuple, list, dict})
_init_fields: dict[type, tuple[str, ...]] = {}


def _without_nul_in_container(value: Any) -> Any:
    if isinstance(value, str):  # a subclass (a StrEnum's member)
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, (tuple, list)):
        items = [without_nul(item) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        return type(value)(items) if changed else value
    if isinstance(value, dict):
        pairs = [(without_nul(k), without_nul(v)) for k, v in value.items()]
        changed = any(k is not k0 or v is not v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True))
        return dict(pairs) if changed else value
    return value
