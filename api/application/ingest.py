"""Durable ingest with group commit.

Requests hand their delivery to one writer thread and wait; the writer stores everything that
arrived while the previous commit was running in one transaction, commits (fsync), and only then
answers each request. One fsync is shared by many messages, and no request is answered before
its message is on disk (SPEC §2 step 1). Measured design: README, Performance.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from api.application.clock import private_folder, utcnow
from api.application.loops import name_os_thread
from api.application.observability import Metrics, handling
from domain.dedupe import dedupe_keys
from domain.errors import StorageConflict
from domain.messages import HeaderSummary, InboundDelivery, PreparedDelivery, ReplayToken, Stored
from domain.ports import Storage

log = logging.getLogger(__name__)
_INLINE_PREPARE_BYTES = 512 * 1024


Summarize = Callable[[bytes], HeaderSummary]


def prepare(delivery: InboundDelivery, summarize: Summarize,
            replay: ReplayToken | None = None) -> PreparedDelivery:
    summary = summarize(delivery.raw)
    sha256 = hashlib.sha256(delivery.raw).hexdigest()
    recipients = delivery.envelope_to
    keys = dedupe_keys(source=delivery.source, provider_event_id=delivery.provider_event_id,
                       message_id=summary.message_id, recipients=recipients, raw_sha256=sha256)
    return PreparedDelivery(delivery, summary, sha256, keys, replay)


@dataclass(slots=True)
class _Job:
    item: PreparedDelivery
    future: Future[Stored]


class IngestWriter:
    def __init__(self, storage: Storage, summarize: Summarize, *, backup_dir: Path | None = None,
                 on_stored: Callable[[], None] = lambda: None, metrics: Metrics | None = None,
                 max_batch: int = 64, max_batch_bytes: int = 16 * 1024 * 1024) -> None:
        self._storage = storage
        self._summarize = summarize
        self._metrics = metrics
        self._backup_dir = backup_dir
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._max_batch_bytes = max_batch_bytes
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    async def submit(self, delivery: InboundDelivery, replay: ReplayToken | None = None) -> Stored:
        if len(delivery.raw) > _INLINE_PREPARE_BYTES:  # hashing 30 MB must not stall the loop
            item = await asyncio.to_thread(prepare, delivery, self._summarize, replay)
        else:
            item = prepare(delivery, self._summarize, replay)
        return await asyncio.wrap_future(self._enqueue(item))

    def store(self, delivery: InboundDelivery) -> Stored:
        """The same, for synchronous callers (pollers, scripts, tests)."""
        item = prepare(delivery, self._summarize)
        if self._thread is None:
            return self._write([item])[0]
        return self._enqueue(item).result()

    def _enqueue(self, item: PreparedDelivery) -> Future[Stored]:
        future: Future[Stored] = Future()
        self._queue.put(_Job(item, future))
        return future

    def _run(self) -> None:
        name_os_thread("ingest-writer")
        while True:
            job = self._queue.get()
            if job is None:
                return
            stop = self._write_batch(job)
            # Not kept while waiting for the next request: the batch held the last messages'
            # bytes (30 MB for one large mail) until another arrived.
            del job
            if stop:
                return

    def _write_batch(self, job: _Job) -> bool:
        """Store `job` with whatever else is waiting; True when a stop was asked for."""
        batch = [job]
        size = len(job.item.delivery.raw)
        stop = False
        while len(batch) < self._max_batch and size < self._max_batch_bytes:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                stop = True
                break
            batch.append(nxt)
            size += len(nxt.item.delivery.raw)
        try:
            results = self._write([j.item for j in batch])
        except Exception as exc:  # storage down: every waiting request gets the error (5xx)
            for j in batch:
                j.future.set_exception(exc)
        else:
            for j, result in zip(batch, results, strict=True):
                j.future.set_result(result)
            self._after_commit(batch, results)
        return stop

    def _write(self, items: list[PreparedDelivery], tries: int = 3) -> list[Stored]:
        try:
            with self._storage.writing() as uow:
                return uow.inbox.store(items, utcnow())
        except StorageConflict:
            # Another process stored one of these keys between our read and our insert: run
            # the batch again, and that delivery is now seen as the duplicate it is.
            if tries <= 1:
                raise
            return self._write(items, tries - 1)

    def _after_commit(self, batch: list[_Job], results: list[Stored]) -> None:
        if any(r.status == "queued" for r in results):
            self._on_stored()
        for job, result in zip(batch, results, strict=True):
            with handling(result.id):
                log.debug("stored (%s, %s bytes, %s)", job.item.delivery.source,
                          len(job.item.delivery.raw), result.status)
            if self._metrics is not None:
                self._metrics.received.labels(source=job.item.delivery.source,
                                              status=result.status).inc()
        if self._backup_dir is None:
            return
        for job, result in zip(batch, results, strict=True):
            if result.status == "queued":
                self._backup(result.id, job.item.delivery.raw)

    def _backup(self, inbound_id: int, raw: bytes) -> None:
        assert self._backup_dir is not None
        day = utcnow().strftime("%Y-%m-%d")
        folder = self._backup_dir / day
        try:
            private_folder(folder)
            target = folder / f"{inbound_id:010d}.eml"
            temporary = target.with_suffix(".tmp")
            # Owner only: a copy of a customer's mail is as private as the database.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            os.replace(temporary, target)
        except OSError as exc:  # the database holds the message; the backup is an extra copy
            log.warning("backup copy of inbound message %s failed: %s", inbound_id, exc)
