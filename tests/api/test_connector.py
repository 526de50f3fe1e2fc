"""Connector settings at runtime and the outgoing-mail checks against a real SMTP server."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import Api, make_settings
from tests.conftest import SmtpSink, free_port, wait_until
from tests.mail import email as make_email


def test_the_connector_shows_and_changes_its_settings(api: Api) -> None:
    state = api.get("/api/v1/connector")
    assert (state["status"], state["public_address"]) == ("on", "support@msp.example")
    changed = api.patch("/api/v1/connector", {"support_team_address": "helpdesk@msp.example"})
    assert changed["support_team_address"] == "helpdesk@msp.example"
    assert api.get("/api/v1/connector")["support_team_address"] == "helpdesk@msp.example"


def test_invalid_settings_are_refused(api: Api) -> None:
    for body in ({"status": "maybe"}, {"support_team_address": "support@msp.example"},
                 {"public_address": "nope"}, {"status": None}):
        response = api.client.patch("/api/v1/connector", json=body, headers=api.headers)
        assert response.status_code == 422, body


def test_smtp_check_and_test_email_work_against_a_real_server(api: Api, smtp: SmtpSink) -> None:
    check = api.post("/api/v1/connector/smtp-check", status=200)
    assert check["ok"] is True
    sent = api.post("/api/v1/connector/test-email", {"to": "admin@msp.example"}, status=200)
    assert sent == {"ok": True, "detail": "test email sent to admin@msp.example"}
    assert smtp.wait_for(1)[0].rcpt_tos == ["admin@msp.example"]
    logged = api.get("/api/v1/outbound-messages", params={"kind": "test"})["items"][0]
    assert logged["status"] == "sent"


def test_smtp_check_reports_an_unreachable_server(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, None, database_url=database_url, smtp_port=free_port())
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        check = api.post("/api/v1/connector/smtp-check", status=200)
        assert check["ok"] is False and "cannot connect" in check["detail"]
        failed = api.post("/api/v1/connector/test-email", {"to": "a@b.example"}, status=200)
        assert failed["ok"] is False


def test_forwards_are_retried_while_the_smtp_server_is_down_then_sent(
        tmp_path: Path, smtp: SmtpSink, database_url: str) -> None:
    smtp.refuse_with = "451 4.3.0 try again later"
    with TestClient(create_app(make_settings(tmp_path, smtp, database_url=database_url))) as client:
        api = Api(client)
        api.deliver(make_email(sender="x@nowhere.example"))
        wait_until(lambda: api.get("/api/v1/outbound-messages")["items"][0]["attempts"] >= 2)
        pending = api.get("/api/v1/outbound-messages")["items"][0]
        assert pending["status"] == "pending" and "451" in pending["last_error"]
        smtp.refuse_with = None
        wait_until(lambda: api.get("/api/v1/outbound-messages")["items"][0]["status"] == "sent")
        assert len(smtp.wait_for(1)) == 1


def test_a_permanent_refusal_fails_the_mail_visibly(tmp_path: Path, smtp: SmtpSink,
                                                   database_url: str) -> None:
    smtp.refuse_with = "550 5.1.1 no such mailbox"
    with TestClient(create_app(make_settings(tmp_path, smtp, database_url=database_url))) as client:
        api = Api(client)
        api.deliver(make_email(sender="x@nowhere.example"))
        failed = wait_until(lambda: api.get("/api/v1/outbound-messages", params={"status": "failed"})["items"])
        assert "550" in failed[0]["last_error"]  # type: ignore[index]
