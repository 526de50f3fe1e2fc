"""`make run`'s worker in a child process of the web process, as the readers are.

Processing and outbox delivery are Python threads; inside the web process they share one GIL
with the event loop and the ingest writer, and that process topped out at about 2 ms of GIL
time a message (README, Performance). In a child they run on the other core, exactly as the
Procfile's `worker` does (the same build_process, the same loops): the web process keeps HTTP
and ingest.

One duplex pipe joins the two. The web process sends wake-ups (a message stored, mail queued)
and asks for the child's counters when /metrics is scraped; the child answers only those
questions. When the web process goes away, however abruptly, the child reads end-of-file and
stops cleanly (claimed messages go back to the queue); and if the child dies, the web process
starts another one (nothing is lost meanwhile: the claims' leases run out and the messages are
claimed again, README, Crash safety).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

from prometheus_client.metrics_core import Metric

log = logging.getLogger(__name__)

_PROCESSING, _OUTBOX = "p", "o"
METRICS_WAIT_SECONDS = 2.0  # a scrape waits this long for the child's counters, then goes on
RESTART_SECONDS = (1.0, 30.0)  # after an unexpected exit: the first wait, and the longest


class WorkerChild:
    """The parent's side: start, wake, ask for metrics, stop; start again after a crash."""

    def __init__(self, settings: Any) -> None:
        # Every value as validated here: the child builds the same settings, not re-read from
        # an environment that a test or an embedding program may not have set.
        self._values = settings.model_dump()
        self._values["migrate_on_start"] = False  # the web process has migrated already
        self._context = multiprocessing.get_context("spawn")
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._send_lock = threading.Lock()  # wake-ups come from several threads
        self._ask_lock = threading.Lock()  # one metrics question at a time
        self._asked = 0
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._process, self._connection = self._spawn()
        # multiprocessing joins a non-daemonic child at exit (a daemonic one could not start
        # its readers); this runs first and closes the pipe, so that the child ends.
        atexit.register(self.stop)
        self._watch = threading.Thread(target=self._restart_when_gone, name="worker-watch",
                                       daemon=True)
        self._watch.start()

    def wake_processing(self) -> None:
        self._send(_PROCESSING)

    def wake_outbox(self) -> None:
        self._send(_OUTBOX)

    def metrics(self) -> list[Metric]:
        """The child's counters and histograms (none while it is not running or not answering).
        Locks: the question's before the sender's, everywhere."""
        with self._ask_lock:
            connection = self._connection
            if connection is None:
                return []
            self._asked += 1
            if not self._send(("metrics", self._asked)):
                return []
            try:
                while connection.poll(METRICS_WAIT_SECONDS):
                    number, families = connection.recv()
                    if number == self._asked:  # not a late answer to a question given up on
                        return families  # type: ignore[no-any-return]
            except (EOFError, OSError):
                pass
            return []

    def stop(self, timeout: float = 45.0) -> None:
        """End-of-file to the child, which stops its loops and gives back what it claimed."""
        self._stopping.set()
        atexit.unregister(self.stop)
        with self._ask_lock, self._send_lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        if self._process is not None:
            self._process.join(timeout)
            if self._process.is_alive():
                log.error("the worker child did not stop within %.0f s: killed", timeout)
                self._process.kill()
                self._process.join()
        if self._watch is not None:
            self._watch.join(timeout=5)

    def _spawn(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_run_child, args=(self._values, theirs),
                                        name="connector-worker")
        process.start()
        theirs.close()  # only the child holds its end: our exit is its end-of-file
        return process, ours

    def _send(self, request: object) -> bool:
        with self._send_lock:
            if self._connection is None:
                return False
            try:
                self._connection.send(request)
                return True
            except OSError:  # the child is gone: the watch thread starts another
                return False

    def _restart_when_gone(self) -> None:
        wait = RESTART_SECONDS[0]
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            process.join(timeout=1.0)
            if process.is_alive() or self._stopping.is_set():
                continue
            log.error("the worker child exited (code %s); starting another in %.0f s",
                      process.exitcode, wait)
            if self._stopping.wait(wait):
                return
            wait = min(wait * 2, RESTART_SECONDS[1])
            process, connection = self._spawn()
            with self._ask_lock, self._send_lock:
                stopped = self._stopping.is_set()  # then stop() has joined the old child only
                if not stopped:
                    old, self._process, self._connection = self._connection, process, connection
            if stopped:
                connection.close()  # the new child reads end-of-file and ends
                process.join(30)
                return
            if old is not None:
                old.close()


def _run_child(values: dict[str, Any], connection: Connection) -> None:
    """The child: the Procfile worker's process, driven by the pipe."""
    from api.application.observability import configure_logging, counted
    from api.entrypoints.bootstrap import Settings, build_process

    # Ctrl-C in a terminal reaches the whole process group; the web process's shutdown closes
    # the pipe, and that is when the child stops (after the web process stopped taking mail).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    settings = Settings(_env_file=None, **values)
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    services = process.services
    process.start(ingest=False, workers=True)

    def answer() -> None:
        try:
            while True:
                request = connection.recv()
                if request == _PROCESSING:
                    services.wake_processing()
                elif request == _OUTBOX:
                    services.wake_outbox()
                else:
                    connection.send((request[1], counted(services.metrics.registry)))
        except (EOFError, OSError):  # the web process is gone, or stopping
            pass
        finally:
            stopping.set()

    threading.Thread(target=answer, name="parent-pipe", daemon=True).start()
    stopping.wait()
    process.stop()
