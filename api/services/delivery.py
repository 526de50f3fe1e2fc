"""Delivering the outbox over SMTP: retries with exponential backoff, then `failed`.

Each mail is claimed with a lease and recorded as handed over at the commit point inside the
SMTP transaction (see adapters/mail/smtp.py), so a crash at any moment never sends it twice.
The server's acceptance is recorded with the next mail's commit (one commit per mail); after a
crash, a mail accepted but not yet recorded shows as sent and unconfirmed.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from sqlmodel import Session

from adapters.mail.compose import OutgoingMail, compose
from adapters.mail.smtp import SendFailed, SmtpConnection, SmtpMailer
from adapters.persistence import inbox, outbox
from adapters.persistence.db import Database
from adapters.persistence.outbox import DueMail
from adapters.persistence.types import utcnow
from adapters.settings import Settings
from api.observability import Metrics, handling

log = logging.getLogger(__name__)
_MAX_BACKOFF = timedelta(hours=1)


class OutboxSender:
    def __init__(self, db: Database, mailer: SmtpMailer, settings: Settings,
                 metrics: Metrics | None = None) -> None:
        self._db = db
        self._mailer = mailer
        self._settings = settings
        self._metrics = metrics
        self._accepted: list[tuple[DueMail, str | None]] = []  # accepted, not yet recorded

    def run_once(self, limit: int = 10) -> int:
        with self._db.writing(durable=False) as session:
            due = outbox.claim_due(session, limit=limit, now=utcnow(),
                                   lease_seconds=self._settings.lease_seconds,
                                   skip_locked=not self._db.is_sqlite)
        if not due:
            return 0
        originals = self._originals(due)
        unsent = list(due)
        try:
            with self._mailer.connect() as connection:
                while unsent:
                    mail = unsent.pop(0)
                    with handling(mail.inbound_message_id):
                        self._send(connection, mail, originals.get(mail.id))
        except SendFailed as exc:  # no connection (any more): what is left is retried
            for mail in unsent:
                with handling(mail.inbound_message_id):
                    self._failed(mail, exc)
        except _ClaimLost:
            # Our lease ran out and another worker claimed the mail: it sends it, not us. The
            # rest of our batch returns to the queue when its lease runs out.
            log.warning("outbound mail claim lost to another worker; batch abandoned")
        finally:
            if self._accepted:
                with self._db.writing(durable=False) as session:
                    self._record_accepted(session)
        return len(due)

    def _record_accepted(self, session: Session) -> None:
        now = utcnow()
        for mail, note in self._accepted:
            outbox.mark_sent(session, mail, now, note=note)
            self._metrics_sent(mail, "sent")
        self._accepted.clear()

    def _send(self, connection: SmtpConnection, mail: DueMail, original: bytes | None) -> None:
        data = compose(_outgoing(mail), original=original, allow_8bit=connection.supports_8bit)

        def record_handed_over() -> None:
            # One commit per mail: the mails the server already accepted are recorded as sent
            # in the same transaction that records this one as handed over.
            with self._db.writing() as session:
                self._record_accepted(session)
                if not outbox.mark_handed_over(session, mail):
                    raise _ClaimLost

        try:
            refused = connection.send(mail.mail_from, mail.to + mail.bcc, data, record_handed_over)
        except SendFailed as exc:
            if exc.unconfirmed:  # resending could deliver it twice: say so, do not resend
                with self._db.writing() as session:
                    outbox.mark_sent(session, mail, utcnow(), note=f"delivery unconfirmed: {exc}")
                raise
            self._failed(mail, exc)
            if _is_connection_error(exc):
                raise
            return
        self._accepted.append((mail, f"sent, but refused for: {', '.join(refused)}" if refused else None))

    def _failed(self, mail: DueMail, error: SendFailed) -> None:
        now = utcnow()
        with self._db.writing() as session:
            if error.permanent or mail.attempts >= self._settings.outbox_max_attempts:
                outbox.mark_failed(session, mail, f"{error} (after {mail.attempts} attempts)")
                log.error("outbound message %s failed: %s", mail.id, error)
                self._metrics_sent(mail, "failed")
                return
            delay = timedelta(seconds=self._settings.outbox_retry_base_seconds * 2 ** (mail.attempts - 1))
            outbox.mark_retry(session, mail, str(error), now + min(delay, _MAX_BACKOFF))
            log.warning("outbound message %s will be retried: %s", mail.id, error)
            self._metrics_sent(mail, "retry")

    def _metrics_sent(self, mail: DueMail, result: str) -> None:
        if self._metrics is not None:
            self._metrics.outbound.labels(kind=mail.kind, result=result).inc()

    def _originals(self, due: list[DueMail]) -> dict[int, bytes]:
        wanted = {m.id: m.inbound_message_id for m in due if m.attach_original and m.inbound_message_id}
        if not wanted:
            return {}
        with self._db.reading() as session:
            raws = inbox.raw_bytes(session, list(set(wanted.values())))
        return {mail_id: raws[inbound_id] for mail_id, inbound_id in wanted.items() if inbound_id in raws}


class _ClaimLost(Exception):
    pass


def _is_connection_error(error: SendFailed) -> bool:
    """The connection broke mid-mail: the rest of the batch cannot go out on it either."""
    return isinstance(error.__cause__, (OSError, smtplib.SMTPServerDisconnected))


def _outgoing(mail: DueMail) -> OutgoingMail:
    return OutgoingMail(mail_from=mail.mail_from, to=mail.to, subject=mail.subject,
                        body=mail.body, message_id=mail.message_id, headers=mail.headers)
