"""CPU per message of each stage, in one process, on the bench's message mix: the per-stage
budget of the performance issue, without the load client, HTTP or the other stages' threads.

    python -m bench.stages            # 600 messages
    python -m bench.stages 1500

- reading: parsing and extracting in this process (what the reader child does per message);
- processing: the worker's claim, decide-and-apply and commit, the reader child apart (this
  thread's CPU only, so the child's work is not counted);
- outbox: delivering the mail the processing queued to an SMTP sink on loopback, with one and
  with four connections (this thread's CPU; the sink runs in another thread).

Thread CPU time counts only this thread's work, so it moves less than wall time on a shared
machine; each figure is still the mean of one run: compare runs made side by side.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from adapters.mail.reading import read_or_error
from api.entrypoints.bootstrap import Settings, build_process
from bench import mix
from bench.seed import seed
from bench.sink import Sink
from domain.messages import InboundDelivery
from tests.conftest import free_port

_REQUEUE = text("UPDATE outbound_message SET status = 'pending', attempts = 0, "
                "next_attempt_at = '2000-01-01 00:00:00', lease_expires_at = NULL")


def reading(messages: list[bytes]) -> float:
    started = time.thread_time()
    for raw in messages:
        read_or_error(raw, None, None)
    return (time.thread_time() - started) / len(messages) * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    messages = mix.build(count, pool=count)
    print(f"{count} messages of the bench mix; CPU of this thread per message (ms)")
    print(f"  reading       {reading(messages):6.2f}")
    folder = Path(tempfile.mkdtemp(prefix="connector-stages-"))
    url = f"sqlite:///{folder}/connector.db"
    seed(url, accounts=1000, tickets=1000)
    sink = Sink(free_port())
    sink.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, data_dir=folder, api_keys="bench", inbound_password="x",
        public_address="support@msp.example", support_team_address="team@msp.example",
        smtp_host="127.0.0.1", smtp_port=sink.port, inline_worker=False,
        acknowledgements_per_hour=1_000_000)
    process = build_process(settings)
    process.start(workers=False)
    try:
        for raw in messages:
            process.services.ingest.store(InboundDelivery(raw=raw, source="raw"))
        started = time.thread_time()
        while process.services.processor.run_once():
            pass
        per_message = (time.thread_time() - started) / count * 1000
        print(f"  processing    {per_message:6.2f}   (the reader child apart)")
        engine = create_engine(url)
        with engine.connect() as connection:
            mails = connection.execute(text("SELECT count(*) FROM outbound_message")).scalar_one()
        for connections in (1, 4):
            with engine.begin() as connection:
                connection.execute(_REQUEUE)
            process.services.settings.update({"smtp_connections": connections})
            started, wall = time.thread_time(), time.monotonic()
            while process.services.outbox.run_once():
                pass
            cpu, wall = time.thread_time() - started, time.monotonic() - wall
            print(f"  outbox        {cpu / mails * 1000:6.2f}   per mail, {connections} SMTP "
                  f"connection(s): {mails} mails at {mails / wall:.0f}/s")
    finally:
        process.stop()
        sink.stop()


if __name__ == "__main__":
    main()
