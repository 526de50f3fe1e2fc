"""Loops and bounces end to end: two connectors mailing each other, an auto-responder that
ignores RFC 3834, and a bounce of our own acknowledgement."""

from __future__ import annotations

import email
import threading
import time
from collections.abc import Callable, Iterator
from email.policy import default
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import Api, make_settings
from tests.conftest import ReceivedMail, SmtpSink, wait_until
from tests.mail import email as make_email


class Relay:
    """Hands each mail the shared SMTP server receives to `deliver` (the world outside)."""

    def __init__(self, smtp: SmtpSink, deliver: Callable[[ReceivedMail], None]) -> None:
        self.smtp, self.deliver = smtp, deliver
        self.handed = 0  # mails delivered so far; counted once `deliver` has returned
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with self.smtp.lock:
                new = self.smtp.messages[self.handed:]
            for mail in new:
                self.deliver(mail)
                self.handed += 1


def to_connectors(routes: dict[str, Api]) -> Callable[[ReceivedMail], None]:
    """Mail to a connector's public address is posted to that connector."""
    def deliver(mail: ReceivedMail) -> None:
        for rcpt in mail.rcpt_tos:
            if rcpt in routes:
                routes[rcpt].send(mail.data)
    return deliver


def settle(relay: Relay, *connectors: Api, timeout: float = 60) -> int:
    """Wait for the fixed point: the relay has handed on every mail sent, every connector has
    given every message a final state and has nothing left in its outbox, so no further mail
    can come. The number of mails sent. (Waiting for a quiet spell instead failed on a loaded
    CI machine, where one round trip took longer than the spell.)"""
    def idle() -> bool:
        sent = len(relay.smtp.messages)
        if relay.handed != sent:
            return False
        for api in connectors:  # the inbox first: a message done has its mails in the outbox
            if any(m["status"] not in ("done", "failed")
                   for m in api.get("/api/v1/inbound-messages")["items"]):
                return False
            if api.get("/api/v1/connector")["outbox_backlog"]:
                return False
        # No mail came meanwhile, so no connector was handed one after it was looked at.
        return len(relay.smtp.messages) == sent

    wait_until(idle, timeout, interval=0.1)
    return len(relay.smtp.messages)


@pytest.fixture
def two_connectors(tmp_path: Path, smtp: SmtpSink, database_url: str) -> Iterator[tuple[Api, Api]]:
    # A's support team address is B's public address and the other way round: the worst case.
    a = create_app(make_settings(tmp_path / "a", smtp, database_url=database_url,
                                 public_address="support@a.example",
                                 support_team_address="support@b.example"))
    b = create_app(make_settings(tmp_path / "b", smtp, public_address="support@b.example",
                                 support_team_address="support@a.example"))
    with TestClient(a) as client_a, TestClient(b) as client_b:
        yield Api(client_a), Api(client_b)


def test_two_connectors_forwarding_to_each_other_stop_after_one_round(
        two_connectors: tuple[Api, Api], smtp: SmtpSink) -> None:
    a, b = two_connectors
    with Relay(smtp, to_connectors({"support@a.example": a, "support@b.example": b})) as relay:
        a.send(make_email(sender="stranger@elsewhere.example", to="support@a.example"))
        sent = settle(relay, a, b)
    log_b = [(m["outcome"], m["reason"]) for m in b.get("/api/v1/inbound-messages")["items"]]
    assert sent == 2, log_b  # A forwards to B, B forwards back to A, A sees its own loop mark
    outcomes = [m["outcome"] for m in a.get("/api/v1/inbound-messages")["items"]]
    assert outcomes == ["ignored_loop", "forwarded_unrecognized"]


def test_an_auto_responder_ignoring_rfc_3834_is_stopped_by_the_acknowledgement_limit(
        api: Api, smtp: SmtpSink) -> None:
    api.account("Robots", email="robots.example")

    answered = iter(range(1, 1000))

    def auto_responder(mail: ReceivedMail) -> None:
        """bot@robots.example answers everything with a brand-new mail and no auto headers."""
        if "bot@robots.example" in mail.rcpt_tos:
            api.send(make_email(sender="bot@robots.example", subject=f"I am away (#{next(answered)})"))

    with Relay(smtp, auto_responder) as relay:
        api.send(make_email(sender="bot@robots.example", subject="hello"))
        sent = settle(relay, api)
    assert sent == 5  # the default limit: 5 acknowledgements per sender and hour
    suppressed = [m for m in api.get("/api/v1/inbound-messages")["items"]
                  if "acknowledgement suppressed" in (m["reason"] or "")]
    assert len(suppressed) == 1  # the sixth ticket got none, and the loop ended


def test_a_bounce_of_our_acknowledgement_marks_it_and_stops_further_ones(api: Api, smtp: SmtpSink) -> None:
    api.account("Acme", email="acme.example")
    api.deliver(make_email(sender="gone@acme.example"))
    ack = email.message_from_bytes(smtp.wait_for(1)[0].data, policy=default)
    ack_id = ack["Message-ID"]
    dsn = (
        "From: MAILER-DAEMON@mx.acme.example\r\nTo: support@msp.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.acme.example>\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: rfc822; gone@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack_id}\r\n"
        "Subject: [Ticket #0000001] Printer is offline\r\n--b--\r\n").encode()
    bounce = api.deliver(dsn)
    assert bounce["outcome"] == "bounce"
    assert "permanent failure (5.1.1) for gone@acme.example of our message" in bounce["reason"]
    outbound = api.get("/api/v1/outbound-messages", params={"kind": "acknowledgement"})["items"][0]
    assert outbound["bounced_at"] is not None and "no such user" in outbound["last_error"]

    again = api.deliver(make_email(sender="gone@acme.example", subject="another problem"))
    assert again["outcome"] == "ticket_created"
    assert "bounced recently" in again["reason"]
    wait_until(lambda: len(smtp.messages) >= 1)
    time.sleep(0.3)
    assert len(smtp.messages) == 1  # no acknowledgement went to the dead address
