"""The worker: claim queued messages, parse them, decide, apply, in batches.

Parsing (the CPU cost) happens outside any transaction; the decisions of a batch are applied
in one transaction with a savepoint per message, so one bad message fails alone and a batch
costs one commit (performance-notes.md, "Processing").
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable
from dataclasses import replace

from adapters.mail.headers import parse_message
from adapters.mail.view import message_view
from adapters.persistence import inbox
from adapters.persistence.db import Database
from adapters.persistence.directory import SqlDirectory
from adapters.persistence.inbox import Claimed
from adapters.persistence.types import utcnow
from adapters.settings import Settings
from adapters.xml.extract import transactions_in
from api.services.apply import ParsedMessage, apply
from api.services.runtime_config import RuntimeConfig
from api.services.xml_transactions import XmlOptions
from domain.decide import decide

log = logging.getLogger(__name__)


class Processor:
    def __init__(self, db: Database, config: RuntimeConfig, settings: Settings,
                 on_outbox: Callable[[], None] = lambda: None) -> None:
        self._db = db
        self._config = config
        self._settings = settings
        self._on_outbox = on_outbox
        self._xml = XmlOptions.from_settings(settings)
        self.worker_id = secrets.token_hex(4)

    def run_once(self) -> int:
        """Process one batch; returns how many messages it took (0: nothing to do, or off)."""
        if self._config.state().status != "on":
            return 0
        token = f"{self.worker_id}-{secrets.token_hex(6)}"
        with self._db.writing() as session:
            claimed, given_up = inbox.claim(
                session, limit=self._settings.batch_size, token=token, now=utcnow(),
                lease_seconds=self._settings.lease_seconds,
                max_attempts=self._settings.max_processing_attempts,
                skip_locked=not self._db.is_sqlite,
            )
        for inbound_id in given_up:
            log.error("inbound message %s failed: processing interrupted too often", inbound_id)
        if not claimed:
            return len(given_up)
        with self._db.reading() as session:
            raws = inbox.raw_bytes(session, [c.id for c in claimed])
        parsed: list[ParsedMessage] = []
        failures: list[tuple[Claimed, str]] = []
        for claim in claimed:
            try:
                parsed.append(_parse(claim, raws[claim.id],
                                     xml_enabled=self._settings.xml_api_enabled))
            except Exception as exc:  # bad input is data: recorded, never raised to the loop
                failures.append((claim, _error_text(exc)))
        self._decide_and_apply(parsed, failures)
        return len(claimed) + len(given_up)

    def _decide_and_apply(self, parsed: list[ParsedMessage],
                          failures: list[tuple[Claimed, str]]) -> None:
        queued_mail = False
        with self._db.writing() as session:
            now = utcnow()
            state = self._config.state()
            directory = SqlDirectory(session)
            policy = replace(self._config.policy(now),
                             automation_rules=directory.automation_rules())
            for claim, error in failures:
                inbox.fail(session, claim, error=error, now=now)
            for item in parsed:
                try:
                    with session.begin_nested():  # a savepoint: one bad message fails alone
                        decision = decide(item.view, directory, policy)
                        decision, ticket_id = apply(session, decision, item, state, now,
                                                    xml=self._xml)
                        if not inbox.finish(session, item.claimed, outcome=decision.outcome,
                                            reason=decision.reason, ticket_id=ticket_id, now=now):
                            raise _ClaimLost
                except _ClaimLost:
                    # The lease ran out and another worker owns the message now: ours is undone.
                    continue
                except Exception as exc:
                    log.exception("inbound message %s failed", item.claimed.id)
                    inbox.fail(session, item.claimed, error=_error_text(exc), now=now)
                    continue
                queued_mail = True
                log.info("inbound message %s: %s (%s)", item.claimed.id, decision.outcome,
                         decision.reason)
        if queued_mail:
            self._on_outbox()


class _ClaimLost(Exception):
    pass


def _parse(claim: Claimed, raw: bytes, *, xml_enabled: bool) -> ParsedMessage:
    msg = parse_message(raw)
    view = message_view(msg, envelope_from=claim.envelope_from)
    if xml_enabled:
        # Only while the API is on: otherwise XML in a message is just text (SPEC §2 step 3).
        view = replace(view, xml=transactions_in(msg))
    return ParsedMessage(claimed=claim, raw=raw, msg=msg, view=view)


def _error_text(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"
