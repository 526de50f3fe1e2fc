"""The worker: claim queued messages, read them, decide, apply, in batches.

Reading (the CPU cost) happens outside any transaction, in reader processes with a time limit
per message (adapters/mail/reader_pool.py), and overlaps with applying: while one batch is
applied here, the next is being read. The decisions of a batch are applied in one transaction
with a savepoint per message, so one bad message fails alone and a batch costs one commit
(README, Performance).
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace

from api.application.apply import ParsedMessage, apply
from api.application.clock import utcnow
from api.application.observability import Metrics, handling
from api.application.runtime_settings import RuntimeSettings
from api.application.xml_transactions import XmlOptions
from domain.decide import decide
from domain.messages import Claimed, Finished, ReadJob, ReadMessage
from domain.model import AutomationRule, MessageView
from domain.ports import Reader, Storage
from domain.reply_reference import candidates
from domain.xml_api import TransactionResult

log = logging.getLogger(__name__)
# Messages per transaction when applying decisions: a claimed batch (32 by default) in one.
# Measured with bench.e2e (1,500 mix messages, interleaved pairs, 2026-12-02): 4 -> 32 took
# processed 296 -> 358+ msg/s in one process and 307 -> 433-467 with the Procfile's worker;
# p99 acknowledgement at 100 msg/s offered 13-17 -> 15-26 ms (durable writers still go first
# between two transactions: adapters/persistence/write_turns.py).
APPLY_CHUNK = 32


@dataclass
class _Batch:
    claimed: list[Claimed]


class Processor:
    def __init__(self, storage: Storage, settings: RuntimeSettings, reader: Reader, *,
                 batch_size: int, lease_seconds: float, max_attempts: int,
                 render_xml: Callable[[TransactionResult], str],
                 metrics: Metrics | None = None,
                 on_outbox: Callable[[], None] = lambda: None) -> None:
        self._render_xml = render_xml
        self._storage = storage
        self._settings = settings
        self._reader = reader
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._metrics = metrics or Metrics()
        self._on_outbox = on_outbox
        self._in_flight: _Batch | None = None
        self.worker_id = secrets.token_hex(4)

    def run_once(self) -> int:
        """Collect the batch being read, start reading the next, and apply the first while the
        reader works on the second. Returns messages handled (0: nothing to do, or off)."""
        previous = self._in_flight
        read = self._reader.collect() if previous is not None else {}
        on = self._settings.current(max_age=0).status == "on"  # fresh: PATCH acts at once
        self._in_flight = self._claim_next() if on else None
        handled = len(self._in_flight.claimed) if self._in_flight else 0
        if previous is not None:
            self._apply(previous, read)
            handled += len(previous.claimed)
        return handled

    def stop(self) -> None:
        """Give messages claimed but not applied back to the queue (a clean shutdown)."""
        if self._in_flight is not None:
            self._reader.close()
            with self._storage.writing() as uow:
                uow.inbox.release(self._in_flight.claimed)
            self._in_flight = None

    def _claim_next(self) -> _Batch | None:
        token = f"{self.worker_id}-{secrets.token_hex(6)}"
        now = utcnow()
        with self._storage.reading() as reading:
            if not reading.inbox.has_claimable(now):
                return None
        with self._storage.writing(durable=False) as uow:
            claimed, given_up = uow.inbox.claim(
                limit=self._batch_size, token=token, now=now,
                lease_seconds=self._lease_seconds, max_attempts=self._max_attempts)
        for inbound_id in given_up:
            with handling(inbound_id):
                log.error("processing interrupted too often: marked failed")
            self._metrics.failures.inc()
        if not claimed:
            return None
        with self._storage.reading() as reading:
            raws = reading.inbox.raw_bytes([c.id for c in claimed])
        # Only while the XML API is on: otherwise XML in a message is just text (SPEC §2).
        xml = bool(self._settings.current().xml_api_enabled)
        self._reader.submit([ReadJob(c.id, raws[c.id], c.envelope_from, xml) for c in claimed])
        return _Batch(claimed)

    def _apply(self, batch: _Batch, read: dict[int, ReadMessage | str]) -> None:
        parsed: list[ParsedMessage] = []
        failures: list[tuple[Claimed, str]] = []
        for claim in batch.claimed:
            result = read[claim.id]
            if isinstance(result, str):  # bad input is data: recorded, never raised to the loop
                failures.append((claim, result))
            else:
                parsed.append(ParsedMessage(claim, _with_envelope(result.view, claim),
                                            result.document))
        self._decide_and_apply(parsed, failures)

    def _decide_and_apply(self, parsed: list[ParsedMessage],
                          failures: list[tuple[Claimed, str]]) -> None:
        # Optimistic first: the whole batch in one transaction without savepoints (two
        # statements fewer per message). If any message fails, all is rolled back and the
        # batch runs again with a savepoint per message, so that one fails alone.
        finished: list[tuple[Claimed, str]] = []
        failed: list[tuple[Claimed, str]] = []
        # Read once a batch, outside the write turn (a read transaction does not wait for it):
        # a rule changed meanwhile applies from the next batch.
        with self._storage.reading() as reading:
            rules = reading.directory.automation_rules()
        for start in range(0, max(len(parsed), 1), APPLY_CHUNK):
            chunk = parsed[start:start + APPLY_CHUNK]
            early = failures if start == 0 else []
            try:
                done, bad = self._decide_and_apply_once(chunk, early, rules, careful=False)
            except _Retry:
                done, bad = self._decide_and_apply_once(chunk, early, rules, careful=True)
            finished += done
            failed += bad
        now = utcnow()
        for claim, error in failed:
            with handling(claim.id):
                log.warning("processing failed: %s", error)
            self._metrics.failures.inc()
        for claim, outcome in finished:
            self._metrics.processed.labels(outcome=str(outcome)).inc()
            self._metrics.latency.observe((now - claim.received_at).total_seconds())
        if finished:
            self._on_outbox()

    def _decide_and_apply_once(self, parsed: list[ParsedMessage],
                               failures: list[tuple[Claimed, str]],
                               rules: tuple[AutomationRule, ...], *, careful: bool
                               ) -> tuple[list[tuple[Claimed, str]], list[tuple[Claimed, str]]]:
        finished: list[tuple[Claimed, str]] = []
        failed = list(failures)
        done: list[Finished] = []  # recorded together at the end, unless careful
        with self._storage.writing(durable=False) as uow:
            now = utcnow()
            values = self._settings.current()
            directory = uow.directory
            policy = replace(self._settings.policy(values, now), automation_rules=rules)
            xml = XmlOptions.from_settings(values, self._render_xml)
            for claim, error in failures:
                uow.inbox.fail(claim, error=error, now=now)
            directory.prefetch_own_message_ids([item.view.message_id or "" for item in parsed])
            for item in parsed:
                with handling(item.claimed.id):
                    try:
                        with uow.savepoint() if careful else nullcontext():
                            decision = decide(item.view, directory, policy)
                            decision, ticket_id = apply(uow, decision, item, values, now, xml=xml)
                            result = Finished(item.claimed, decision.outcome, decision.reason,
                                              ticket_id)
                            if careful and not uow.inbox.finish([result], now=now):
                                raise _ClaimLost
                            done.append(result)
                    except _ClaimLost:
                        # The lease ran out and another worker owns the message: ours is undone.
                        continue
                    except Exception as exc:
                        if not careful:
                            raise _Retry from exc
                        log.exception("processing failed")
                        uow.inbox.fail(item.claimed, error=error_text(exc), now=now)
                        failed.append((item.claimed, "error"))
                        continue
                    finished.append((item.claimed, decision.outcome))
                    log.info("%s: %s", decision.outcome, decision.reason)
            # One statement for the batch's outcomes: a claim lost to another worker (its lease
            # ran out) undoes the batch, which runs again carefully, each message on its own.
            if not careful and not uow.inbox.finish(done, now=now):
                raise _Retry
        return finished, failed


def _with_envelope(view: MessageView, claim: Claimed) -> MessageView:
    """The envelope recipient's sub-address (support+t123-...@, Postmark's MailboxHash) as a
    reply reference candidate, before those the headers and body gave."""
    found = candidates(r for r in claim.envelope_to if "+" in r)
    if not found:
        return view
    return replace(view, reply_references=tuple(dict.fromkeys(found + view.reply_references)))


class _Retry(Exception):
    pass


class _ClaimLost(Exception):
    pass


def error_text(exc: BaseException) -> str:
    """An exception as one line for the processing log: type, message, and where it arose."""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{place}".replace("\x00", "")
