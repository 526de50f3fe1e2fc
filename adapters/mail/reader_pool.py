"""Reading messages in a child process, each message under a time limit.

Two reasons. A hostile or pathological message cannot be interrupted inside a thread, but a
child process can be killed: the message fails with a clear error and the worker goes on
(Zammad's 180 s per-message limit, done properly). And parsing, the biggest CPU cost of
processing, runs beside the web process instead of competing with it for the GIL: the worker
hands the reader the next batch, applies the previous one meanwhile, then collects.

A plain pipe to one long-lived child, driven from the worker thread itself (a
multiprocessing.Pool adds three helper threads to the web process, whose GIL hand-offs cost
more CPU than the pickling they do). One batch at a time is in the child, read whole by it
before it answers message by message, so neither side can block the other on a full pipe.

The large bytes cross the pipe as themselves, not pickled: each raw message goes with
send_bytes after the batch's small header, and an attachment over _OUT_OF_BAND comes back the
same way after its ReadMessage (pickling a 30 MB message made a second 30 MB copy on each
side: bench/memory.py).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from adapters.mail.reading import XmlParse, read_or_error
from domain.messages import ReadJob, ReadMessage

log = logging.getLogger(__name__)
_OUT_OF_BAND = 64 * 1024


def _serve(connection: Connection, xml_parse: XmlParse) -> None:
    """The child: for each batch it is sent, send back one result per message, in order."""
    while True:
        try:
            batch = connection.recv()
            raws = [connection.recv_bytes() for _ in batch]
        except EOFError:
            return
        for index, (envelope_from, xml) in enumerate(batch):
            raw, raws[index] = raws[index], b""  # each message freed once read
            _send_result(connection, read_or_error(raw, envelope_from, xml_parse if xml else None))
            del raw


def _send_result(connection: Connection, result: ReadMessage | str) -> None:
    """The result with its large attachments' bytes left out, then those bytes one by one."""
    large: list[int] = []
    if isinstance(result, ReadMessage):
        files = result.document.attachments
        large = [i for i, f in enumerate(files) if len(f.data) > _OUT_OF_BAND]
        if large:
            kept = [replace(f, data=b"") if i in large else f for i, f in enumerate(files)]
            result = ReadMessage(result.view, replace(result.document, attachments=kept))
    connection.send((result, large))
    for index in large:
        connection.send_bytes(files[index].data)


def _receive_result(connection: Connection, read: Callable[[], None]) -> ReadMessage | str:
    """One result; `read` is called as soon as it is known that the child has read it."""
    result, large = connection.recv()
    read()
    if not large:
        return result  # type: ignore[no-any-return]
    files = list(result.document.attachments)
    for index in large:
        files[index] = replace(files[index], data=connection.recv_bytes())
    return ReadMessage(result.view, replace(result.document, attachments=files))


class MessageReader:
    """`processes=0` reads in the calling thread (no time limit; for tools and tests)."""

    def __init__(self, *, processes: int, time_limit: float, xml_parse: XmlParse) -> None:
        self.in_child = processes > 0
        self.time_limit = time_limit
        self._xml_parse = xml_parse  # a module-level function: the child gets it by name
        self._child: Any = None
        self._pipe: Connection | None = None
        self._sent: list[ReadJob] | None = None  # the batch in the child, not yet collected

    def submit(self, jobs: list[ReadJob]) -> None:
        """Start reading a batch (collect it before submitting another)."""
        if self._sent is not None:
            raise RuntimeError("collect the batch being read before submitting another")
        self._sent = jobs
        if self.in_child and jobs:
            self._send(jobs)

    def collect(self) -> dict[int, ReadMessage | str]:
        """Each job's ReadMessage, or the text of the error that stopped it."""
        jobs, self._sent = list(self._sent or []), None
        if not self.in_child:
            return {j.key: read_or_error(j.raw, j.envelope_from,
                                         self._xml_parse if j.xml_enabled else None)
                    for j in jobs}
        results: dict[int, ReadMessage | str] = {}
        unread: list[ReadJob | None] = list(jobs)
        del jobs
        for index in range(len(unread)):
            key = unread[index].key  # type: ignore[union-attr]  # None only once read
            if self._pipe is None:  # the child was killed on an earlier message: a new one
                self._send(unread[index:])  # type: ignore[arg-type]  # none read yet
            assert self._pipe is not None
            try:
                if self._pipe.poll(self.time_limit):
                    # The child is done with this message: its bytes are let go before its
                    # attachments' arrive (else a 30 MB message and its 22 MB file met here).
                    results[key] = _receive_result(self._pipe, partial(unread.__setitem__, index, None))
                    continue
                results[key] = (f"reading the message took longer than {self.time_limit:g} s "
                                "(the limit per message); it was stopped")
                log.error("inbound message %s exceeded the reading time limit", key)
            except (EOFError, OSError) as exc:  # the child died (out of memory, a crash)
                results[key] = f"the reader process failed on this message: {exc!r}"
            unread[index] = None
            self._kill()
        return results

    def read_all(self, jobs: list[ReadJob]) -> dict[int, ReadMessage | str]:
        self.submit(jobs)
        return self.collect()

    def close(self) -> None:
        self._sent = None
        self._kill()

    def _send(self, jobs: list[ReadJob]) -> None:
        if self._pipe is None:
            # forkserver: never fork the threaded web process itself; the child starts from a
            # clean server process that has imported the parsing modules once.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["adapters.mail.reading"])
            ours, theirs = context.Pipe(duplex=True)
            self._child = context.Process(target=_serve, args=(theirs, self._xml_parse),
                                          name="message-reader", daemon=True)
            self._child.start()
            theirs.close()
            self._pipe = ours
        self._pipe.send([(job.envelope_from, job.xml_enabled) for job in jobs])
        for job in jobs:
            self._pipe.send_bytes(job.raw)

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.join()
            self._child = None
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
