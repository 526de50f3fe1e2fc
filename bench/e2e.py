"""End-to-end runs against real processes: the server as `make run` starts it (or web plus
workers on PostgreSQL), the load client in a process of its own (bench/load.py), an SMTP sink
in this process for the mail the connector sends (bench/sink.py)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from adapters.persistence.tables import InboundMessage, OutboundMessage
from adapters.persistence.types import UTCDateTime
from bench.load import LoadResult, send
from bench.procs import (
    cmdline,
    cpu_seconds,
    cpu_used,
    descendants,
    machine_busy_seconds,
    parent,
    steal_seconds,
    thread_cpu_seconds,
)
from bench.seed import seed
from bench.sink import Sink
from tests.conftest import free_port
from tests.harness import Process, connector_env, wait_ready, web, worker

OUTBOX_WAIT = 15  # seconds: at most this long for the outbox to catch up after a run


@dataclass
class Deployment(AbstractContextManager["Deployment"]):
    """A running connector: SQLite with the inline worker, or PostgreSQL with N workers."""

    accounts: int = 1000
    tickets: int = 1000
    database_url: str | None = None  # None: SQLite in a temp dir (the default configuration)
    workers: int = 0
    processes: list[Process] = field(default_factory=list)
    seed_seconds: float = 0.0
    database_pid: int | None = None  # PostgreSQL's postmaster: its CPU is counted apart

    def __enter__(self) -> Deployment:
        self.dir = Path(tempfile.mkdtemp(prefix="connector-bench-"))
        self.url = self.database_url or f"sqlite:///{self.dir}/connector.db"
        started = time.monotonic()
        seed(self.url, accounts=self.accounts, tickets=self.tickets)
        self.seed_seconds = time.monotonic() - started
        self.sink = Sink(free_port())
        self.sink.start()
        try:
            self._start_processes()
        except BaseException:
            self.__exit__()
            raise
        self.engine = create_engine(self.url)
        return self

    def _start_processes(self) -> None:
        self.port = free_port()
        # Acknowledgements: the mix's senders write more than 5 times an hour (the default
        # limit); with the limit, most would be suppressed and the outbox would do less work.
        extra: dict[str, Any] = {"migrate_on_start": "false", "acknowledgements_per_hour": 100000}
        if self.workers:
            extra["inline_worker"] = "false"
        env = connector_env(self.url, self.dir / "data", self.sink.port, **extra)
        self.server = web(env, self.port, self.dir / "web.log").start()
        self.processes.append(self.server)
        for i in range(self.workers):
            self.processes.append(worker(env, self.dir / f"w{i}.log").start())
        wait_ready(self.port)

    def __exit__(self, *exc: object) -> None:
        # A clean stop first (the server stops its reader child itself), then anything left:
        # killing only the server would orphan its forkserver and reader processes.
        children = [pid for p in self.processes if p.alive for pid in descendants(p.pid)]
        for process in self.processes:
            if process.popen is not None and process.alive:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            if process.popen is not None:
                try:
                    process.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.popen.kill()
                    process.popen.wait()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.sink.stop()
        if hasattr(self, "engine"):
            self.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pids(self) -> list[int]:
        """Every process of the connector: web, workers and the children they started."""
        return [pid for p in self.processes for pid in (p.pid, *descendants(p.pid))]

    def thread_cpu(self) -> dict[str, float]:
        """CPU seconds by process and thread: "web outbox", "web reader", "worker1 processing"..."""
        result: dict[str, float] = {}
        for i, process in enumerate(self.processes):
            label = "web" if i == 0 else f"worker{i}"
            parts = [(process.pid, None)] + [(pid, _role(pid)) for pid in descendants(process.pid)]
            for pid, role in parts:
                for thread, seconds in thread_cpu_seconds(pid).items():
                    if thread.startswith("python"):
                        thread = "event loop" if i == 0 and role is None else "main"
                    # the worker child of `make run` by thread, as a worker process is
                    key = f"{label} {thread if role in (None, 'worker') else role}"
                    result[key] = result.get(key, 0.0) + seconds
        return result

    def database_pids(self) -> list[int]:
        if self.database_pid is None:
            return []
        return [self.database_pid, *descendants(self.database_pid)]

    def last_id(self) -> int:
        with self.engine.connect() as c:
            query = text("SELECT coalesce(max(id), 0) FROM inbound_message")
            return int(c.execute(query).scalar_one())

    def wait_final(self, after_id: int, count: int, timeout: float = 900) -> float:
        """Wait until `count` messages after `after_id` have a final state; returns the wall
        time (time.time()) when the last of them was committed, from the table itself, so
        that polling slowly costs no precision (and little CPU beside the server)."""
        deadline = time.monotonic() + timeout
        done = text("SELECT count(*) FROM inbound_message "
                    "WHERE id > :i AND status IN ('done', 'failed')")
        while time.monotonic() < deadline:
            with self.engine.connect() as c:
                if c.execute(done, {"i": after_id}).scalar_one() >= count:
                    latest = func.max(InboundMessage.processed_at, type_=UTCDateTime)
                    last = c.execute(select(latest).where(InboundMessage.id > after_id)
                                     ).scalar_one()
                    return float(last.timestamp())
            time.sleep(0.1)
        raise TimeoutError(f"{count} messages were not processed within {timeout:.0f} s")

    def wait_outbox(self, timeout: float) -> int:
        """Wait (at most `timeout` s) until the outbox has sent what processing queued, so that
        its SMTP work does not spill into the next measurement. Returns the mail still waiting."""
        deadline = time.monotonic() + timeout
        waiting = text("SELECT count(*) FROM outbound_message "
                       "WHERE status IN ('pending', 'sending')")
        while True:
            with self.engine.connect() as c:
                left = int(c.execute(waiting).scalar_one())
            if left == 0 or time.monotonic() > deadline:
                return left
            time.sleep(0.1)

    def sent_between(self, start: float, end: float) -> int:
        """Mail the outbox recorded as sent between two wall-clock times."""
        sent = OutboundMessage.sent_at  # type: ignore[attr-defined]
        query = select(func.count()).select_from(OutboundMessage).where(
            sent >= datetime.fromtimestamp(start, UTC), sent <= datetime.fromtimestamp(end, UTC))
        with self.engine.connect() as c:
            return int(c.execute(query).scalar_one())

    def outcomes(self, after_id: int) -> dict[str, int]:
        """Outcomes of the messages after `after_id`: whether the mix matched the seed."""
        with self.engine.connect() as c:
            rows = c.execute(text("SELECT coalesce(outcome, status), count(*) FROM inbound_message "
                                  "WHERE id > :i GROUP BY 1"), {"i": after_id}).all()
        return {str(outcome): int(n) for outcome, n in rows}

    def count(self, after_id: int, status: str) -> int:
        with self.engine.connect() as c:
            query = text("SELECT count(*) FROM inbound_message WHERE id > :i AND status = :s")
            return int(c.execute(query, {"i": after_id, "s": status}).scalar_one())


def run(deployment: Deployment, messages: list[bytes], *, rate: float | None = None,
        connections: int = 8, outbox_wait: float = OUTBOX_WAIT) -> dict[str, Any]:
    """Send `messages` (closed loop, or open loop at `rate`), wait until all are processed.
    Accepted/s: answered 200 per second of sending; processed/s: accepted messages over the
    time from the first send to the last final commit. Server CPU: of the connector's own
    processes (not PostgreSQL's), while sending and processing."""
    first = deployment.last_id()
    before = _cpu(deployment)
    load: LoadResult = send(deployment.port, messages, connections=connections, rate=rate)
    finished = deployment.wait_final(first, load.ok)
    after = _cpu(deployment)
    delivered = deployment.sent_between(load.started_wall, finished)
    # The outbox may lag behind processing (it is not part of "processed"); a bounded wait,
    # so that a slow outbox shows as a backlog instead of stretching the whole benchmark.
    backlog = deployment.wait_outbox(outbox_wait)
    cpu = cpu_used(before["connector"], after["connector"])  # web, workers, readers
    database = cpu_used(before["database"], after["database"])
    # Whatever else ran meanwhile: this machine is shared, and a busy neighbour explains a
    # slow run. Everything on the machine, less the connector, the database, the load client
    # and this process (the SMTP sink, the polling).
    others = (after["machine"] - before["machine"] - cpu - database - load.client_total_cpu
              - (after["self"] - before["self"]))
    wall = after["wall"] - before["wall"]
    return {
        "offered_per_s": rate, "messages": len(messages), "accepted": load.ok,
        "errors": len(messages) - load.ok, "failed": deployment.count(first, "failed"),
        "accepted_per_s": load.ok / load.elapsed,
        "processed_per_s": load.ok / (finished - load.started_wall),
        "delivered_per_s": delivered / (finished - load.started_wall),
        "outbox_backlog": backlog,
        "p50_ms": load.percentile_ms(0.50), "p99_ms": load.percentile_ms(0.99),
        "max_ms": load.percentile_ms(1.0),
        # From the actual send: when it is far below the figures above, the client fell
        # behind its schedule (all its connections busy, or no CPU for it).
        "p50_sent_ms": load.percentile_ms(0.50, from_due=False),
        "p99_sent_ms": load.percentile_ms(0.99, from_due=False),
        "client_cpu_ms_per_request": 1000 * load.client_cpu / max(len(messages), 1),
        "server_cpu_ms_per_message": 1000 * cpu / max(load.ok, 1),
        "database_cpu_ms_per_message": 1000 * database / max(load.ok, 1),
        "cpu_ms_per_message_by_thread": _per_message(before["threads"], after["threads"], load.ok),
        "sink_cpu_ms_per_message": 1000 * (after["self"] - before["self"]) / max(load.ok, 1),
        "others_cpu_share": max(0.0, others) / (wall * (os.cpu_count() or 1)),
        "steal_share": (after["steal"] - before["steal"]) / (wall * (os.cpu_count() or 1)),
        "connections": connections, "outcomes": deployment.outcomes(first),
        "started_wall": load.started_wall, "processed_wall": finished,
    }


def _per_message(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    used = {name: 1000 * (seconds - before.get(name, 0.0)) / max(count, 1)
            for name, seconds in after.items()}
    return {name: ms for name, ms in sorted(used.items(), key=lambda kv: -kv[1]) if ms >= 0.05}


def _role(pid: int) -> str:
    command = cmdline(pid)
    if "multiprocessing.spawn" in command:  # api/entrypoints/worker_child.py
        return "worker"
    if "multiprocessing.forkserver" in command:  # the reader is forked by the forkserver
        return "reader" if "multiprocessing.forkserver" in cmdline(parent(pid)) else "forkserver"
    return "resource-tracker" if "resource_tracker" in command else "child"


def _cpu(deployment: Deployment) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"connector": cpu_seconds(deployment.pids()), "threads": deployment.thread_cpu(),
            "database": cpu_seconds(deployment.database_pids()),
            "machine": machine_busy_seconds(), "steal": steal_seconds(),
            "self": usage.ru_utime + usage.ru_stime,
            "wall": time.monotonic()}
