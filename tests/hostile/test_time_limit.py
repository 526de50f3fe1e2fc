"""The per-message time limit, end to end: a message whose reading takes longer than the limit
is stopped and marked failed with the reason, while the messages read before and after it in
the same batch are processed normally."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import Api, make_settings
from tests.conftest import SmtpSink
from tests.hostile.conftest import final_states
from tests.mail import email

LIMIT = 0.3


def slow_to_read(parts: int = 100_000) -> bytes:
    """A message the stdlib parser needs seconds for (100,000 MIME parts, 1 MB; about 2.4 s
    here, eight times the limit), without being large or otherwise unusual."""
    return (b"From: Bob <bob@acme.example>\r\nTo: support@msp.example\r\nSubject: slow\r\n"
            b"Message-ID: <slow@acme.example>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + b"--b\r\n\r\nx\r\n" * parts + b"--b--\r\n")


def test_a_message_over_the_time_limit_fails_alone_and_its_batch_goes_on(
        tmp_path: Path, smtp: SmtpSink, database_url: str) -> None:
    settings = make_settings(tmp_path, smtp, database_url=database_url,
                             message_time_limit_seconds=LIMIT)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        api.account("Acme", email="acme.example")
        # Off while they arrive, so that the worker claims all three as one batch.
        api.patch("/api/v1/connector", {"status": "off"})
        before = api.send(email(subject="before"))["id"]
        slow = api.send(slow_to_read())["id"]
        after = api.send(email(subject="after"))["id"]
        api.patch("/api/v1/connector", {"status": "on"})

        states = final_states(api, [before, slow, after])

        assert states[slow]["status"] == "failed"
        assert states[slow]["error"] == (f"reading the message took longer than {LIMIT:g} s "
                                         "(the limit per message); it was stopped")
        assert states[slow]["outcome"] is None and states[slow]["ticket_number"] is None
        for normal in (before, after):
            assert states[normal]["status"] == "done", states[normal]["error"]
            assert states[normal]["outcome"] == "ticket_created"
