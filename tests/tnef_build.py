"""Building winmail.dat blobs as Outlook and Exchange write them (MS-OXTNEF), for the tests:
message-level MAPI properties (PR_BODY, PR_BODY_HTML, PR_RTF_COMPRESSED) and attachments
(attAttachRendData, attAttachTitle, attAttachData, and an embedded message in
PR_ATTACH_DATA_OBJ)."""

from __future__ import annotations

import struct

from compressed_rtf import compress

SIGNATURE = 0x223E9F78
IMESSAGE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
PT_BINARY, PT_STRING8, PT_LONG = 0x0102, 0x001E, 0x0003
PR_BODY, PR_BODY_HTML, PR_RTF_COMPRESSED = 0x1000, 0x1013, 0x1009
PR_ATTACH_DATA_OBJ, PR_ATTACH_LONG_FILENAME, PR_ATTACH_METHOD = 0x3701, 0x3707, 0x3705


def _object(level: int, attribute: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, attribute, kind, len(data)) + data + struct.pack("<H", checksum)


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def mapi(*props: tuple[int, int, bytes | int]) -> bytes:
    out = struct.pack("<I", len(props))
    for kind, prop, value in props:
        out += struct.pack("<HH", kind, prop)
        if kind == PT_LONG:
            out += struct.pack("<I", int(value))
        else:
            data = value if isinstance(value, bytes) else b""
            out += struct.pack("<II", 1, len(data)) + _padded(data)
    return out


def tnef(*, body: str | None = None, html: str | None = None, rtf: str | None = None,
         files: list[tuple[str, bytes]] = (), embedded: list[tuple[str, bytes]] = ()) -> bytes:
    """A winmail.dat: the bodies given (each a message-level MAPI property), the files as
    attachments, and `embedded` as attached messages (each itself a TNEF, as Outlook nests a
    forwarded .msg)."""
    out = struct.pack("<IH", SIGNATURE, 0x0001)
    out += _object(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _object(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    props = []
    if body is not None:
        props.append((PT_STRING8, PR_BODY, body.encode("cp1252") + b"\x00"))
    if html is not None:
        props.append((PT_BINARY, PR_BODY_HTML, html.encode("utf-8")))
    if rtf is not None:
        props.append((PT_BINARY, PR_RTF_COMPRESSED, compress(rtf.encode("cp1252"))))
    if props:
        out += _object(1, 0x9003, 0x0006, mapi(*props))  # attMAPIProps
    for name, data in files:
        out += _object(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)  # attAttachRendData
        out += _object(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")  # attAttachTitle
        out += _object(2, 0x800F, 0x0006, data)  # attAttachData
    for name, inner in embedded:
        out += _object(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)
        out += _object(2, 0x9005, 0x0006, mapi(  # attAttachment: the attachment's MAPI props
            (PT_LONG, PR_ATTACH_METHOD, 5),  # ATTACH_EMBEDDED_MSG
            (PT_STRING8, PR_ATTACH_LONG_FILENAME, name.encode("cp1252") + b"\x00"),
            (PT_BINARY, PR_ATTACH_DATA_OBJ, IMESSAGE + inner)))
    return out
