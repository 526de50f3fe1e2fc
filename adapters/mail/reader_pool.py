"""Reading messages in a child process, each message under a time limit.

Two reasons. A hostile or pathological message cannot be interrupted inside a thread, but a
child process can be killed: the message fails with a clear error and the worker goes on
(Zammad's 180 s per-message limit, done properly). And parsing, the biggest CPU cost of
processing, runs beside the web process instead of competing with it for the GIL: the worker
hands the reader the next batch, applies the previous one meanwhile, then collects.

A plain pipe to each long-lived child (CONNECTOR_READER_PROCESSES, 2 by default), driven from
the worker thread itself (a multiprocessing.Pool adds three helper threads to the web process,
whose GIL hand-offs cost more CPU than the pickling they do). Each child gets a contiguous share
of one batch at a time, read whole by it before it answers message by message, so neither side
can block the other on a full pipe.

The large bytes cross the pipe as themselves, not pickled: each raw message goes with
send_bytes after the batch's small header, and an attachment over _OUT_OF_BAND comes back the
same way after its ReadMessage (pickling a 30 MB message made a second 30 MB copy on each
side: bench/memory.py). A large message is received into a bytearray, in which its large
base64 files are decoded over their own text (adapters/mail/transfer.py): the child holds a
30 MB message once, not the message and its file.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from adapters.mail.large_bodies import LARGE
from adapters.mail.reading import XmlParse, read_or_error
from domain.messages import ReadJob, ReadMessage

log = logging.getLogger(__name__)
_OUT_OF_BAND = 64 * 1024
_PIECE = 256 * 1024  # a large message crosses in pieces of this size
READER_NICENESS = 10  # added to the starting process's (os.nice): _yield_the_cpu


def _serve(connection: Connection, xml_parse: XmlParse) -> None:
    """The child: for each batch it is sent, send back one result per message, in order."""
    _yield_the_cpu()
    while True:
        try:
            batch = connection.recv()
            raws = [_received(connection, size) for _, _, size in batch]
        except EOFError:
            return
        for index, (envelope_from, xml, _) in enumerate(batch):
            raw, raws[index] = raws[index], b""  # each message freed once read
            _send_result(connection, read_or_error(raw, envelope_from, xml_parse if xml else None))
            del raw


def _yield_the_cpu() -> None:
    """Run at a lower priority than the process that started us. On a busy machine the CPU
    goes first to the threads that hold or wait for the database's one write turn (ingest,
    processing, outbox: write_turns.py) and to the event loop: the turn was held all the time
    at saturation, and reading is the work that can wait. An idle machine gives the readers
    all they ask for. Measured (`make run`, 3 interleaved pairs of bench.e2e, 3,000 mix
    messages, 2026-12-03): processed 283-298 -> 342-370 msg/s, accepted 288-300 -> 432-448,
    p99 68-77 -> 53-58 ms. Niceness 5 and 19 did not differ from 10 beyond the noise."""
    with contextlib.suppress(OSError):  # not permitted here: read at the same priority
        os.nice(READER_NICENESS)


def _received(connection: Connection, size: int) -> bytes | bytearray:
    """One raw message; a large one into a bytearray, in the pieces it was sent in (a piece
    passes through a buffer of its own: the whole message at once would be held twice)."""
    if size < LARGE:
        return connection.recv_bytes()
    buffer, position = bytearray(size), 0
    while position < size:
        position += connection.recv_bytes_into(buffer, position)
    return buffer


def _send_raw(connection: Connection, raw: bytes) -> None:
    if len(raw) < LARGE:
        connection.send_bytes(raw)
        return
    for start in range(0, len(raw), _PIECE):
        connection.send_bytes(raw, start, min(_PIECE, len(raw) - start))


def _send_result(connection: Connection, result: ReadMessage | str) -> None:
    """The result with its large attachments' bytes left out, then those bytes one by one."""
    large: list[int] = []
    if isinstance(result, ReadMessage):
        files = result.document.attachments
        large = [i for i, f in enumerate(files)
                 if len(f.data) > _OUT_OF_BAND or isinstance(f.data, memoryview)]
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


