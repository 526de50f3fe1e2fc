"""Use cases on the connector itself: its settings, queue figures, the outgoing-mail checks
(the original's "Test SMTP Connection" and "Send Test Email"), and readiness."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from api.application import authoring
from api.application.acknowledgement_text import AcknowledgementPreview, Templates, preview
from api.application.clock import utcnow
from api.application.delivery import smtp_server
from api.application.mailboxes import mailbox_servers
from api.application.runtime_settings import Values
from api.application.services import Services
from api.application.xml_transactions import XmlOptions, run_transactions
from domain.errors import Forbidden, StorageUnavailable
from domain.messages import MailboxHealth
from domain.model import OutboxStatus

STUCK_OUTBOX = timedelta(hours=1)
TEST_MAIL_WAIT_SECONDS = 30.0


def connector_state(app: Services) -> tuple[Values, int, int]:
    """The current settings, the queued messages and the outbox backlog."""
    with app.storage.reading() as uow:
        queued, backlog = uow.inbox.queue_depth(), uow.outbox.backlog()
    return app.settings.current(max_age=0), queued, backlog


def change_settings(app: Services, *, changes: dict[str, Any]) -> tuple[Values, int, int]:
    """Change runtime settings (each process sees them at its next use); status at once."""
    app.settings.update(changes)
    app.wake_processing()
    return connector_state(app)


def smtp_check(app: Services) -> tuple[bool, str]:
    return app.mailer.check(smtp_server(app.settings.current(max_age=0)))


def imap_check(app: Services) -> tuple[bool, str]:
    """Connect and log in to each IMAP mailbox of the settings, and open its folder."""
    return _check_mailboxes(app, "imap", app.imap, "no IMAP mailbox is configured "
                            "(CONNECTOR_IMAP_HOST)")


def pop3_check(app: Services) -> tuple[bool, str]:
    """Connect and log in to each POP3 maildrop of the settings."""
    return _check_mailboxes(app, "pop3", app.pop3, "no POP3 mailbox is configured "
                            "(CONNECTOR_POP3_HOST)")


def _check_mailboxes(app: Services, protocol: str, client: Any,
                     none: str) -> tuple[bool, str]:
    try:
        servers = mailbox_servers(app.settings.current(max_age=0), protocol)
    except ValueError as exc:
        return False, str(exc)
    if not servers or client is None:
        return False, none
    answers = [client.check(server) for server in servers]
    if len(answers) == 1:
        ok, detail = answers[0]
        return bool(ok), str(detail)
    return (all(ok for ok, _ in answers), "; ".join(
        f"{server.name}: {detail}" for server, (_, detail) in zip(servers, answers, strict=True)))


def send_test_email(app: Services, *, to: str, sender: str | None) -> tuple[bool, str]:
    """Queue a test mail in the outbox like every other mail, and wait for its delivery."""
    queued = authoring.test_mail(app.settings.current(max_age=0), to=to, sender=sender)
    with app.storage.writing() as uow:
        mail_id = uow.outbox.add(queued, utcnow())
    app.wake_outbox()
    deadline = utcnow() + timedelta(seconds=TEST_MAIL_WAIT_SECONDS)
    while True:
        app.outbox.run_once()  # deliver now, in this thread: the answer says what happened
        with app.storage.reading() as uow:
            mail = uow.records.get("outbound_message", mail_id)
        if mail.status == OutboxStatus.SENT:
            return True, f"test email sent to {to}"
        if mail.status == OutboxStatus.FAILED or utcnow() > deadline:
            return False, mail.last_error or "not sent yet"
        time.sleep(0.05)  # another worker has it: wait for its answer


def acknowledgement_preview(app: Services, *, sender_name: str, sender_address: str,
                            subject: str, ticket_id: int, subject_template: str | None = None,
                            body_template: str | None = None, html_template: str | None = None
                            ) -> AcknowledgementPreview:
    """The acknowledgement as a sample sender would receive it, with the current templates or
    with the ones given (to try them before saving); nothing is stored or sent."""
    values = app.settings.current(max_age=0)
    saved = Templates.of(values)
    templates = Templates(subject_template if subject_template is not None else saved.subject,
                          body_template if body_template is not None else saved.body,
                          html_template if html_template is not None else saved.html)
    return preview(values, sender_name=sender_name, sender_address=sender_address,
                   subject=subject, ticket_id=ticket_id, templates=templates,
                   reference=authoring.reference_for(values, ticket_id))


def readiness(app: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with app.storage.reading() as uow:
            oldest = uow.outbox.oldest_pending()
            mailboxes = uow.mailboxes.health()
        checks["database"] = "ok"
        stuck = oldest is not None and utcnow() - oldest > STUCK_OUTBOX
        checks["outbox"] = "stuck: mail pending for over an hour (check SMTP)" if stuck else "ok"
        for mailbox in mailboxes:  # informative: a mailbox down does not make us unready
            checks[f"mailbox {mailbox.name}"] = _mailbox_state(mailbox)
    except StorageUnavailable as exc:
        checks["database"] = f"unavailable: {exc}"
    return checks


def _mailbox_state(mailbox: MailboxHealth) -> str:
    taken = f"{mailbox.taken} messages taken"
    success = mailbox.last_success.isoformat() if mailbox.last_success else "never"
    if mailbox.last_error:
        return f"error: {mailbox.last_error} (last success {success}; {taken})"
    if not mailbox.connected:
        return f"not connected (last success {success}; {taken})"
    return f"ok (last success {success}; {taken})"


def refresh_metrics(app: Services) -> None:
    with app.storage.reading() as uow:
        app.metrics.queue_depth.set(uow.inbox.queue_depth())
        app.metrics.outbox_backlog.set(uow.outbox.backlog())
        mailboxes = uow.mailboxes.health()
    for mailbox in mailboxes:
        app.metrics.mailbox_connected.labels(mailbox=mailbox.name).set(int(mailbox.connected))
        app.metrics.mailbox_taken.labels(mailbox=mailbox.name).set(mailbox.taken)
        if mailbox.last_success is not None:
            app.metrics.mailbox_last_success.labels(mailbox=mailbox.name).set(
                mailbox.last_success.timestamp())


def xml_over_http(app: Services, *, body: bytes) -> tuple[bool, str]:
    """One XML transaction (docs/xml-api.md): the response document, and whether all was OK."""
    values = app.settings.current(max_age=0)
    if not values.xml_api_enabled:
        raise Forbidden("the XML API is turned off (CONNECTOR_XML_API_ENABLED)")
    transaction = app.xml.parse(body)
    with app.storage.writing() as uow:
        [result] = run_transactions(uow, [transaction], now=utcnow(),
                                    options=XmlOptions.from_settings(values, app.xml.render))
    return result.ok, app.xml.render(result)
