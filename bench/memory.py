"""Peak resident memory while the connector accepts and processes one 30 MB message.

Two processes hold the message: the web process (ingest, then the worker thread that applies
the decision and the outbox that sends a forward) and the reader child that parses it (a child
of the forkserver the web process starts: adapters/mail/reader_pool.py). Each one's peak
(VmHWM) is reset just before the message is sent, so each figure belongs to this message; a
sampler also follows the sum of the two, whose peak is what the machine must have.
"""

from __future__ import annotations

import os
import threading
import time
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from sqlalchemy import text

from bench import mix
from bench.e2e import Deployment, run
from bench.procs import cmdline, descendants, memory_kib, reset_peak

SIZE = 30_000_000


def big_message(sender: str, serial: int, size: int = SIZE) -> bytes:
    """A short text and one PDF attachment, `size` bytes in all (base64: 77 bytes per 57)."""
    msg = MIMEMultipart()
    msg["From"] = sender
    msg["To"] = "support@msp.example"
    msg["Subject"] = "Scanned contract, 30 MB"
    msg["Message-ID"] = f"<big-{serial}@bench.example>"
    msg.attach(MIMEText("Hello support,\n\nthe signed contract is attached.\n\nRegards\n"))
    skeleton = len(msg.as_bytes()) + 300  # the attachment's own headers and boundary
    attachment = MIMEApplication(os.urandom((size - skeleton) * 57 // 77), "pdf")
    attachment.add_header("Content-Disposition", "attachment", filename="contract.pdf")
    msg.attach(attachment)
    return msg.as_bytes()


def reader_pid(server: int) -> int | None:
    """The reader: a process forked by the forkserver, itself a child of the web process."""
    for pid in descendants(server):
        if "multiprocessing.forkserver" in cmdline(pid):
            children = descendants(pid)
            if children:
                return children[0]
    return None


class _Sampler(threading.Thread):
    """Both processes' RSS every 2 ms: the peak of their sum, and the web process's peak in
    each phase (accepting until the HTTP 200, processing until the outcome is committed, then
    the outbox), which tells where its memory goes."""

    def __init__(self, server: int, reader: int) -> None:
        super().__init__(daemon=True)
        self.server, self.reader, self.stopping = server, reader, threading.Event()
        self.samples: list[tuple[float, int, int]] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.time(), memory_kib(self.server), memory_kib(self.reader)))
            time.sleep(0.002)

    def together_kib(self) -> int:
        return max((s + r for _, s, r in self.samples), default=0)

    def server_peak_mb(self, start: float, end: float) -> float:
        return max((s for t, s, _ in self.samples if start <= t <= end), default=0) * 1024 / 1e6


def measure(*, accounts: int = 1000) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with Deployment(accounts=accounts, tickets=accounts) as deployment:
        # A few ordinary messages first: the reader child starts with the first batch.
        run(deployment, mix.build(20, first=10_000_000, accounts=accounts, tickets=accounts))
        server, reader = deployment.server.pid, reader_pid(deployment.server.pid)
        if reader is None:
            raise RuntimeError("the reader child process was not found")
        cases = {"ticket_created": "Dana <dana@customer1.example>",  # stored as a ticket
                 "forwarded_unrecognized": "Eve <eve@stranger.example>"}  # forwarded, attached
        for serial, (outcome, sender) in enumerate(cases.items()):
            message = big_message(sender, serial)
            time.sleep(1.0)  # settle: what the previous case freed is given back
            idle = {"server": memory_kib(server), "reader": memory_kib(reader)}
            reset = reset_peak(server) and reset_peak(reader)
            sampler = _Sampler(server, reader)
            sampler.start()
            figures = run(deployment, [message], connections=1, outbox_wait=120)
            sampler.stopping.set()
            sampler.join()
            peak = {"server": memory_kib(server, "VmHWM"), "reader": memory_kib(reader, "VmHWM")}
            results[outcome] = _figures(len(message), idle, peak, sampler.together_kib(), reset,
                                        figures, _outcome(deployment), reader_pid(server) == reader)
            acked = figures["started_wall"] + figures["p50_ms"] / 1000
            results[outcome]["server_peak_by_phase_mb"] = {
                "accepting": sampler.server_peak_mb(0, acked),
                "processing": sampler.server_peak_mb(acked, figures["processed_wall"]),
                "after (outbox)": sampler.server_peak_mb(figures["processed_wall"], time.time())}
    return results


def _outcome(deployment: Deployment) -> str:
    with deployment.engine.connect() as c:
        query = text("SELECT status, outcome FROM inbound_message ORDER BY id DESC")
        row = c.execute(query).first()
    return f"{row[0]}/{row[1]}" if row else "?"


def _figures(size: int, idle: dict[str, int], peak: dict[str, int], together_kib: int,
             reset: bool, run_figures: dict[str, Any], outcome: str, same_reader: bool
             ) -> dict[str, Any]:
    mb = 1024 / 1e6  # KiB to MB (10^6 bytes, like the message size)
    increase = {k: max(0, peak[k] - idle[k]) * mb for k in peak}
    together_idle = (idle["server"] + idle["reader"]) * mb
    return {
        "message_bytes": size, "outcome": outcome, "peak_reset": reset,
        "reader_survived": same_reader,
        "seconds": run_figures["messages"] / run_figures["processed_per_s"],
        "server_idle_mb": idle["server"] * mb, "server_peak_mb": peak["server"] * mb,
        "server_increase_mb": increase["server"],
        "reader_idle_mb": idle["reader"] * mb, "reader_peak_mb": peak["reader"] * mb,
        "reader_increase_mb": increase["reader"],
        "together_idle_mb": together_idle, "together_peak_mb": together_kib * mb,
        "together_increase_mb": together_kib * mb - together_idle,
        # The target's measure: what each process needed on top of idle, summed (an upper
        # bound of what both needed at once), over the message size.
        "ratio": (increase["server"] + increase["reader"]) * 1e6 / size,
    }