class _Child:
    """One reader child and its pipe: started at its first batch, killed when a message takes
    too long or kills it (and started again for the next)."""

    def __init__(self, xml_parse: XmlParse) -> None:
        self._xml_parse = xml_parse
        self.process: Any = None
        self.pipe: Connection | None = None

    def send(self, jobs: list[ReadJob]) -> None:
        if self.pipe is None:
            # forkserver: never fork the threaded web process itself; the child starts from a
            # clean server process that has imported the parsing modules once.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["adapters.mail.reading"])
            ours, theirs = context.Pipe(duplex=True)
            self.process = context.Process(target=_serve, args=(theirs, self._xml_parse),
                                           name="message-reader", daemon=True)
            self.process.start()
            theirs.close()
            self.pipe = ours
        self.pipe.send([(job.envelope_from, job.xml_enabled, len(job.raw)) for job in jobs])
        for job in jobs:
            _send_raw(self.pipe, job.raw)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None


class MessageReader:
    """`processes=0` reads in the calling thread (no time limit; for tools and tests). With
    several, each child reads a contiguous share of the batch, side by side: measured with the
    Procfile's worker, it waited for its one reader about a third of the time."""

    def __init__(self, *, processes: int, time_limit: float, xml_parse: XmlParse) -> None:
        self.in_child = processes > 0
        self.time_limit = time_limit
        self._xml_parse = xml_parse  # a module-level function: the child gets it by name
        self._children = [_Child(xml_parse) for _ in range(processes)]
        self._sent: list[list[ReadJob]] | None = None  # each child's share, not yet collected

    def submit(self, jobs: list[ReadJob]) -> None:
        """Start reading a batch (collect it before submitting another)."""
        if self._sent is not None:
            raise RuntimeError("collect the batch being read before submitting another")
        if not self.in_child:
            self._sent = [jobs]
            return
        size = -(-len(jobs) // len(self._children)) or 1
        self._sent = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        for child, share in zip(self._children, self._sent, strict=False):
            child.send(share)

    def collect(self) -> dict[int, ReadMessage | str]:
        """Each job's ReadMessage, or the text of the error that stopped it."""
        shares, self._sent = self._sent or [], None
        if not self.in_child:
            return {j.key: read_or_error(j.raw, j.envelope_from,
                                         self._xml_parse if j.xml_enabled else None)
                    for share in shares for j in share}
        results: dict[int, ReadMessage | str] = {}
        for child, share in zip(self._children, shares, strict=False):
            results.update(self._collect(child, share))
        return results

    def _collect(self, child: _Child, share: list[ReadJob]) -> dict[int, ReadMessage | str]:
        results: dict[int, ReadMessage | str] = {}
        unread: list[ReadJob | None] = list(share)
        share.clear()  # unread holds the jobs, each let go once read
        for index in range(len(unread)):
            key = unread[index].key  # type: ignore[union-attr]  # None only once read
            if child.pipe is None:  # the child was killed on an earlier message: a new one
                child.send(unread[index:])  # type: ignore[arg-type]  # none read yet
            assert child.pipe is not None
            try:
                if child.pipe.poll(self.time_limit):
                    # The child is done with this message: its bytes are let go before its
                    # attachments' arrive (else a 30 MB message and its 22 MB file met here).
                    results[key] = _receive_result(child.pipe,
                                                   partial(unread.__setitem__, index, None))
                    continue
                results[key] = (f"reading the message took longer than {self.time_limit:g} s "
                                "(the limit per message); it was stopped")
                log.error("inbound message %s exceeded the reading time limit", key)
            except (EOFError, OSError) as exc:  # the child died (out of memory, a crash)
                results[key] = f"the reader process failed on this message: {exc!r}"
            unread[index] = None
            child.kill()
        return results

    def read_all(self, jobs: list[ReadJob]) -> dict[int, ReadMessage | str]:
        self.submit(jobs)
        return self.collect()

    def close(self) -> None:
        self._sent = None
        for child in self._children:
            child.kill()
