"""Duplicate-delivery keys and address keys."""

from __future__ import annotations

import pytest

from domain.addresses import address_key, domain_of
from domain.dedupe import dedupe_keys


def keys(**kw: object) -> list[str]:
    base = {"source": "raw", "provider_event_id": None, "message_id": "m1@x",
            "recipients": ["support@msp.example"], "raw_sha256": "ab" * 32}
    base.update(kw)
    return dedupe_keys(**base)  # type: ignore[arg-type]


def test_the_same_message_id_to_the_same_recipient_is_the_same_delivery() -> None:
    assert keys() == keys(raw_sha256="cd" * 32)


def test_one_message_to_two_of_our_addresses_is_two_deliveries() -> None:
    assert keys() != keys(recipients=["sales@msp.example"])


def test_without_a_message_id_the_bytes_decide() -> None:
    assert keys(message_id=None) != keys(message_id=None, raw_sha256="cd" * 32)
    assert keys(message_id=None) == keys(message_id=None)


def test_a_provider_event_id_is_a_key_of_its_own() -> None:
    with_event = keys(provider_event_id="evt-1", source="mailgun")
    assert len(with_event) == 2 and with_event[1] == keys()[0]


@pytest.mark.parametrize("value, key", [
    (" Bob@Acme.Example ", "bob@acme.example"), ("<bob@acme.example>", "bob@acme.example"),
    ("ACME.example", "acme.example"), ("", None), (None, None), ("a b@c", None),
    ("@acme.example", None), ("bob@", None), ("a@b@c", None),
])
def test_address_keys_are_lower_case_and_reject_junk(value: str | None, key: str | None) -> None:
    assert address_key(value) == key


def test_the_domain_of_an_address() -> None:
    assert domain_of("bob@acme.example") == "acme.example"
    assert domain_of("acme.example") is None
