"""Address keys: how sender addresses and account email fields are compared."""


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

