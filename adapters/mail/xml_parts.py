"""Finding XML transactions in an email: a .xml attachment or an application/xml or text/xml
part, or a plain-text body that is itself the XML.

Only documents that name a transaction root count; any other XML (an invoice attached by a
customer) leaves the message to the regular rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import Message
from itertools import islice

from adapters.mail.text import decode_bytes
from adapters.mail.transfer import base64_body
from domain.xml_model import MAX_BYTES, XmlTransaction, names_a_transaction

MAX_DOCUMENTS = 20
MAX_PARTS = 200
_XML_TYPES = ("application/xml", "text/xml")
_DECLARATION = re.compile(rb"<\?xml\b", re.IGNORECASE)
_CLOSING_ROOT = re.compile(rb"</\s*(?:[\w.-]+:)?(?:commitcrmtransaction|rangermsptransaction)\s*>",
                           re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"


def transactions_in(msg: Message, parse: Callable[[bytes], XmlTransaction]
                    ) -> tuple[XmlTransaction, ...] | None:
    """The transactions of every XML document in the message, in order; None when it has none.

    `parse` is the XML codec's (adapters/xml/parse.py), given by the composition root.
    """
    found = [parse(doc) for doc in islice(_documents(msg), MAX_DOCUMENTS)]
    return tuple(found) or None


def _documents(msg: Message) -> Iterator[bytes]:
    for index, part in enumerate(_leaf_parts(msg)):
        if index >= MAX_PARTS:
            return
        ctype = part.get_content_type()
        filename = (part.get_filename() or "").strip().lower()
        data = _payload(part)
        if ctype in _XML_TYPES or filename.endswith(".xml"):
            if names_a_transaction(data[: MAX_BYTES + 4096]):
                yield data
        elif ctype == "text/plain" and not filename and _disposition(part) != "attachment":
            yield from _body_documents(data, part.get_content_charset())


def _leaf_parts(msg: Message) -> Iterator[Message]:
    """Leaf parts, not descending into attached messages (a forwarded transaction is not ours)."""
    if msg.get_content_type() == "message/rfc822":
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                yield from _leaf_parts(child)
        return
    yield msg


def _body_documents(data: bytes, charset: str | None) -> Iterator[bytes]:
    """A plain-text body holding one transaction, or several each with its own <?xml ...?>."""
    body = data.lstrip()
    if body.startswith(_BOM):
        body = body[len(_BOM):].lstrip()
    if not body.startswith(b"<") or not names_a_transaction(body[: MAX_BYTES + 4096]):
        return
    starts = [m.start() for m in _DECLARATION.finditer(body)] or [0]
    starts[0] = 0
    for start, end in zip(starts, starts[1:] + [len(body)], strict=True):
        document = _trimmed(body[start:end])
        if not document.lstrip().startswith(b"<?xml"):
            # Without a declaration the text is in the part's charset: hand it over as UTF-8.
            document = decode_bytes(document, charset).encode("utf-8")
        yield document


def _trimmed(document: bytes) -> bytes:
    """Without what a mail system appends after the transaction (signatures, footers)."""
    ends = list(_CLOSING_ROOT.finditer(document))
    return document[: ends[-1].end()] if ends else document


def _payload(part: Message) -> bytes:
    try:
        data = base64_body(part)
        if data is None:
            data = part.get_payload(decode=True)  # type: ignore[assignment]  # bytes, decoded
    except Exception:  # broken transfer encoding: the part is read as it stands
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _disposition(part: Message) -> str:
    return str(part.get("content-disposition") or "").split(";")[0].strip().lower()
