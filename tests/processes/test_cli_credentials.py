"""`email-connector api-key` and `inbound-password` against a running web process: what the
CLI stores is accepted (or refused) by the server within its one-second cache, no restart."""

from __future__ import annotations

import base64
import http.client
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until
from tests.harness import API_KEY, ROOT, connector_env, wait_ready, web


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.entrypoints.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, input=stdin)


def status(port: int, method: str, path: str, authorization: str, body: bytes = b"") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body or None,
                       headers={"Authorization": authorization, "Content-Type": "message/rfc822"})
    response = connection.getresponse()
    response.read()
    return response.status


def bearer(port: int, key: str) -> int:
    return status(port, "GET", "/api/v1/connector", f"Bearer {key}")


def basic(port: int, password: str) -> int:
    pair = base64.b64encode(f"inbound:{password}".encode()).decode()
    return status(port, "POST", "/inbound/raw", f"Basic {pair}",
                  b"From: bob@acme.example\r\nSubject: hi\r\n\r\nhello\r\n")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port())
    del env["CONNECTOR_INBOUND_PASSWORD"]  # generated into the data directory, then replaced
    port = free_port()
    server = web(env, port, tmp_path / "web.log").start()
    try:
        wait_ready(port)
        yield env, port
    finally:
        server.kill(15)


def test_a_created_key_works_until_it_is_rotated_or_revoked(running: tuple[dict[str, str], int]) -> None:
    env, port = running
    created = cli(env, "api-key", "create", "billing-sync")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert "shown once" in created.stderr
    wait_until(lambda: bearer(port, key) == 200)

    listed = cli(env, "api-key", "list")
    assert "billing-sync" in listed.stdout and key not in listed.stdout + listed.stderr
    assert "1 unnamed key(s) from CONNECTOR_API_KEYS" in listed.stdout

    rotated = cli(env, "api-key", "rotate", "billing-sync", "--grace", "0").stdout.strip()
    wait_until(lambda: bearer(port, key) == 401)
    assert rotated != key and bearer(port, rotated) == 200

    assert cli(env, "api-key", "revoke", "billing-sync").returncode == 0
    wait_until(lambda: bearer(port, rotated) == 401)
    assert bearer(port, API_KEY) == 200  # the environment's key never stopped working
    again = cli(env, "api-key", "revoke", "billing-sync")
    assert again.returncode == 1 and "no API key named 'billing-sync'" in again.stderr


def test_a_key_rotated_with_a_grace_period_works_beside_the_new_one_until_then(
        running: tuple[dict[str, str], int]) -> None:
    env, port = running
    old = cli(env, "api-key", "create", "crm").stdout.strip()
    rotation = cli(env, "api-key", "rotate", "crm")  # the default grace: a day
    assert rotation.returncode == 0 and "keeps working for 86400 seconds" in rotation.stderr
    new = rotation.stdout.strip()
    wait_until(lambda: bearer(port, new) == 200)
    assert bearer(port, old) == 200
    listed = cli(env, "api-key", "list").stdout.splitlines()
    rows = [line for line in listed if line.startswith("crm ")]
    assert len(rows) == 2 and rows[0].endswith("never") and "(rotated, old key)" in rows[1]
    cli(env, "api-key", "rotate", "crm", "--grace", "0")  # the one before ends now too
    wait_until(lambda: bearer(port, new) == 401)
    assert bearer(port, old) == 401


def test_a_second_key_of_the_same_name_is_refused(running: tuple[dict[str, str], int]) -> None:
    env, _ = running
    assert cli(env, "api-key", "create", "ci").returncode == 0
    second = cli(env, "api-key", "create", "ci")
    assert second.returncode == 1 and second.stdout == "" and "exists" in second.stderr


def test_a_new_inbound_password_replaces_the_generated_one(running: tuple[dict[str, str], int],
                                                           tmp_path: Path) -> None:
    env, port = running
    generated = (tmp_path / "data" / "inbound-password").read_text().strip()
    assert basic(port, generated) == 200
    result = cli(env, "inbound-password", "set", "--from-stdin", stdin="a-long-new-password\n")
    assert result.returncode == 0, result.stderr
    wait_until(lambda: basic(port, generated) == 401)
    assert basic(port, "a-long-new-password") == 200


def test_the_inbound_password_is_not_set_while_the_environment_gives_one(tmp_path: Path) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port())
    result = cli(env, "inbound-password", "set", "--from-stdin", stdin="a-long-new-password\n")
    assert result.returncode == 1 and "CONNECTOR_INBOUND_PASSWORD is set" in result.stderr
