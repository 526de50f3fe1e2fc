"""How a delivery is recognized when it arrives again (SPEC §2 step 1)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def dedupe_keys(
    *,
    source: str,
    provider_event_id: str | None,
    message_id: str | None,
    recipients: Iterable[str],
    raw_sha256: str,
) -> list[str]:
    """Keys that identify this delivery; a delivery sharing any key with a stored one is a duplicate.

    The Message-ID counts per recipient, so one mail sent to two of our addresses is two
    deliveries (a recurring complaint about Zammad, osTicket and FreeScout). Without a
    Message-ID, the raw bytes stand in for it (Zammad's and FreeScout's synthesized ids).
    """
    recipient = ",".join(sorted({r.lower() for r in recipients if r}))
    keys = []
    if provider_event_id:
        keys.append("event:" + _digest(f"{source}\n{provider_event_id}"))
    identity = f"mid\n{message_id}" if message_id else f"raw\n{raw_sha256}"
    keys.append("msg:" + _digest(f"{identity}\n{recipient}"))
    return keys


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:48]
