"""The imap process (python -m api.entrypoints.imap) as it runs in production, next to the web
process: killed with SIGKILL in the middle of a batch and started again, it takes every message
of the mailbox exactly once (tickets counted in the database)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import SmtpSink, free_port, wait_until
from tests.harness import Process, api_post, connector_env, imap_poller, wait_ready, web
from tests.mail import email
from tests.mailbox.conftest import Dovecot

MESSAGES = 150


def test_a_poller_killed_mid_batch_and_restarted_takes_every_message_exactly_once(
        tmp_path: Path, smtp: SmtpSink, database_url: str, dovecot: Dovecot,
        spawned: list[Process]) -> None:
    env = connector_env(database_url, tmp_path / "data", smtp.port, poll_seconds=0.1,
                        acknowledgements_per_hour=1000, imap_host="127.0.0.1",
                        imap_port=dovecot.imap_port, imap_security="none",
                        imap_username=dovecot.user, imap_password=dovecot.password,
                        imap_poll_seconds=1, inline_pollers="false")
    port = free_port()
    spawned.append(web(env, port, tmp_path / "web.log").start())
    wait_ready(port)
    api_post(port, "/api/v1/accounts", {"name": "Acme", "email": "acme.example"})
    dovecot.append(*[email(sender=f"user{i}@acme.example", subject=f"Problem {i}",
                           message_id=f"<kill-{i}@acme.example>") for i in range(MESSAGES)])
    engine = create_engine(database_url)

    def stored() -> int:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM inbound_message")).scalar() or 0)

    kills = 0
    while kills < 3 and stored() < MESSAGES:
        poller = imap_poller(env, tmp_path / "imap.log").start()
        spawned.append(poller)
        floor = stored()
        wait_until(lambda f=floor: stored() >= min(f + 10, MESSAGES), timeout=60, interval=0.01)
        poller.kill()  # SIGKILL: mid-batch, between a store and its mark or its position
        kills += 1
    spawned.append(imap_poller(env, tmp_path / "imap.log").start())

    def settled() -> bool:
        with engine.connect() as c:
            unique = c.execute(text("SELECT count(*) FROM inbound_message "
                                    "WHERE outcome IS NULL OR outcome != 'duplicate'")).scalar()
            busy = c.execute(text("SELECT count(*) FROM inbound_message "
                                  "WHERE status IN ('queued', 'processing')")).scalar()
        return unique == MESSAGES and busy == 0

    try:
        wait_until(settled, timeout=120, interval=0.2)
    except AssertionError:
        raise AssertionError((tmp_path / "imap.log").read_text()[-3000:]) from None
    time.sleep(2)  # another poll cycle: nothing more may come
    with engine.connect() as c:
        tickets = c.execute(text("SELECT subject, count(*) FROM ticket GROUP BY subject")).all()
        ids = c.execute(text("SELECT message_id, count(*) FROM inbound_message WHERE outcome "
                             "IS NULL OR outcome != 'duplicate' GROUP BY message_id")).all()
    engine.dispose()
    assert kills >= 1
    assert len(tickets) == MESSAGES and all(n == 1 for _, n in tickets)
    assert len(ids) == MESSAGES and all(n == 1 for _, n in ids)
    assert all(b"$EmailConnectorTaken" in f for f in dovecot.flags().values())
