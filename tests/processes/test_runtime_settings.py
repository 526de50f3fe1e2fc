"""Runtime settings reach every process: a change made through the web process's API is used
by a separate worker process at its next use, with no restart (real processes, real SMTP)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SmtpSink, free_port, smtp_server, wait_until
from tests.harness import API_KEY, LoadClient, Process, connector_env, wait_ready, web, worker
from tests.mail import email as make_email


@pytest.fixture
def second_smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


def patch(port: int, body: dict[str, object]) -> tuple[int, object]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("PATCH", "/api/v1/connector", body=json.dumps(body), headers={
        "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_a_changed_smtp_server_is_used_by_the_next_delivery_of_a_separate_worker(
        tmp_path: Path, smtp: SmtpSink, second_smtp: SmtpSink, database_url: str) -> None:
    env = connector_env(database_url, tmp_path / "data", smtp.port, inline_worker="false",
                        poll_seconds=0.05, outbox_retry_base_seconds=0.1)
    port = free_port()
    processes: list[Process] = [web(env, port, tmp_path / "web.log").start()]
    try:
        wait_ready(port)
        processes.append(worker(env, tmp_path / "worker.log").start())
        client = LoadClient(port, connections=1)
        client.post_all([make_email(sender="stranger@elsewhere.example", message_id="<a@x>")])
        wait_until(lambda: smtp.to("team@msp.example"), timeout=30)  # the first server

        status, view = patch(port, {"smtp_port": second_smtp.port})
        assert status == 200 and view["smtp_port"] == second_smtp.port  # type: ignore[index]
        client.post_all([make_email(sender="other@elsewhere.example", message_id="<b@x>")])
        forwarded = wait_until(lambda: second_smtp.to("team@msp.example"), timeout=30)
        assert len(forwarded) == 1 and b"other@elsewhere.example" in forwarded[0].data  # type: ignore[arg-type]
        assert len(smtp.to("team@msp.example")) == 1  # nothing more went to the old server
    finally:
        for process in processes:
            process.kill()
