"""What an operator runs and reads: the command line (a real process, the same settings) and
the log stream."""

from __future__ import annotations

import mailbox
import subprocess
import sys
from pathlib import Path

from tests.conftest import SmtpSink, free_port
from tests.harness import ROOT, connector_env
from tests.mail import email as make_email


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.entrypoints.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_check_says_what_is_not_ready_and_exits_non_zero(tmp_path: Path) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port(),
                        public_address="support@example.com")
    result = cli(env, "check")
    assert result.returncode == 1
    assert "not ready: public_address is a placeholder" in result.stdout
    assert "not ready: outgoing mail: cannot connect" in result.stdout


def test_check_passes_when_everything_answers(tmp_path: Path, smtp: SmtpSink) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", smtp.port,
                        public_address="support@msp.test", support_team_address="team@msp.test")
    result = cli(env, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ready:")


def test_eml_and_mbox_files_are_imported_once_and_queued(tmp_path: Path) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port())
    single = tmp_path / "one.eml"
    single.write_bytes(make_email(message_id="<one@acme.example>"))
    box = mailbox.mbox(tmp_path / "old-helpdesk.mbox")
    for i in range(3):
        box.add(make_email(message_id=f"<box-{i}@acme.example>"))
    box.flush()
    first = cli(env, "import", str(single), str(tmp_path / "old-helpdesk.mbox"))
    assert first.returncode == 0 and first.stdout.strip() == "4 queued", first.stderr
    again = cli(env, "import", str(single))
    assert again.stdout.strip() == "1 duplicate"
    queue = cli(env, "queue")
    assert "inbound queued       4" in queue.stdout


def test_reprocess_by_status_queues_failed_messages_again(tmp_path: Path) -> None:
    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port())
    result = cli(env, "reprocess", "--status", "failed")
    assert result.returncode == 0 and result.stdout.startswith("0 queued again")


def test_the_web_process_writes_every_log_line_as_json_uvicorns_too(tmp_path: Path) -> None:
    import json

    from tests.harness import Process, wait_ready

    env = connector_env(f"sqlite:///{tmp_path}/c.db", tmp_path / "data", free_port(),
                        log_level="INFO")
    port = free_port()
    process = Process([sys.executable, "-m", "uvicorn", "--factory", "api.entrypoints.web:create_app",
                       "--port", str(port), "--log-level", "info"], env, tmp_path / "web.log")
    process.start()
    try:
        wait_ready(port)
    finally:
        process.kill(15)
    lines = [line for line in (tmp_path / "web.log").read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert any(r["logger"].startswith("uvicorn") for r in records)
