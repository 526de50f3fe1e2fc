"""The signed reply reference our mail carries: `t<ticket>-<mac>`, e.g. `t123-k3j5h2m9qa`.

Replies lose their subjects (edited, translated, cut) and their In-Reply-To/References (some
clients and gateways drop them). The reference travels in the Reply-To sub-address
(support+t123-k3j5h2m9qa@, RFC 5233) and in a footer line of the body, which replies quote.
The mac is an HMAC-SHA256 of the ticket number under a key only we hold, cut to 50 bits: a
ticket number alone cannot be turned into a reference, so a valid one means the sender has
mail we sent about that ticket. Lower-case base32, because mail systems may fold the case of
local parts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

MAC_LENGTH = 10  # base32 characters: 50 bits
MAX_CANDIDATES = 8
_TOKEN = re.compile(r"(?<![a-z0-9])t([1-9][0-9]{0,9})-([a-z2-7]{%d})(?![a-z0-9])" % MAC_LENGTH,  # noqa: UP031 (a regex of braces)
                    re.IGNORECASE)
# Every reference ends in "-" and ten base32 characters. Almost no text has that: a search
# that starts with a literal passes over it about 50 x faster than _TOKEN's lookbehind does.
_SUFFIX = re.compile(r"-[a-z2-7]{%d}" % MAC_LENGTH, re.IGNORECASE)  # noqa: UP031 (as _TOKEN)


def _mac(ticket_id: int, key: str) -> str:
    digest = hmac.new(key.encode(), f"ticket:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_LENGTH].lower()


def sign(ticket_id: int, key: str) -> str:
    """The reference of a ticket under `key`."""
    return f"t{ticket_id}-{_mac(ticket_id, key)}"


def candidates(texts: Iterable[str]) -> tuple[str, ...]:
    """What looks like a reference in these texts (addresses, body lines), lower-case, in the
    order found, at most MAX_CANDIDATES: nothing is verified yet."""
    found: list[str] = []
    for text in texts:
        if not text or _SUFFIX.search(text) is None:
            continue
        for match in _TOKEN.finditer(text):
            token = match.group(0).lower()
            if token not in found:
                found.append(token)
                if len(found) >= MAX_CANDIDATES:
                    return tuple(found)
    return tuple(found)


def verify(token: str, key: str) -> int | None:
    """The ticket id a reference names when its mac is right under `key`, else None."""
    if not key:
        return None
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    ticket_id = int(match.group(1))
    if not hmac.compare_digest(_mac(ticket_id, key), match.group(2).lower()):
        return None
    return ticket_id


def subaddress(address: str, token: str) -> str:
    """`support@msp.example` with the reference as its sub-address: support+t123-...@."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return address
    return f"{local}+{token}@{domain}"
