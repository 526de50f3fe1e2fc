"""The connector's own settings and the outgoing-mail checks (the original's Verification Tests)."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.mail.compose import OutgoingMail, compose, new_message_id
from adapters.mail.smtp import SendFailed
from adapters.persistence import inbox, outbox
from adapters.persistence.types import utcnow
from api.deps import ContainerDep
from api.routes.common import AUTH, body_errors, errors
from api.schemas import CheckResult, ConnectorPublic, ConnectorUpdate, TestEmailRequest

router = APIRouter(prefix="/api/v1/connector", tags=["connector"], dependencies=AUTH,
                   responses=errors())


def _public(container: ContainerDep) -> ConnectorPublic:
    state = container.config.state()
    with container.db.reading() as session:
        queued, backlog = inbox.queue_depth(session), outbox.backlog(session)
    return ConnectorPublic(
        status=state.status, public_address=state.public_address,  # type: ignore[arg-type]
        support_team_address=state.support_team_address, from_address=state.from_address,
        acknowledge_new_tickets=state.acknowledge_new_tickets,
        acknowledgements_per_hour=state.acknowledgements_per_hour,
        forwards_per_sender_per_hour=state.forwards_per_sender_per_hour,
        undeliverable_days=state.undeliverable_days,
        xml_api_enabled=container.settings.xml_api_enabled,
        queued_messages=queued, outbox_backlog=backlog,
    )


@router.get("", response_model=ConnectorPublic)
def get_connector(container: ContainerDep) -> ConnectorPublic:
    """Status and addresses; queue depth and outbox backlog."""
    return _public(container)


@router.patch("", response_model=ConnectorPublic, responses=body_errors(422))
def update_connector(body: ConnectorUpdate, container: ContainerDep) -> ConnectorPublic:
    """Turn processing on or off (at once, no restart) and change the addresses.

    While off, messages are still accepted and wait as `queued`; they are processed in arrival
    order once it is on again.
    """
    container.config.update(body.model_dump(exclude_unset=True))
    container.wake_processing()
    return _public(container)


@router.post("/smtp-check", response_model=CheckResult)
def smtp_check(container: ContainerDep) -> CheckResult:
    """Connect (and authenticate, when configured) to the outgoing SMTP server."""
    ok, detail = container.mailer.check()
    return CheckResult(ok=ok, detail=detail)


@router.post("/test-email", response_model=CheckResult, responses=body_errors(422))
def test_email(body: TestEmailRequest, container: ContainerDep) -> CheckResult:
    """Send a test email now, through the configured SMTP server, and record it."""
    state = container.config.state()
    sender = body.from_ or state.from_address
    mail = OutgoingMail(
        mail_from=sender, to=[body.to], subject="Email Connector test email",
        body="This is a test email sent by Email Connector to check the outgoing mail settings.\n",
        message_id=new_message_id(state.message_id_domain, "test"),
        headers={"Auto-Submitted": "auto-generated", "X-Loop": state.public_address},
    )
    now = utcnow()
    try:
        with container.mailer.connect() as connection:
            connection.send(sender, [body.to], compose(mail))
        ok, detail = True, f"test email sent to {body.to}"
    except SendFailed as exc:
        ok, detail = False, str(exc)
    with container.db.writing() as session:
        mail_id = outbox.add(session, kind="test", purpose_key=None, mail_from=sender, to=[body.to],
                             subject=mail.subject, body=mail.body, headers=mail.headers,
                             message_id=mail.message_id, now=now)
        outbox.record_result(session, mail_id, sent=ok, now=now, error=None if ok else detail)
    return CheckResult(ok=ok, detail=detail)
