"""Automated-email rules: detection, skip and account rules, their order and where they look."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.automation import rule_problem, subject_keys
from domain.decide import decide
from domain.decisions import CreateTicket, Forward
from domain.model import AutomationRule, MessageView, Outcome
from domain.xml_model import XmlRecord, XmlTransaction
from tests.domain.record_fakes import POLICY, FakeRecordDirectory

ALERTS = AutomationRule(1, "detect", 1, sender="alerts@rmm.example")


def view(subject: str = "ALERT: disk full on SRV01 for Acme Corp", sender: str = "alerts@rmm.example",
         **fields: object) -> MessageView:
    base = MessageView(from_address=sender, subject=subject, message_id="a1@rmm.example")
    return replace(base, **fields)  # type: ignore[arg-type]


def with_rules(*rules: AutomationRule):  # type: ignore[no-untyped-def]
    return replace(POLICY, automation_rules=rules)


def account_rule(rule_id: int = 10, field: str = "name", location: str = "anywhere",
                 marker: str | None = None, position: int = 1) -> AutomationRule:
    return AutomationRule(rule_id, "account", position, account_field=field, location=location,
                          marker=marker)


@pytest.fixture
def directory() -> FakeRecordDirectory:
    d = FakeRecordDirectory()
    d.add_named_account(12, "Acme Corp", account_number="A-100", external_id="rmm-77")
    d.add_named_account(13, "Acme", account_number="A-200")
    d.add_named_account(14, "Globex", account_number="G-1")
    return d


class TestDetection:
    def test_mail_no_detect_rule_matches_goes_on_as_regular_mail(self, directory) -> None:
        decision = decide(view(sender="bob@acme.example"), directory,
                          with_rules(ALERTS, account_rule()))
        assert decision.outcome == Outcome.FORWARDED_UNRECOGNIZED

    def test_sender_and_subject_are_both_required_when_both_are_set(self, directory) -> None:
        both = AutomationRule(1, "detect", 1, sender="alerts@rmm.example", subject_contains="alert")
        policy = with_rules(both, account_rule())
        assert decide(view(), directory, policy).outcome == Outcome.AUTOMATED_TICKET
        assert decide(view(subject="Weekly report for Acme Corp"), directory, policy).outcome \
            == Outcome.FORWARDED_UNRECOGNIZED
        assert decide(view(sender="other@rmm.example"), directory, policy).outcome \
            == Outcome.FORWARDED_UNRECOGNIZED

    def test_matching_is_case_insensitive(self, directory) -> None:
        rule = AutomationRule(1, "detect", 1, sender="ALERTS@RMM.example", subject_contains="aLeRt")
        decision = decide(view(), directory, with_rules(rule, account_rule()))
        assert decision.outcome == Outcome.AUTOMATED_TICKET

    def test_a_domain_as_sender_detects_every_sender_there(self, directory) -> None:
        rule = AutomationRule(1, "detect", 1, sender="@rmm.example")
        decision = decide(view(sender="noc@rmm.example"), directory, with_rules(rule, account_rule()))
        assert decision.outcome == Outcome.AUTOMATED_TICKET
        assert "detect rule 1: sender @rmm.example" in decision.reason

    def test_a_disabled_rule_does_nothing(self, directory) -> None:
        policy = with_rules(replace(ALERTS, enabled=False), account_rule())
        assert decide(view(), directory, policy).outcome == Outcome.FORWARDED_UNRECOGNIZED


class TestSkip:
    def test_a_skip_phrase_forwards_automated_mail_untouched(self, directory) -> None:
        skip = AutomationRule(2, "skip", 1, subject_contains="self healed")
        decision = decide(view(subject="Alert Self Healed: Acme Corp"), directory,
                          with_rules(ALERTS, skip, account_rule()))
        assert isinstance(decision, Forward) and decision.outcome == Outcome.AUTOMATED_SKIPPED
        assert "skip rule 2 matched the subject phrase 'self healed'" in decision.reason

    def test_skip_rules_apply_only_to_mail_detected_as_automated(self, directory) -> None:
        skip = AutomationRule(2, "skip", 1, subject_contains="self healed")
        decision = decide(view(subject="self healed", sender="bob@acme.example"), directory,
                          with_rules(ALERTS, skip))
        assert decision.outcome == Outcome.FORWARDED_UNRECOGNIZED

    def test_skip_rules_come_before_account_rules(self, directory) -> None:
        skip = AutomationRule(2, "skip", 5, subject_contains="Acme")
        decision = decide(view(), directory, with_rules(account_rule(position=0), skip, ALERTS))
        assert decision.outcome == Outcome.AUTOMATED_SKIPPED


class TestAccountRules:
    def test_the_account_named_in_the_subject_gets_a_ticket_and_no_acknowledgement(self, directory) -> None:
        decision = decide(view(), directory, with_rules(ALERTS, account_rule()))
        assert isinstance(decision, CreateTicket)
        assert (decision.outcome, decision.account_id, decision.acknowledge) == \
            (Outcome.AUTOMATED_TICKET, 12, False)
        assert "account rule 10 found account 12 (Acme Corp) by name 'acme corp'" in decision.reason

    def test_the_longest_name_wins_over_a_shorter_one_inside_it(self, directory) -> None:
        decision = decide(view(subject="Acme Corp backup failed"), directory, with_rules(ALERTS, account_rule()))
        assert isinstance(decision, CreateTicket) and decision.account_id == 12

    @pytest.mark.parametrize(("field", "location", "marker", "subject", "account"), [
        ("account_number", "start", None, "A-200: backup failed", 13),
        ("account_number", "end", None, "backup failed for a-100.", 12),
        ("account_number", "after", "Customer #", "[RMM] Customer #G-1 disk full", 14),
        ("external_id", "anywhere", None, "Device SRV1 (site rmm-77) offline", 12),
        ("id", "after", "account:", "Disk full account: 13", 13),
        ("name", "start", None, "globex - server down", 14),
        ("name", "end", None, "Server down at ACME CORP", 12),
        ("name", "after", "client", "Alert client Acme Corp: CPU high", 12),
    ])
    def test_each_field_is_found_at_its_place_in_the_subject(self, directory, field, location, marker,
                                                            subject, account) -> None:  # type: ignore[no-untyped-def]
        rule = account_rule(field=field, location=location, marker=marker)
        decision = decide(view(subject=subject), directory, with_rules(ALERTS, rule))
        assert isinstance(decision, CreateTicket), decision.reason
        assert decision.account_id == account

    @pytest.mark.parametrize(("location", "marker", "subject"), [
        ("start", None, "Backup failed: A-200"),
        ("end", None, "A-200 backup failed"),
        ("after", "Customer:", "A-200 backup failed"),
        ("after", "Customer:", "Customer: unknown, A-200"),
    ])
    def test_a_value_elsewhere_than_the_rules_place_does_not_match(self, directory, location, marker,
                                                                   subject) -> None:  # type: ignore[no-untyped-def]
        rule = account_rule(field="account_number", location=location, marker=marker)
        decision = decide(view(subject=subject), directory, with_rules(ALERTS, rule))
        assert decision.outcome == Outcome.FORWARDED_UNRECOGNIZED

    def test_the_first_account_rule_that_finds_an_account_wins(self, directory) -> None:
        by_number = account_rule(20, "account_number", "anywhere", position=2)
        by_name = account_rule(21, "name", "start", position=1)
        decision = decide(view(subject="Globex: mail queue for A-100"), directory,
                          with_rules(ALERTS, by_number, by_name))
        assert isinstance(decision, CreateTicket) and decision.account_id == 14
        assert "account rule 21" in decision.reason

    def test_a_rule_that_finds_nothing_lets_the_next_one_try(self, directory) -> None:
        by_name = account_rule(21, "name", "start", position=1)
        by_number = account_rule(20, "account_number", "anywhere", position=2)
        decision = decide(view(subject="Mail queue for A-100"), directory,
                          with_rules(ALERTS, by_number, by_name))
        assert isinstance(decision, CreateTicket) and "account rule 20" in decision.reason

    def test_two_accounts_in_one_subject_are_an_error_for_a_person(self, directory) -> None:
        rule = account_rule(field="account_number")
        decision = decide(view(subject="A-100 and G-1 down"), directory, with_rules(ALERTS, rule))
        assert decision.outcome == Outcome.FORWARDED_ERROR
        assert "12 (Acme Corp), 14 (Globex)" in decision.reason

    def test_two_unrelated_names_are_ambiguous_even_when_one_is_longer(self, directory) -> None:
        decision = decide(view(subject="Globex link to Acme Corp down"), directory,
                          with_rules(ALERTS, account_rule()))
        assert decision.outcome == Outcome.FORWARDED_ERROR

    def test_the_sender_rule_matches_like_regular_sender_matching(self, directory) -> None:
        directory.add_account(14, "Globex", "globex.example", contact_id=3)
        rule = account_rule(field="sender")
        decision = decide(view(sender="nagios@globex.example", subject="HOST DOWN"), directory,
                          with_rules(AutomationRule(1, "detect", 1, subject_contains="host down"), rule))
        assert isinstance(decision, CreateTicket)
        assert (decision.account_id, decision.contact_id) == (14, 3)
        assert "by sender nagios@globex.example (domain globex.example)" in decision.reason

    def test_automated_mail_no_account_rule_settles_goes_on_as_regular_mail(self, directory) -> None:
        directory.add_account(14, "Globex", "rmm.example")
        decision = decide(view(subject="nothing known here"), directory,
                          with_rules(ALERTS, account_rule(field="account_number")))
        assert decision.outcome == Outcome.TICKET_CREATED

    def test_rules_come_before_the_xml_api(self, directory) -> None:
        xml = (XmlTransaction(data_kind="TICKET", records=(XmlRecord(()),)),)
        decision = decide(view(xml=xml), directory, with_rules(ALERTS, account_rule()))
        assert decision.outcome == Outcome.AUTOMATED_TICKET


def test_punctuation_around_values_is_not_part_of_them() -> None:
    rule = account_rule(field="account_number", location="after", marker="Customer")
    assert subject_keys("Customer: (A-100), disk", rule)[0] == "a-100"


@pytest.mark.parametrize(("rule", "problem"), [
    (AutomationRule(1, "detect"), "needs a sender, a subject_contains phrase, or both"),
    (AutomationRule(1, "detect", sender="not an address at all"), "sender must be"),
    (AutomationRule(1, "skip", sender="a@b.example", subject_contains="x"), "skip rule"),
    (AutomationRule(1, "skip"), "skip rule"),
    (AutomationRule(1, "account"), "needs account_field"),
    (AutomationRule(1, "account", account_field="name", location="after"), "needs the marker"),
    (AutomationRule(1, "detect", sender="a@b.example", account_field="name"), "belongs to account rules"),
    (AutomationRule(1, "account", account_field="id", marker="x"), "only with location 'after'"),
])
def test_rules_that_cannot_work_are_explained(rule: AutomationRule, problem: str) -> None:
    assert problem in (rule_problem(rule) or "")


def test_a_complete_rule_has_no_problem() -> None:
    assert rule_problem(account_rule(field="name", location="after", marker="Client:")) is None
    assert rule_problem(ALERTS) is None
