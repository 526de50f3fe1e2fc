"""Hardening seen from outside: a squatted Message-ID loses nothing, odd ticket numbers are 404s,
and what the connector keeps on disk is readable by its owner only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import BASIC, Api
from tests.conftest import SmtpSink
from tests.mail import email as make_email


def test_other_bytes_under_a_known_message_id_are_kept_and_can_be_processed(api: Api) -> None:
    squat = make_email(sender="mallory@evil.example", body="first, with your Message-ID",
                       message_id="<real-1@acme.example>")
    real = make_email(sender="bob@acme.example", body="the real message",
                      message_id="<real-1@acme.example>")
    api.deliver(squat)
    held = api.send(real)
    assert held["status"] == "duplicate"
    entry = api.processed(held["id"])
    assert entry["outcome"] == "duplicate" and "other content: kept" in entry["reason"]
    raw = api.client.get(f"/api/v1/inbound-messages/{held['id']}/raw", headers=api.headers)
    assert raw.content == real  # its own bytes, not the first message's

    api.post(f"/api/v1/inbound-messages/{held['id']}/reprocess", status=200)
    assert api.processed(held["id"])["outcome"] == "forwarded_unrecognized"


def test_the_same_bytes_again_stay_a_plain_duplicate_that_cannot_be_reprocessed(api: Api) -> None:
    message = make_email(message_id="<same-1@acme.example>")
    first = api.deliver(message)
    again = api.send(message)
    entry = api.processed(again["id"])
    assert entry["reason"] == f"duplicate of inbound message {first['id']}: already received"
    response = api.client.post(f"/api/v1/inbound-messages/{again['id']}/reprocess",
                               headers=api.headers)
    assert response.status_code == 409


def test_a_ticket_number_of_superscript_digits_is_a_404_not_a_500(api: Api) -> None:
    # "²".isdigit() is true and int("²") fails: numbers are ASCII decimal digits only.
    for number in ("²", "1²", "١٢"):
        response = api.client.get(f"/api/v1/tickets/{number}", headers=api.headers)
        assert response.status_code == 404, (number, response.text)


def test_the_database_the_backup_copies_and_the_credentials_are_the_owners_only(
        tmp_path: Path, smtp: SmtpSink) -> None:
    import stat

    from fastapi.testclient import TestClient

    from api.entrypoints.web import create_app
    from tests.api.conftest import make_settings

    data = tmp_path / "private"
    settings = make_settings(tmp_path, smtp, database_url=f"sqlite:///{data}/connector.db",
                             backup_dir=data / "backup", api_keys=None)
    with TestClient(create_app(settings)) as client:
        Api(client).send(make_email())
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in files) and any(p.name == "api-key" for p in
                                                            (tmp_path / "data").iterdir())
    for path in [*files, *(tmp_path / "data").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    for folder in [data, *(p for p in data.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder


def test_a_refused_webhook_is_logged_with_its_provider_and_reason_and_counted(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="api.inbound"):
        response = api.client.post("/inbound/raw", content=b"x", headers={
            "Authorization": "Basic d3Jvbmc6d3Jvbmc=", "Content-Type": "message/rfc822"})
        assert response.status_code == 401
        postmark = api.client.post("/inbound/postmark", content=b"{}",
                                   headers={"Content-Type": "application/json"})
        assert postmark.status_code == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "api.inbound"]
    assert any(line.startswith("raw request refused (401 Unauthorized)") for line in lines)
    assert any(line.startswith("postmark request refused (401 Unauthorized)") for line in lines)
    assert not any("d3Jvbmc" in line or "wrong" in line for line in lines)  # no credential
    metrics = api.client.get("/metrics", headers=api.headers).text
    assert 'connector_webhooks_refused_total{provider="postmark",reason="Unauthorized"} 1.0' in metrics


def test_hundreds_of_nested_messages_end_with_an_outcome_and_every_byte_kept(api: Api) -> None:
    raw = b"From: a@elsewhere.example\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n\r\nbody\r\n"
    for level in range(500):
        raw = (b"From: a@elsewhere.example\r\nSubject: level %d\r\nMessage-ID: <l%d@x>\r\n"
               b"Content-Type: message/rfc822\r\n\r\n" % (level, level)) + raw
    message = api.deliver(raw)
    assert (message["status"], message["outcome"]) == ("done", "forwarded_unrecognized")
    api.post(f"/api/v1/inbound-messages/{message['id']}/reprocess", status=200)
    assert api.processed(message["id"])["status"] == "done"  # and again: not failed


def test_a_5xx_on_the_raw_path_is_logged_as_an_error(
        api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from domain.errors import StorageUnavailable

    async def down(delivery: object, replay: object = None) -> object:
        raise StorageUnavailable("database unavailable: disk I/O error")

    monkeypatch.setattr(api.client.app.state.services.ingest, "submit", down)
    with caplog.at_level(logging.ERROR, logger="api.inbound"):
        response = api.client.post("/inbound/raw", content=make_email(), headers={
            "Authorization": BASIC, "Content-Type": "message/rfc822"})
    assert response.status_code == 503
    assert any(r.levelno == logging.ERROR and "raw request refused (503 StorageUnavailable)"
               in r.getMessage() for r in caplog.records)
