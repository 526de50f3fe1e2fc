"""Address keys: how sender addresses and account email fields are compared."""

from __future__ import annotations

from collections.abc import Iterable


def address_key(value: str | None) -> str | None:
    """The comparable form of an address or bare domain: trimmed, lower-case, no brackets.

    Returns None for values that hold neither (blank, or not an address).
    """
    if not value:
        return None
    key = value.strip().strip("<>").strip().lower()
    if not key or any(ch.isspace() for ch in key):
        return None
    local, at, domain = key.rpartition("@")
    if key.count("@") > 1 or (at and (not local or not domain)):
        return None
    return key.rstrip(".")


def domain_of(address: str) -> str | None:
    """The domain part of an address key, or None when it has none."""
    _, at, domain = address.rpartition("@")
    return domain if at and domain else None


def envelope_sender(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in ("", "<>"):
        return ""  # the null reverse-path of bounces and auto-replies (RFC 5321 §4.5.5)
    return address_key(value) or value[:320]


def envelope_recipients(values: Iterable[str | None]) -> tuple[str, ...]:
    keys: list[str] = []
    for value in values:
        for part in (value or "").split(","):
            key = address_key(_angle_addr(part))
            if key and key not in keys:
                keys.append(key)
    return tuple(keys)


def _angle_addr(value: str) -> str:
    # "Name <a@b>" -> "a@b"; a bare address stays as it is.
    if "<" in value and ">" in value:
        return value[value.rindex("<") + 1:value.rindex(">")]
    return value


def sender_cap_key(address: str) -> str:
    """The key per-sender limits count under: lower-case, without a +tag in the local part.

    bob+1@acme.com and bob+2@acme.com are one mailbox (subaddressing, RFC 5233): an attacker
    or a looping auto-responder varying the tag must not get a fresh limit each time.
    The outbox must record acknowledgements and forwards under this same key.
    """
    key = address.strip().strip("<>").strip().lower()
    local, at, domain = key.rpartition("@")
    if not at:
        return key
    base = local.split("+", 1)[0]
    return f"{base}@{domain}" if base else key
