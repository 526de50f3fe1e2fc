"""The README's SQLite backup while the connector runs (sqlite3's .backup, VACUUM INTO), and
its restore: every message acknowledged before the backup is in it, and a restored database
is what the connector then serves."""

from __future__ import annotations

import base64
import http.client
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.harness import INBOUND, ROOT, connector_env, wait_ready, web
from tests.mail import email as make_email

BASIC = "Basic " + base64.b64encode(f"{INBOUND[0]}:{INBOUND[1]}".encode()).decode()


def deliver(port: int, n: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/inbound/raw", body=make_email(message_id=f"<b-{n}@acme.example>"),
                       headers={"Authorization": BASIC, "Content-Type": "message/rfc822"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200


def queued(env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "api.entrypoints.cli", "queue"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("inbound queued"))


@pytest.mark.parametrize("method", ["vacuum-into", "sqlite3-backup"])
def test_a_backup_taken_while_running_restores_what_was_acknowledged(tmp_path: Path,
                                                                     method: str) -> None:
    if method == "sqlite3-backup" and shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 command-line tool")
    database, copy = tmp_path / "connector.db", tmp_path / "backup.db"
    # Processing off: the messages stay queued, so the counts say which ones a database holds.
    env = connector_env(f"sqlite:///{database}", tmp_path / "data", free_port(), status="off")
    port = free_port()
    server = web(env, port, tmp_path / "web.log").start()
    try:
        wait_ready(port)
        for n in range(3):
            deliver(port, n)
        if method == "vacuum-into":
            subprocess.run([sys.executable, "-c", "import sqlite3,sys; sqlite3.connect(sys.argv[1])"
                            ".execute('VACUUM INTO ?', (sys.argv[2],))", str(database), str(copy)],
                           check=True)
        else:
            subprocess.run(["sqlite3", str(database), f".backup '{copy}'"], check=True)
        deliver(port, 3)  # after the backup: not in it
    finally:
        server.kill(15)
    assert queued(env).split() == ["inbound", "queued", "4"]

    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(copy, database)
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert queued(env).split() == ["inbound", "queued", "3"]
