"""`make run`'s worker runs in a child process of the web process (real processes, real SMTP):
its counts show on the web process's /metrics, it is started again when it dies, and it ends
when the web process is killed, so that no orphan keeps claiming mail."""

from __future__ import annotations

import http.client
import os
import signal
import time
from pathlib import Path

from bench.procs import descendants, worker_child_pid
from tests.conftest import SmtpSink, free_port, wait_until
from tests.harness import API_KEY, LoadClient, Process, api_get, connector_env, wait_ready, web
from tests.mail import email as make_email


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def processed(port: int, message: bytes) -> dict[str, object]:
    [sent] = LoadClient(port, connections=1).post_all([message])
    assert sent.status == 200

    def final() -> dict[str, object] | None:
        found = api_get(port, f"/api/v1/inbound-messages/{sent.inbound_id}")
        return found if found["status"] in ("done", "failed") else None
    return wait_until(final, timeout=30)  # type: ignore[return-value]


def metrics(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    return connection.getresponse().read().decode()


def start(tmp_path: Path, smtp: SmtpSink, database_url: str, spawned: list[Process]) -> tuple[Process, int]:
    env = connector_env(database_url, tmp_path / "data", smtp.port, poll_seconds=5)
    port = free_port()
    server = web(env, port, tmp_path / "web.log").start()
    spawned.append(server)
    wait_ready(port)
    return server, port


def test_the_worker_runs_in_a_child_and_its_counts_show_on_the_web_metrics(
        tmp_path: Path, smtp: SmtpSink, database_url: str, spawned: list[Process]) -> None:
    server, port = start(tmp_path, smtp, database_url, spawned)
    assert worker_child_pid(server.pid) is not None
    first = processed(port, make_email(sender="a@nowhere.example", message_id="<1@x>"))
    assert first["outcome"] == "forwarded_unrecognized"
    time.sleep(0.5)  # the child's processing loop now waits: poll_seconds=5
    started = time.monotonic()
    processed(port, make_email(sender="b@nowhere.example", message_id="<2@x>"))
    assert time.monotonic() - started < 3  # woken at once by ingest, across the pipe
    text = metrics(port)
    assert 'connector_messages_processed_total{outcome="forwarded_unrecognized"} 2.0' in text
    assert "connector_processing_latency_seconds_count 2.0" in text
    assert 'connector_messages_received_total{source="raw",status="queued"} 2.0' in text
    assert wait_until(lambda: 'result="sent"' in metrics(port), timeout=30)  # the outbox's


def test_a_worker_child_that_dies_is_started_again_and_nothing_is_lost(
        tmp_path: Path, smtp: SmtpSink, database_url: str, spawned: list[Process]) -> None:
    server, port = start(tmp_path, smtp, database_url, spawned)
    first = worker_child_pid(server.pid)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    message = processed(port, make_email(sender="a@nowhere.example", message_id="<1@x>"))
    assert message["outcome"] == "forwarded_unrecognized"
    second = worker_child_pid(server.pid)
    assert second is not None and second != first
    assert "the worker child exited" in (tmp_path / "web.log").read_text()


def test_the_worker_child_ends_when_the_web_process_is_killed(
        tmp_path: Path, smtp: SmtpSink, database_url: str, spawned: list[Process]) -> None:
    server, port = start(tmp_path, smtp, database_url, spawned)
    child = worker_child_pid(server.pid)
    assert child is not None
    processed(port, make_email(sender="a@nowhere.example", message_id="<1@x>"))
    readers = descendants(child)  # its forkserver and the readers, started for that batch
    assert readers
    server.kill()  # SIGKILL: no shutdown runs in the web process
    assert wait_until(lambda: not alive(child), timeout=30)
    assert wait_until(lambda: not any(alive(pid) for pid in readers), timeout=30)
