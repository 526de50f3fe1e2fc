"""Peak resident memory while the connector accepts and processes one large message.

`python -m bench.memory` prints the figures. Two configurations: the default `make run`
(the web process ingests; its worker child, api/entrypoints/worker_child.py, processes and
sends) and the Procfile's web + worker (the same split, in two processes started apart). In
each, the process that processes starts reader children that parse (children of the
forkserver it starts: adapters/mail/reader_pool.py); the first reads a batch of one message,
and it is the one measured. Three messages: a 30 MB raw message
filed as a ticket, the same from a stranger (forwarded with the original attached), and a
35 MB Postmark JSON (Postmark's limit) whose attachment travels base64 inside the JSON.
Each process's peak (VmHWM) is reset just before the message is sent, so each figure belongs
to this message; a sampler also follows the sum, whose peak is what the machine must have.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import threading
import time
from collections.abc import Callable
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from sqlalchemy import text

from bench import mix
from bench.e2e import Deployment, run
from bench.procs import cmdline, descendants, memory_kib, reset_peak, worker_child_pid
from tests.harness import BASIC

SIZE = 30_000_000
POSTMARK_SIZE = 35_000_000
CONFIGURATIONS = {"make run (web + worker child)": 0, "Procfile (web + worker)": 1}


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


def postmark_json(sender: str, serial: int, size: int = POSTMARK_SIZE) -> bytes:
    """Postmark's inbound JSON without RawEmail: the attachment base64 in `Content` (one line,
    as Postmark sends it), `size` bytes in all."""
    payload: dict[str, Any] = {
        "FromFull": {"Email": sender, "Name": ""}, "To": "support@msp.example",
        "ToFull": [{"Email": "support@msp.example", "Name": ""}],
        "OriginalRecipient": "support@msp.example", "Subject": "Scanned contract, 35 MB",
        "MessageID": f"bench-postmark-{serial}", "Date": "Wed, 2 Dec 2026 04:00:00 +0000",
        "Headers": [{"Name": "Message-ID", "Value": f"<big-postmark-{serial}@bench.example>"}],
        "TextBody": "Hello support,\n\nthe signed contract is attached.\n",
        "Attachments": [{"Name": "contract.pdf", "ContentType": "application/pdf",
                         "Content": "", "ContentLength": 0}]}
    data = os.urandom((size - len(json.dumps(payload)) - 16) * 3 // 4)
    payload["Attachments"][0].update(Content=base64.b64encode(data).decode(),
                                     ContentLength=len(data))
    return json.dumps(payload).encode()


def reader_pid(parent: int) -> int | None:
    """The reader: a process forked by the forkserver, itself a child of `parent`."""
    for pid in descendants(parent):
        if "multiprocessing.forkserver" in cmdline(pid):
            children = descendants(pid)
            if children:
                return children[0]
    return None


class _Sampler(threading.Thread):
    """Every process's RSS every 2 ms: the peak of their sum, and the web process's peak in
    each phase (accepting until the HTTP 200, processing until the outcome is committed, then
    the outbox), which tells where its memory goes."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.stopping = pids, threading.Event()
        self.samples: list[tuple[float, dict[str, int]]] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.time(), {k: memory_kib(p) for k, p in self.pids.items()}))
            time.sleep(0.002)

    def together_kib(self) -> int:
        return max((sum(s.values()) for _, s in self.samples), default=0)

    def peak_mb(self, name: str, start: float, end: float) -> float:
        return max((s[name] for t, s in self.samples if start <= t <= end), default=0) * 1024 / 1e6


