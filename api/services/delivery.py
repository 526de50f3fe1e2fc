"""Delivering the outbox over SMTP: retries with exponential backoff, then `failed`.

Each mail is claimed with a lease, and recorded as sent at the commit point inside the SMTP
transaction (see adapters/mail/smtp.py), so a crash at any moment never sends it twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from adapters.mail.compose import OutgoingMail, compose
from adapters.mail.smtp import SendFailed, SmtpConnection, SmtpMailer
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
        try:
            with self._mailer.connect() as connection:
                for mail in due:
                    self._send(connection, mail, originals.get(mail.id))
        except SendFailed as exc:  # could not connect: all of them are retried
            for mail in due:
                self._failed(mail, exc)
        return len(due)

    def _send(self, connection: SmtpConnection, mail: DueMail, original: bytes | None) -> None:
        data = compose(_outgoing(mail), original=original, allow_8bit=connection.supports_8bit)

        def record_sent() -> None:
            with self._db.writing() as session:
                outbox.mark_sent(session, mail.id, utcnow())

        try:
            refused = connection.send(mail.mail_from, mail.to + mail.bcc, data, record_sent)
        except SendFailed as exc:
            self._failed(mail, exc)
            return
        if refused:
            with self._db.writing() as session:
                outbox.note(session, mail.id, f"sent, but refused for: {', '.join(refused)}")

    def _failed(self, mail: DueMail, error: SendFailed) -> None:
        now = utcnow()
        with self._db.writing() as session:
            if error.permanent or mail.attempts >= self._settings.outbox_max_attempts:
                outbox.mark_failed(session, mail.id, f"{error} (after {mail.attempts} attempts)")
                log.error("outbound message %s failed: %s", mail.id, error)
                return
            delay = timedelta(seconds=self._settings.outbox_retry_base_seconds * 2 ** (mail.attempts - 1))
            outbox.mark_retry(session, mail.id, str(error), now + min(delay, _MAX_BACKOFF))
            log.warning("outbound message %s will be retried: %s", mail.id, error)

    def _originals(self, due: list[DueMail]) -> dict[int, bytes]:
        wanted = {m.id: m.inbound_message_id for m in due if m.attach_original and m.inbound_message_id}
        if not wanted:
            return {}
        with self._db.reading() as session:
            raws = inbox.raw_bytes(session, list(set(wanted.values())))
        return {mail_id: raws[inbound_id] for mail_id, inbound_id in wanted.items() if inbound_id in raws}


def _outgoing(mail: DueMail) -> OutgoingMail:
    return OutgoingMail(mail_from=mail.mail_from, to=mail.to, subject=mail.subject,
                        body=mail.body, message_id=mail.message_id, headers=mail.headers)
