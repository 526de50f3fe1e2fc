"""Delivering the outbox over SMTP: retries with exponential backoff, then `failed`.

A mail is claimed with a lease before it is sent and marked sent right after, so each intent
is sent once; only a crash in the instant between the server's "250 OK" and our commit can
send it again (the same Message-ID, so the receiving side can tell).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from adapters.mail.compose import OutgoingMail, compose
from adapters.mail.smtp import SendFailed, SmtpMailer
from adapters.persistence import inbox, outbox
from adapters.persistence.db import Database
from adapters.persistence.outbox import DueMail
from adapters.persistence.types import utcnow
from adapters.settings import Settings

log = logging.getLogger(__name__)
_MAX_BACKOFF = timedelta(hours=1)


class OutboxSender:
    def __init__(self, db: Database, mailer: SmtpMailer, settings: Settings) -> None:
        self._db = db
        self._mailer = mailer
        self._settings = settings

    def run_once(self, limit: int = 50) -> int:
        with self._db.writing() as session:
            due = outbox.claim_due(session, limit=limit, now=utcnow(), lease_seconds=300,
                                   skip_locked=not self._db.is_sqlite)
        if not due:
            return 0
        originals = self._originals(due)
        outcomes: dict[int, SendFailed | None] = {}
        try:
            with self._mailer.connect() as connection:
                for mail in due:
                    try:
                        data = compose(_outgoing(mail), original=originals.get(mail.id),
                                       allow_8bit=connection.supports_8bit)
                        connection.send(mail.mail_from, mail.to + mail.bcc, data)
                        outcomes[mail.id] = None
                    except SendFailed as exc:
                        outcomes[mail.id] = exc
        except SendFailed as exc:  # could not connect: everything not yet sent is retried
            for mail in due:
                outcomes.setdefault(mail.id, exc)
        self._record(due, outcomes)
        return len(due)

    def _originals(self, due: list[DueMail]) -> dict[int, bytes]:
        wanted = {m.id: m.inbound_message_id for m in due if m.attach_original and m.inbound_message_id}
        if not wanted:
            return {}
        with self._db.reading() as session:
            raws = inbox.raw_bytes(session, list(set(wanted.values())))
        return {mail_id: raws[inbound_id] for mail_id, inbound_id in wanted.items() if inbound_id in raws}

    def _record(self, due: list[DueMail], outcomes: dict[int, SendFailed | None]) -> None:
        now = utcnow()
        with self._db.writing() as session:
            for mail in due:
                error = outcomes.get(mail.id)
                if error is None:
                    outbox.mark_sent(session, mail.id, now)
                elif error.permanent or mail.attempts >= self._settings.outbox_max_attempts:
                    outbox.mark_failed(session, mail.id, f"{error} (after {mail.attempts} attempts)")
                    log.error("outbound message %s failed: %s", mail.id, error)
                else:
                    delay = timedelta(seconds=self._settings.outbox_retry_base_seconds
                                      * 2 ** (mail.attempts - 1))
                    outbox.mark_retry(session, mail.id, str(error), now + min(delay, _MAX_BACKOFF))
                    log.warning("outbound message %s will be retried: %s", mail.id, error)


def _outgoing(mail: DueMail) -> OutgoingMail:
    return OutgoingMail(mail_from=mail.mail_from, to=mail.to, subject=mail.subject,
                        body=mail.body, message_id=mail.message_id, headers=mail.headers)
