"""`make run`'s one process (uvicorn, the web entrypoint) polls every configured mailbox itself
when CONNECTOR_INLINE_POLLERS is on (the default): the CONNECTOR_IMAP_* mailbox and those of a
CONNECTOR_MAILBOXES_FILE, IMAP and POP3, each its own source and health, against a real
Dovecot; on SIGTERM the loops stop with the process."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SmtpSink, free_port, wait_until
from tests.harness import Process, api_get, api_post, connector_env, wait_ready, web
from tests.mail import email
from tests.mailbox.conftest import SECOND_USER, Dovecot, running_dovecot

MAILBOXES = """\
[[mailbox]]
name = "support-folder"
host = "127.0.0.1"
port = {imap}
security = "none"
username = "{user}"
password = "{password}"
folder = "Support"
poll_seconds = 1

[[mailbox]]
protocol = "pop3"
name = "sales-pop"
host = "127.0.0.1"
port = {pop3}
security = "none"
username = "{second}"
password = "{password}"
poll_seconds = 1
delete = true
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def test_the_web_process_polls_every_configured_mailbox_and_stops_them_with_it(
        tmp_path: Path, smtp: SmtpSink, database_url: str, dovecot: Dovecot) -> None:
    mailboxes = tmp_path / "mailboxes.toml"
    mailboxes.write_text(MAILBOXES.format(imap=dovecot.imap_port, pop3=dovecot.pop3_port,
                                          user=dovecot.user, second=SECOND_USER,
                                          password=dovecot.password))
    env = connector_env(database_url, tmp_path / "data", smtp.port, poll_seconds=0.1,
                        imap_host="127.0.0.1", imap_port=dovecot.imap_port,
                        imap_security="none", imap_username=dovecot.user,
                        imap_password=dovecot.password, imap_poll_seconds=1,
                        mailboxes_file=mailboxes)
    port = free_port()
    server: Process = web(env, port, tmp_path / "web.log").start()
    try:
        wait_ready(port)
        api_post(port, "/api/v1/accounts", {"name": "Acme", "email": "acme.example"})
        dovecot.append(*[email(sender=f"a{i}@acme.example", subject=f"Inbox {i}",
                               message_id=f"<inbox-{i}@acme.example>") for i in range(2)])
        dovecot.append(email(sender="b@acme.example", subject="Folder",
                             message_id="<folder@acme.example>"), folder="Support")
        dovecot.append(*[email(sender=f"c{i}@acme.example", subject=f"Sales {i}",
                               message_id=f"<sales-{i}@acme.example>") for i in range(2)],
                       user=SECOND_USER)
        engine = create_engine(database_url)

        def tickets() -> int:
            with engine.connect() as c:
                return int(c.execute(text("SELECT count(*) FROM ticket")).scalar() or 0)

        try:
            wait_until(lambda: tickets() == 5, timeout=60, interval=0.2)
        except AssertionError:
            raise AssertionError((tmp_path / "web.log").read_text()[-3000:]) from None
        with engine.connect() as c:
            sources = sorted(c.execute(text(
                "SELECT source, count(*) FROM inbound_message GROUP BY source")).all())
        assert sources == [("imap:support-folder", 1), (f"imap:{dovecot.user}", 2),
                           ("pop3:sales-pop", 2)]
        checks = api_get(port, "/readyz")["checks"]
        for name in (dovecot.user, "support-folder", "sales-pop"):
            assert checks[f"mailbox {name}"].startswith("ok (last success"), checks
        assert not dovecot.client(SECOND_USER).select_folder("INBOX")[b"EXISTS"]  # deleted

        server.kill(signal.SIGTERM)  # a clean stop: every loop says it is no longer connected
        # uvicorn shuts down, then raises the signal again for its exit status (-SIGTERM)
        assert server.popen is not None and server.popen.returncode in (0, -signal.SIGTERM)
        assert "Traceback" not in (tmp_path / "web.log").read_text()
        with engine.connect() as c:
            connected = c.execute(text("SELECT name, connected FROM mailbox_state "
                                       "WHERE name IS NOT NULL")).all()
        engine.dispose()
        assert sorted(connected) == sorted([(dovecot.user, False), ("support-folder", False),
                                            ("sales-pop", False)])
    finally:
        server.kill()
