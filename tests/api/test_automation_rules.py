"""Automated-email rules end to end: managed over REST, applied by the worker to monitoring alerts
posted to /inbound/raw, with forwards caught by a real SMTP server."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.conftest import SmtpSink
from tests.mail import email as make_email

RULES = "/api/v1/automation-rules"
TEAM = "team@msp.example"
RMM = "alerts@rmm.example"


def alert(subject: str, sender: str = RMM) -> bytes:
    return make_email(sender=f"RMM <{sender}>", subject=subject, body="Disk C: is 97% full.\n",
                      headers={"Auto-Submitted": "auto-generated"})


def rule(api: Api, **fields: Any) -> dict[str, Any]:
    return api.post(RULES, fields)


@pytest.fixture
def monitoring(api: Api) -> dict[str, dict[str, Any]]:
    """An RMM tool's alerts: detected by sender, 'self healed' skipped, the account after 'Customer:'."""
    accounts = {"acme": api.account("Acme Corp", account_number="A-100"),
                "globex": api.account("Globex", email="globex.example", external_id="rmm-42")}
    rule(api, kind="detect", sender=RMM)
    rule(api, kind="skip", subject_contains="Self Healed")
    rule(api, kind="account", account_field="name", location="after", marker="Customer:")
    rule(api, kind="account", account_field="external_id", location="end")
    return accounts


class TestMonitoringAlerts:
    def test_an_alert_becomes_a_ticket_for_the_account_named_in_it_without_an_acknowledgement(
            self, api: Api, smtp: SmtpSink, monitoring: dict[str, dict[str, Any]]) -> None:
        message = api.deliver(alert("[RMM] Disk almost full - Customer: Acme Corp - SRV01"))
        assert message["outcome"] == "automated_ticket"
        assert "account rule 3 found account" in message["reason"]
        assert "no acknowledgement" in message["reason"]
        ticket = api.get(f"/api/v1/tickets/{message['ticket_number']}")
        assert ticket["account_id"] == monitoring["acme"]["id"]
        assert ticket["subject"] == "[RMM] Disk almost full - Customer: Acme Corp - SRV01"
        documents = api.get(f"/api/v1/tickets/{ticket['number']}/documents")["items"]
        assert "97% full" in documents[0]["text"]
        assert api.get("/api/v1/outbound-messages")["total"] == 0

    def test_the_next_rule_finds_the_account_by_its_external_id(
            self, api: Api, monitoring: dict[str, dict[str, Any]]) -> None:
        message = api.deliver(alert("Backup failed on NAS rmm-42"))
        assert message["outcome"] == "automated_ticket" and "account rule 4" in message["reason"]
        assert api.get(f"/api/v1/tickets/{message['ticket_number']}")["account_id"] == \
            monitoring["globex"]["id"]

    def test_a_skipped_alert_is_forwarded_untouched_to_the_team(
            self, api: Api, smtp: SmtpSink, monitoring: dict[str, dict[str, Any]]) -> None:
        raw = alert("Alert SELF HEALED - Customer: Acme Corp")
        message = api.deliver(raw)
        assert message["outcome"] == "automated_skipped"
        assert "skip rule 2" in message["reason"]
        forward = smtp.wait_for(1)[0]
        assert forward.rcpt_tos == [TEAM]
        mail = message_from_bytes(forward.data, policy=default)
        assert mail["X-Email-Connector-Outcome"] == "automated_skipped"
        assert mail["Subject"] == "Alert SELF HEALED - Customer: Acme Corp"
        assert api.get("/api/v1/tickets")["total"] == 0

    def test_an_alert_no_rule_settles_goes_on_as_regular_mail(
            self, api: Api, smtp: SmtpSink, monitoring: dict[str, dict[str, Any]]) -> None:
        message = api.deliver(alert("Heartbeat from an unknown site"))
        assert message["outcome"] == "forwarded_unrecognized"

    def test_mail_from_anyone_else_is_not_automated(
            self, api: Api, monitoring: dict[str, dict[str, Any]]) -> None:
        message = api.deliver(make_email(sender="carol@globex.example",
                                         subject="Customer: Acme Corp is on the phone"))
        assert message["outcome"] == "ticket_created"
        assert api.get(f"/api/v1/tickets/{message['ticket_number']}")["account_id"] == \
            monitoring["globex"]["id"]

    def test_a_sender_account_rule_files_alerts_of_a_customers_own_monitoring(self, api: Api) -> None:
        globex = api.account("Globex", email="globex.example")
        rule(api, kind="detect", subject_contains="PROBLEM")
        rule(api, kind="account", account_field="sender")
        message = api.deliver(alert("** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
                                    sender="nagios@globex.example"))
        assert message["outcome"] == "automated_ticket"
        assert api.get(f"/api/v1/tickets/{message['ticket_number']}")["account_id"] == globex["id"]

    def test_a_disabled_rule_stops_applying_at_once(
            self, api: Api, monitoring: dict[str, dict[str, Any]]) -> None:
        api.patch(f"{RULES}/1", {"enabled": False})
        message = api.deliver(alert("[RMM] Disk full - Customer: Acme Corp"))
        assert message["outcome"] == "forwarded_unrecognized"


