"""The signed reply reference (issue 12, class 10): pure functions of a key."""

from __future__ import annotations

import pytest

from domain.reply_reference import candidates, sign, subaddress, verify

KEY = "a-key-only-we-hold"


def test_a_signed_reference_verifies_to_its_ticket_and_only_under_our_key() -> None:
    token = sign(123, KEY)
    assert token.startswith("t123-") and len(token) == len("t123-") + 10
    assert verify(token, KEY) == 123
    assert verify(token.upper(), KEY) == 123  # a mail system may fold the case
    assert verify(token, "another-key") is None
    assert verify(token, "") is None


@pytest.mark.parametrize("forged", [
    "t124-" + "a" * 10, "t123-" + "a" * 10, "t0-aaaaaaaaaa", "t123", "123", "t123-abc",
    "t12345678901-aaaaaaaaaa",
])
def test_a_guessed_or_malformed_reference_is_not_accepted(forged: str) -> None:
    assert verify(forged, KEY) is None


def test_another_tickets_mac_does_not_fit() -> None:
    mac = sign(7, KEY).split("-")[1]
    assert verify(f"t8-{mac}", KEY) is None


def test_references_are_found_in_sub_addresses_and_quoted_footer_lines() -> None:
    token = sign(42, KEY)
    texts = [f"support+{token}@msp.example",
             f"Thanks!\n\n> Reference: {token.upper()} (keep this line when you reply)\n",
             "not one: xt42-aaaaaaaaaa t42-aaaaaaaaaab"]
    assert candidates(texts) == (token,)


def test_at_most_a_few_candidates_are_taken_from_hostile_text() -> None:
    text = " ".join(f"t{i}-aaaaaaaaaa" for i in range(1, 1000))
    assert len(candidates([text])) == 8


def test_the_sub_address_keeps_the_mailbox_and_domain() -> None:
    assert subaddress("support@msp.example", "t1-abcdefghij") == "support+t1-abcdefghij@msp.example"
    assert subaddress("not-an-address", "t1-abcdefghij") == "not-an-address"
