"""Behind a TLS proxy (README, "Run it in production"): uvicorn believes X-Forwarded-Proto from
the addresses in FORWARDED_ALLOW_IPS only, and Mandrill's signature, made over the https URL
it posts to, checks out only when it does."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from pathlib import Path

import pytest

from adapters.inbound.mandrill import mandrill_signature
from tests.conftest import free_port
from tests.harness import connector_env, wait_ready, web
from tests.mail import email as make_email

KEY = "proxy-test-mandrill-key"
PUBLIC_URL = "https://connector.example/inbound/mandrill"  # as entered in Mandrill


def post(port: int, forwarded_proto: str | None) -> int:
    events = [{"event": "inbound", "ts": 1507856722,
               "msg": {"raw_msg": make_email().decode(), "email": "support@msp.example"}}]
    fields = [("mandrill_events", json.dumps(events))]
    headers = {"Host": "connector.example", "Content-Type": "application/x-www-form-urlencoded",
               "X-Mandrill-Signature": mandrill_signature(KEY, PUBLIC_URL, fields)}
    if forwarded_proto:
        headers["X-Forwarded-Proto"] = forwarded_proto
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/inbound/mandrill", body=urllib.parse.urlencode(fields),
                       headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


@pytest.mark.parametrize(("allowed", "proto", "status"), [
    ("127.0.0.1", "https", 200),   # the proxy on this machine: believed
    ("127.0.0.1", None, 401),      # no header: the URL is http://..., not what was signed
    ("10.9.8.7", "https", 401),    # a header from an address not trusted: ignored
])
def test_the_forwarded_scheme_counts_only_from_the_trusted_proxy(
        tmp_path: Path, allowed: str, proto: str | None, status: int) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port(),
                        mandrill_webhook_key=KEY)
    env["FORWARDED_ALLOW_IPS"] = allowed
    port = free_port()
    server = web(env, port, tmp_path / "web.log").start()
    try:
        wait_ready(port)
        assert post(port, proto) == status
    finally:
        server.kill(15)
