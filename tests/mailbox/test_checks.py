"""POST /api/v1/connector/imap-check and pop3-check against a real Dovecot (they log in and
answer {ok, detail}, with the reason when it fails and never the password), and the mailbox's
health in /readyz and /metrics."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from adapters.mailbox.imap import ImapConnector
from api.application.mailboxes import imap_server
from api.entrypoints.bootstrap import build_imap_poller
from api.entrypoints.web import create_app
from tests.api.conftest import Api, make_settings
from tests.conftest import free_port, wait_until
from tests.mailbox.conftest import Dovecot


def test_the_checks_log_in_and_say_what_they_found(tmp_path: Path, dovecot: Dovecot,
                                                   database_url: str) -> None:
    dovecot.append(b"Subject: one\r\n\r\nbody\r\n")
    settings = make_settings(
        tmp_path, database_url=database_url, imap_host="127.0.0.1", imap_port=dovecot.imap_port,
        imap_security="none", imap_username=dovecot.user, imap_password=dovecot.password,
        pop3_host="127.0.0.1", pop3_port=dovecot.pop3_port, pop3_security="none",
        pop3_username=dovecot.user, pop3_password=dovecot.password)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        imap = api.post("/api/v1/connector/imap-check", status=200)
        assert imap["ok"] is True and "folder INBOX holds 1 messages" in imap["detail"]
        pop3 = api.post("/api/v1/connector/pop3-check", status=200)
        assert pop3["ok"] is True and "holds 1 messages" in pop3["detail"]

        api.patch("/api/v1/connector", {"imap_password": "wrong-one", "pop3_password": "wrong-one"})
        for path in ("/api/v1/connector/imap-check", "/api/v1/connector/pop3-check"):
            failed = api.post(path, status=200)
            assert failed["ok"] is False and "wrong-one" not in failed["detail"], failed
            assert "auth" in failed["detail"].lower() or "refused" in failed["detail"], failed


def test_the_checks_report_an_unreachable_or_unconfigured_mailbox(tmp_path: Path,
                                                                  database_url: str) -> None:
    settings = make_settings(tmp_path, database_url=database_url, imap_host="127.0.0.1",
                             imap_port=free_port(), imap_security="none")
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        imap = api.post("/api/v1/connector/imap-check", status=200)
        assert imap["ok"] is False and "ConnectionRefusedError" in imap["detail"]
        pop3 = api.post("/api/v1/connector/pop3-check", status=200)
        assert pop3 == {"ok": False,
                        "detail": "no POP3 mailbox is configured (CONNECTOR_POP3_HOST)"}


def test_readyz_and_the_metrics_show_the_mailbox_as_its_poller_reported_it(
        tmp_path: Path, dovecot: Dovecot, database_url: str) -> None:
    dovecot.append(b"Message-ID: <h@x>\r\nSubject: one\r\n\r\nbody\r\n")
    settings = make_settings(
        tmp_path, database_url=database_url, imap_host="127.0.0.1", imap_port=dovecot.imap_port,
        imap_security="none", imap_username=dovecot.user, imap_password=dovecot.password,
        inline_pollers=False)
    app = create_app(settings)
    with TestClient(app) as client:
        poller = build_imap_poller(app.state.process)  # as the imap process builds it
        server = imap_server(app.state.process.services.settings.current(max_age=0))
        with ImapConnector().connect(server) as mailbox:  # type: ignore[arg-type]
            poller.take(mailbox, server)  # type: ignore[arg-type]
        ready = client.get("/readyz").json()
        assert ready["checks"][f"mailbox {dovecot.user}"].startswith("ok (last success 20")
        assert "1 messages taken" in ready["checks"][f"mailbox {dovecot.user}"]
        metrics = client.get("/metrics", headers=Api(client).headers).text
        assert f'connector_mailbox_messages_taken{{mailbox="{dovecot.user}"}} 1.0' in metrics

        dovecot.stop()
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        try:
            wait_until(lambda: client.get("/readyz").json()["checks"][
                f"mailbox {dovecot.user}"].startswith("error: "), timeout=30)
            assert client.get("/readyz").status_code == 200  # mail still comes in by webhook
        finally:
            poller.stop()
            thread.join(timeout=30)
