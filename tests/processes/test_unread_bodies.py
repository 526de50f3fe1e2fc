"""A request that cannot be right is refused before its body is read: a signed provider's
request without its credential, or announcing more than the provider ever sends, is answered at
once, however large a body it announces (a real server on loopback, a raw socket that sends
the headers and never the body: a server that reads first would wait for it)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.conftest import free_port
from tests.harness import Process, connector_env, wait_ready, web

ANNOUNCED = 110 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("unread")
    env = connector_env(f"sqlite:///{tmp}/connector.db", tmp / "data", free_port(),
                        sparkpost_webhook_token="right-token", mandrill_webhook_key="key",
                        ses_topic_arns="arn:aws:sns:eu-west-1:1:inbound",
                        resend_webhook_secret="whsec_c2VjcmV0", mailgun_signing_key="key")
    port = free_port()
    process: Process = web(env, port, tmp / "web.log").start()
    try:
        wait_ready(port)
        yield port
    finally:
        process.kill()


def status_before_the_body(port: int, path: str, headers: dict[str, str]) -> int:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {ANNOUNCED}",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall("\r\n".join(lines).encode())
        answer = sock.recv(200)  # times out (a failure) if the server waits for the body
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("path, headers, status", [
    ("/inbound/sparkpost", {"Content-Type": "application/json",
                            "X-MessageSystems-Webhook-Token": "wrong"}, 401),
    ("/inbound/mandrill", {"Content-Type": "application/x-www-form-urlencoded"}, 401),
    ("/inbound/resend", {"Content-Type": "application/json"}, 401),
    ("/inbound/ses", {"Content-Type": "text/plain"}, 413),  # SNS sends at most 256 KB
    ("/inbound/mailgun", {"Content-Type": "multipart/form-data; boundary=x"}, 413),
    ("/inbound/postmark", {"Content-Type": "application/json"}, 401),  # HTTP Basic, as before
], ids=["sparkpost wrong token", "mandrill no signature", "resend no svix headers",
        "ses larger than sns sends", "mailgun larger than mailgun sends", "postmark no basic"])
def test_refused_before_reading_the_body(server: int, path: str, headers: dict[str, str],
                                         status: int) -> None:
    assert status_before_the_body(server, path, headers) == status
