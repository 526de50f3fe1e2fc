"""Spoofed employee replies (issue 15 item 7): an employee's From: is believed only when the
message's trusted authentication verdicts do not say it is forged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.decide import decide
from domain.decisions import FileReply
from domain.model import AuthResult, AuthVerdicts, DocumentKind, EmployeeRef, Outcome
from tests.domain.fakes import FakeDirectory
from tests.domain.test_decide import POLICY, view

ALICE = "alice@msp.example"


def ar(*results: str, authserv: str = "mx.msp.example", header: str = "authentication-results",
       instance: int | None = None) -> AuthVerdicts:
    parsed = []
    for text in results:
        method_result, *props = text.split()
        method, _, result = method_result.partition("=")
        parsed.append(AuthResult(method, result, tuple(tuple(p.split("=", 1)) for p in props)))  # type: ignore[misc]
    return AuthVerdicts(header, authserv, instance, tuple(parsed))


@pytest.fixture
def directory() -> FakeDirectory:
    directory = FakeDirectory(employees={ALICE: EmployeeRef(4, "Alice")})
    directory.add_ticket(7)
    return directory


def reply(directory: FakeDirectory, *verdicts: AuthVerdicts, **policy: object) -> FileReply:
    decision = decide(view(from_address=ALICE, subject="Re: [Ticket #0000007]",
                           auth_results=verdicts), directory, replace(POLICY, **policy))  # type: ignore[arg-type]
    assert isinstance(decision, FileReply)
    return decision


def assert_forwarded_as_customer(decision: FileReply, why: str) -> None:
    assert decision.outcome == Outcome.FILED_CUSTOMER_REPLY and decision.forward
    assert decision.document_kind == DocumentKind.CUSTOMER_EMAIL
    assert "active employee 4 (Alice), but the message fails authentication" in decision.reason
    assert why in decision.reason


def test_a_dmarc_failure_makes_an_employee_reply_a_forwarded_customer_reply(directory: FakeDirectory) -> None:
    decision = reply(directory, ar("dmarc=fail header.from=msp.example", "spf=pass", "dkim=pass"))
    assert_forwarded_as_customer(decision, "DMARC fails for msp.example (Authentication-Results of "
                                           "mx.msp.example)")


def test_failing_both_spf_and_dkim_is_enough(directory: FakeDirectory) -> None:
    decision = reply(directory, ar("spf=softfail smtp.mailfrom=evil.example", "dkim=none"))
    assert_forwarded_as_customer(decision, "neither SPF nor DKIM passes for msp.example")


def test_a_pass_for_the_attackers_own_domain_proves_nothing(directory: FakeDirectory) -> None:
    decision = reply(directory, ar("spf=pass smtp.mailfrom=bounce@evil.example",
                                   "dkim=pass header.d=evil.example"))
    assert_forwarded_as_customer(decision, "dkim=pass for another domain")


@pytest.mark.parametrize("results", [
    ("dmarc=pass header.from=msp.example",),
    ("spf=fail", "dkim=pass header.d=msp.example"),
    ("spf=pass smtp.mailfrom=mail.msp.example", "dkim=fail"),
    ("spf=temperror", "dkim=none"),
    ("dmarc=none", "dkim=pass"),
])
def test_an_authenticated_reply_stays_an_employee_reply(directory: FakeDirectory,
                                                        results: tuple[str, ...]) -> None:
    decision = reply(directory, ar(*results))
    assert decision.outcome == Outcome.FILED_EMPLOYEE_REPLY and not decision.forward


def test_without_verdicts_or_with_the_check_off_nothing_changes(directory: FakeDirectory) -> None:
    assert reply(directory).outcome == Outcome.FILED_EMPLOYEE_REPLY
    off = reply(directory, ar("dmarc=fail"), distrust_failed_employee_auth=False)
    assert off.outcome == Outcome.FILED_EMPLOYEE_REPLY


def test_only_the_topmost_header_is_believed_by_default(directory: FakeDirectory) -> None:
    # A forger's own header sits below the receiving MTA's.
    decision = reply(directory, ar("dmarc=fail"), ar("dmarc=pass", authserv="forged.example"))
    assert decision.outcome == Outcome.FILED_CUSTOMER_REPLY
    below = reply(directory, ar("dmarc=pass"), ar("dmarc=fail", authserv="forged.example"))
    assert below.outcome == Outcome.FILED_EMPLOYEE_REPLY


def test_with_trusted_ids_only_their_headers_count_and_arc_of_a_trusted_forwarder(
        directory: FakeDirectory) -> None:
    untrusted_top = reply(directory, ar("dmarc=pass", authserv="forged.example"),
                          ar("dmarc=fail", authserv="mx.msp.example"),
                          trusted_authserv_ids=("MX.msp.example",))
    assert untrusted_top.outcome == Outcome.FILED_CUSTOMER_REPLY
    arc = reply(directory, ar("dmarc=fail", authserv="forged.example"),
                ar("spf=fail", "dkim=fail", authserv="gw.example",
                   header="arc-authentication-results", instance=1),
                trusted_authserv_ids=("gw.example",))
    assert arc.outcome == Outcome.FILED_CUSTOMER_REPLY and "gw.example" in arc.reason
    none_trusted = reply(directory, ar("dmarc=fail", authserv="forged.example"),
                         trusted_authserv_ids=("gw.example",))
    assert none_trusted.outcome == Outcome.FILED_EMPLOYEE_REPLY