def _post_postmark(deployment: Deployment, body: bytes) -> dict[str, Any]:
    """One Postmark webhook, then wait until it is processed and its mail sent."""
    first = deployment.last_id()
    started = time.time()
    connection = http.client.HTTPConnection("127.0.0.1", deployment.port, timeout=300)
    connection.request("POST", "/inbound/postmark", body=body, headers={
        "Authorization": BASIC, "Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    acked = time.time()
    if answer.status != 200:
        raise RuntimeError(f"the Postmark webhook was answered {answer.status}")
    processed = deployment.wait_final(first, 1)
    deployment.wait_outbox(120)
    return {"started_wall": started, "acked_wall": acked, "processed_wall": processed}


def _post_raw(deployment: Deployment, message: bytes) -> dict[str, Any]:
    figures = run(deployment, [message], connections=1, outbox_wait=120)
    figures["acked_wall"] = figures["started_wall"] + figures["p50_ms"] / 1000
    return figures


def measure(*, accounts: int = 1000) -> dict[str, Any]:
    """{configuration: {case: figures}}."""
    return {name: _configuration(workers, accounts) for name, workers in CONFIGURATIONS.items()}


def _cases() -> dict[str, tuple[bytes, Callable[[Deployment, bytes], dict[str, Any]]]]:
    return {"ticket_created": (big_message("Dana <dana@customer1.example>", 0), _post_raw),
            "forwarded_unrecognized": (big_message("Eve <eve@stranger.example>", 1), _post_raw),
            "postmark_json_forwarded": (postmark_json("eve@stranger.example", 2), _post_postmark)}


def _configuration(workers: int, accounts: int) -> dict[str, Any]:
    """Each case in a fresh deployment: what one case freed but kept (the allocator's arenas)
    would hide part of the next one's increase."""
    results: dict[str, Any] = {}
    for case, (body, post) in _cases().items():
        with Deployment(accounts=accounts, tickets=accounts, workers=workers) as deployment:
            results[case] = _case(deployment, workers, accounts, body, post)
    return results


def _case(deployment: Deployment, workers: int, accounts: int, body: bytes,
          post: Callable[[Deployment, bytes], dict[str, Any]]) -> dict[str, Any]:
    # A few ordinary messages first: the reader child starts with the first batch.
    run(deployment, mix.build(20, first=10_000_000, accounts=accounts, tickets=accounts))
    pids = {"web": deployment.server.pid}
    worker = deployment.processes[1].pid if workers else worker_child_pid(pids["web"])
    if worker is not None:  # None: the inline worker's threads (CONNECTOR_INLINE_WORKER_PROCESS)
        pids["worker"] = worker
    processing = pids.get("worker", pids["web"])
    reader = reader_pid(processing)
    if reader is None:
        raise RuntimeError("the reader child process was not found")
    pids["reader"] = reader
    time.sleep(1.0)  # settle
    idle = {k: memory_kib(p) for k, p in pids.items()}
    resets = [reset_peak(p) for p in pids.values()]  # every one, then whether all worked
    reset = all(resets)
    sampler = _Sampler(pids)
    sampler.start()
    figures = post(deployment, body)
    sampler.stopping.set()
    sampler.join()
    peak = {k: memory_kib(p, "VmHWM") for k, p in pids.items()}
    result = _figures(len(body), idle, peak, sampler.together_kib(), reset, figures,
                      _outcome(deployment), reader_pid(processing) == reader)
    phases = (("accepting", figures["started_wall"], figures["acked_wall"]),
              ("processing", figures["acked_wall"], figures["processed_wall"]),
              ("after (outbox)", figures["processed_wall"], time.time()))
    result["peak_by_phase_mb"] = {
        name: {phase: sampler.peak_mb(name, start, end) for phase, start, end in phases}
        for name in pids if name != "reader"}
    return result


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
    together_idle = sum(idle.values()) * mb
    return {
        "message_bytes": size, "outcome": outcome, "peak_reset": reset,
        "reader_survived": same_reader,
        "seconds": run_figures["processed_wall"] - run_figures["started_wall"],
        "processes": {k: {"idle_mb": idle[k] * mb, "peak_mb": peak[k] * mb,
                          "increase_mb": increase[k]} for k in peak},
        "together_idle_mb": together_idle, "together_peak_mb": together_kib * mb,
        "together_increase_mb": together_kib * mb - together_idle,
        # The target's measure: what each process needed on top of idle, summed (an upper
        # bound of what all needed at once), over the message size.
        "ratio": sum(increase.values()) * 1e6 / size,
    }


if __name__ == "__main__":
    from bench import report

    report.memory(measure())
