"""Plus-addressed variants share one sender's limits (issue 15 item 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.addresses import sender_cap_key
from domain.decide import decide
from domain.decisions import CreateTicket, Forward
from tests.domain.fakes import FakeDirectory
from tests.domain.test_decide import NOW, POLICY, view


@pytest.mark.parametrize(("address", "key"), [
    ("bob+1@acme.com", "bob@acme.com"),
    ("Bob+Sales+x@ACME.com", "bob@acme.com"),
    ("bob@acme.com", "bob@acme.com"),
    ("+tag@acme.com", "+tag@acme.com"),
    ("<bob+2@acme.com>", "bob@acme.com"),
    ("no-at-sign", "no-at-sign"),
])
def test_the_cap_key_drops_the_tag_and_the_case(address: str, key: str) -> None:
    assert sender_cap_key(address) == key


def test_plus_variants_share_the_acknowledgement_limit() -> None:
    # POLICY allows 2 per hour; two went out, recorded under the cap key (as the outbox must).
    directory = FakeDirectory(acknowledgements=[("bob@acme.example", NOW - timedelta(minutes=5))] * 2)
    directory.add_account(1, "Acme", "acme.example")
    decision = decide(view(from_address="bob+3@acme.example"), directory, POLICY)
    assert isinstance(decision, CreateTicket) and not decision.acknowledge
    assert "acknowledgement suppressed: 2 already sent" in decision.reason
    assert "(counted as bob@acme.example)" in decision.reason


def test_plus_variants_share_the_forward_limit() -> None:
    directory = FakeDirectory(forwards=[("bob@acme.example", NOW - timedelta(minutes=5))] * 30)
    decision = decide(view(from_address="bob+99@acme.example"), directory, POLICY)
    assert isinstance(decision, Forward) and decision.send is False


def test_rows_recorded_under_the_full_address_still_count() -> None:
    directory = FakeDirectory(forwards=[("bob+1@acme.example", NOW - timedelta(minutes=5))] * 20
                              + [("bob@acme.example", NOW - timedelta(minutes=5))] * 10)
    decision = decide(view(from_address="bob+1@acme.example"), directory, POLICY)
    assert isinstance(decision, Forward) and decision.send is False
