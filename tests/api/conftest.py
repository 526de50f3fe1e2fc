"""Fixtures for end-to-end tests through HTTP: the whole app, its worker threads, real SMTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.bootstrap import Settings
from api.entrypoints.web import create_app
from tests.conftest import SmtpSink, wait_until

API_KEY = "test-api-key"
INBOUND = ("inbound", "inbound-secret")
ADMIN = ("admin", "admin-secret")
BASIC = "Basic " + base64.b64encode(f"{INBOUND[0]}:{INBOUND[1]}".encode()).decode()


def make_settings(tmp_path: Path, smtp: SmtpSink | None = None, *, database_url: str | None = None,
                  **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "database_url": database_url or f"sqlite:///{tmp_path}/connector.db",
        "data_dir": tmp_path / "data",
        "api_keys": API_KEY,
        "inbound_username": INBOUND[0],
        "inbound_password": INBOUND[1],
        "public_address": "support@msp.example",
        "support_team_address": "team@msp.example",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port if smtp else 9,
        "outbox_retry_base_seconds": 0.05,
        "poll_seconds": 0.05,
        "log_level": "WARNING",
        "admin_password": ADMIN[1],
        # In-process tests patch and inspect the worker: its threads here. The child process
        # of the default is tested through real servers (tests/processes/test_worker_child.py).
        "inline_worker_process": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Api:
    """A TestClient with the credentials and the helpers the flows need."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {API_KEY}"}

    def get(self, path: str, **kw: Any) -> Any:
        response = self.client.get(path, headers=self.headers, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, json: Any = None, status: int = 201) -> Any:
        response = self.client.post(path, json=json, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def patch(self, path: str, json: Any, status: int = 200) -> Any:
        response = self.client.patch(path, json=json, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def send(self, raw: bytes, *, envelope_from: str | None = None, status: int = 200) -> Any:
        headers = {"Authorization": BASIC, "Content-Type": "message/rfc822"}
        if envelope_from is not None:
            headers["X-Envelope-From"] = envelope_from
        response = self.client.post("/inbound/raw", content=raw, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def processed(self, inbound_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the worker has given the message a final state."""
        def final() -> dict[str, Any] | None:
            message = self.get(f"/api/v1/inbound-messages/{inbound_id}")
            return message if message["status"] in ("done", "failed") else None
        return wait_until(final, timeout)  # type: ignore[return-value]

    def deliver(self, raw: bytes, **kw: Any) -> dict[str, Any]:
        return self.processed(self.send(raw, **kw)["id"])

    def account(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.post("/api/v1/accounts", {"name": name, **fields})


@pytest.fixture
def api(tmp_path: Path, smtp: SmtpSink, database_url: str) -> Iterator[Api]:
    app = create_app(make_settings(tmp_path, smtp, database_url=database_url))
    with TestClient(app) as client:
        yield Api(client)
