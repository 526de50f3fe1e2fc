"""Operations: health, readiness, Prometheus metrics, structured logs without secrets."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import API_KEY, INBOUND, Api, make_settings
from tests.conftest import SmtpSink
from tests.mail import email as make_email


def test_health_and_readiness_answer_without_a_credential(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "outbox": "ok"}}


def test_readiness_fails_when_the_database_is_gone(tmp_path: Path, smtp: SmtpSink) -> None:
    # No worker loops: they would open (and so create again) the database file meanwhile.
    app = create_app(make_settings(tmp_path, smtp), start_workers=False)
    with TestClient(app) as client:
        (tmp_path / "connector.db").unlink()
        (tmp_path / "connector.db").mkdir()  # a directory where the database file was
        app.state.process.services.storage.close()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"].startswith("unavailable")


def test_metrics_need_the_api_key_and_count_messages_by_outcome(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 401
    api.account("Acme", email="acme.example")
    api.deliver(make_email())
    api.deliver(make_email(sender="x@nowhere.example"))
    text = api.client.get("/metrics", headers=api.headers).text
    assert 'connector_messages_received_total{source="raw",status="queued"} 2.0' in text
    assert 'connector_messages_processed_total{outcome="ticket_created"} 1.0' in text
    assert 'connector_messages_processed_total{outcome="forwarded_unrecognized"} 1.0' in text
    assert "connector_queue_depth 0.0" in text
    assert "connector_outbox_backlog" in text
    assert "connector_processing_latency_seconds_count 2.0" in text


def test_metrics_export_the_processs_memory_cpu_and_open_files(api: Api) -> None:
    text = api.client.get("/metrics", headers=api.headers).text
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
              if line and not line.startswith("#")}
    assert values["process_resident_memory_bytes"] > 1_000_000
    assert values["process_open_fds"] >= 3  # at least stdin, stdout and stderr
    assert "process_cpu_seconds_total" in values and "process_max_fds" in values
    assert any(name.startswith("python_info") for name in values)


def test_the_metrics_token_reads_metrics_and_nothing_else(tmp_path: Path, smtp: SmtpSink) -> None:
    settings = make_settings(tmp_path, smtp, metrics_token="scraper-token-123")
    with TestClient(create_app(settings, start_workers=False)) as client:
        token = {"Authorization": "Bearer scraper-token-123"}
        assert client.get("/metrics", headers=token).status_code == 200
        assert client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"}
                          ).status_code == 200  # the API keys still read them too
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/v1/connector", headers=token).status_code == 401
        assert client.get("/api/v1/tickets", headers=token).status_code == 401


def test_log_lines_are_json_with_the_message_id_and_never_carry_secrets(
        tmp_path: Path, smtp: SmtpSink, capfd: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, smtp, log_level="DEBUG", log_format="json",
                             smtp_username="mailer", smtp_password="smtp-secret-pw")
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        api.account("Acme", email="acme.example")
        api.deliver(make_email())
        api.deliver(make_email(sender="x@nowhere.example"))
    output = capfd.readouterr().err
    logging.getLogger().handlers.clear()
    for secret in (API_KEY, INBOUND[1], "smtp-secret-pw"):
        assert secret not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    about_messages = [line for line in lines if line["logger"].startswith(
        ("api.application.processing", "api.application.ingest"))]
    assert len(about_messages) >= 4
    assert all("inbound_id" in line for line in about_messages), about_messages
    assert {line["level"] for line in lines} <= {"debug", "info", "warning", "error"}