class TestRulesApi:
    def test_rules_are_listed_in_the_order_they_run(self, api: Api) -> None:
        rule(api, kind="account", account_field="id", location="start")
        rule(api, kind="skip", subject_contains="resolved")
        rule(api, kind="detect", sender="nagios.example", position=7)
        rule(api, kind="detect", subject_contains="alert")
        listed = api.get(RULES)
        assert listed["total"] == 4
        assert [(r["kind"], r["position"]) for r in listed["items"]] == [
            ("detect", 7), ("detect", 8), ("skip", 1), ("account", 1)]
        assert set(listed["items"][0]) == {"id", "kind", "position", "enabled", "sender",
                                           "subject_contains", "account_field", "location", "marker",
                                           "created_at", "updated_at"}
        assert [r["kind"] for r in api.get(RULES, params={"kind": "skip"})["items"]] == ["skip"]

    def test_a_rule_is_read_changed_and_deleted(self, api: Api) -> None:
        created = rule(api, kind="account", account_field="name")
        assert created == {"id": created["id"], "kind": "account", "position": 1, "enabled": True,
                           "sender": None, "subject_contains": None, "account_field": "name",
                           "location": "anywhere", "marker": None,
                           "created_at": created["created_at"], "updated_at": created["created_at"]}
        other = rule(api, kind="skip", subject_contains="newsletter")
        changed = api.patch(f"{RULES}/{created['id']}", {"location": "after", "marker": "Client:",
                                                          "position": 5})
        assert changed["updated_at"] > changed["created_at"]
        since = api.get(RULES, params={"updated_since": changed["updated_at"]})
        assert [r["id"] for r in since["items"]] == [created["id"]] != [other["id"]]
        assert api.get(RULES)["total"] == 2
        assert (changed["location"], changed["marker"], changed["position"]) == ("after", "Client:", 5)
        assert api.get(f"{RULES}/{created['id']}") == changed
        assert api.client.delete(f"{RULES}/{created['id']}", headers=api.headers).status_code == 204
        assert api.client.get(f"{RULES}/{created['id']}", headers=api.headers).status_code == 404

    @pytest.mark.parametrize(("body", "detail"), [
        ({"kind": "detect"}, "needs a sender"),
        ({"kind": "skip"}, "skip rule"),
        ({"kind": "account"}, "needs account_field"),
        ({"kind": "account", "account_field": "name", "location": "after"}, "needs the marker"),
        ({"kind": "account", "account_field": "phone"}, None),
        ({"kind": "panic", "sender": "a@b.example"}, None),
        ({"kind": "detect", "sender": "a@b.example", "colour": "red"}, None),
    ])
    def test_rules_that_cannot_work_are_refused_with_422(self, api: Api, body: dict[str, Any],
                                                         detail: str | None) -> None:
        response = api.client.post(RULES, json=body, headers=api.headers)
        assert response.status_code == 422
        if detail:
            assert detail in response.json()["detail"]
        assert api.get(RULES)["total"] == 0

    def test_a_change_that_breaks_a_rule_is_refused(self, api: Api) -> None:
        created = rule(api, kind="detect", sender=RMM)
        response = api.client.patch(f"{RULES}/{created['id']}", json={"sender": None},
                                    headers=api.headers)
        assert response.status_code == 422
        assert api.get(f"{RULES}/{created['id']}")["sender"] == RMM

    def test_rules_need_an_api_key(self, api: Api) -> None:
        assert api.client.get(RULES).status_code == 401
        assert api.client.post(RULES, json={"kind": "detect", "sender": RMM}).status_code == 401
