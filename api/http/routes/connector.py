"""The connector's own settings and the outgoing-mail checks (the original's Verification Tests).

The GET view and the PATCH body are built from the settings registry: every runtime setting
is shown and changeable, secrets only as "set or not" (they are write-only).
"""


from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, SecretStr, create_model

from api.application import connector
from api.http.deps import ServicesDep
from api.http.routes.common import AUTH, body_errors, errors
from api.http.schemas import (
    AcknowledgementPreviewPublic,
    AcknowledgementPreviewRequest,
    CheckResult,
    TestEmailRequest,
)
from domain.settings import SettingSpec


def _models(specs: Sequence[SettingSpec]) -> tuple[type[BaseModel], type[BaseModel]]:
    runtime = [s for s in specs if s.runtime]
    shown: dict[str, Any] = {s.name: (s.annotation, Field(description=s.doc))
                             for s in runtime if not s.secret}
    shown["from_address"] = (str, Field(description="From of outgoing mail"))
    shown["secrets_set"] = (dict[str, bool], Field(
        description="the write-only settings, and whether each has a value"))
    shown["queued_messages"] = (int, ...)
    shown["outbox_backlog"] = (int, ...)
    # The examples: the defaults of the registry, so they show every setting as it comes.
    seen = {s.name: s.default for s in runtime if not s.secret}
    seen.update(from_address=seen.get("public_address"), queued_messages=0, outbox_backlog=0,
                secrets_set={s.name: False for s in runtime if s.secret})
    public = create_model("ConnectorPublic", __config__=ConfigDict(
        json_schema_extra={"examples": [seen]}), **shown)
    changes: dict[str, Any] = {}
    for s in runtime:
        limits: dict[str, Any] = {k: v for k, v in (("ge", s.minimum), ("le", s.maximum))
                                  if v is not None}
        annotation = SecretStr | None if s.secret else s.annotation | None
        changes[s.name] = (annotation, Field(default=None, description=s.doc, **limits))
    change: dict[str, Any] = {k: v for k, v in (("status", "off"), ("smtp_host", "smtp.msp.example"),
                                ("smtp_port", 587)) if k in changes}
    update = create_model("ConnectorUpdate", __config__=ConfigDict(
        extra="forbid", json_schema_extra={"examples": [change]}), **changes)
    return public, update


def connector_router(specs: Sequence[SettingSpec]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/connector", tags=["connector"], dependencies=AUTH,
                       responses=errors())
    Public, Update = _models(specs)  # noqa: N806 (classes)
    secrets = [s.name for s in specs if s.runtime and s.secret]

    def public(app: ServicesDep, state: tuple[Any, int, int]) -> Any:
        values, queued, backlog = state
        shown = {name: getattr(values, name) for name in Public.model_fields
                 if name not in ("secrets_set", "queued_messages", "outbox_backlog")}
        shown["from_address"] = values.effective_from_address
        return Public(**shown, secrets_set={n: bool(getattr(values, n)) for n in secrets},
                      queued_messages=queued, outbox_backlog=backlog)

    @router.get("", response_model=Public)
    def get_connector(app: ServicesDep) -> Any:
        """Status, addresses and every runtime setting; queue depth and outbox backlog."""
        return public(app, connector.connector_state(app))

    @router.patch("", response_model=Public, responses=body_errors(422))
    def update_connector(body: Update, app: ServicesDep) -> Any:  # type: ignore[valid-type]
        """Change runtime settings: processing on or off (at once, no restart), the addresses,
        the SMTP server, acknowledgements, caps, the XML API, provider secrets.

        While off, messages are still accepted and wait as `queued`; they are processed in
        arrival order once it is on again. A change is used by every process at its next use.
        """
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        changes = {k: v.get_secret_value() if isinstance(v, SecretStr) else v
                   for k, v in changes.items()}
        return public(app, connector.change_settings(app, changes=changes))

    @router.post("/smtp-check", response_model=CheckResult)
    def smtp_check(app: ServicesDep) -> CheckResult:
        """Connect (and authenticate, when configured) to the outgoing SMTP server."""
        ok, detail = connector.smtp_check(app)
        return CheckResult(ok=ok, detail=detail)

    @router.post("/imap-check", response_model=CheckResult)
    def imap_check(app: ServicesDep) -> CheckResult:
        """Connect and log in to the polled IMAP mailbox and open its folder."""
        ok, detail = connector.imap_check(app)
        return CheckResult(ok=ok, detail=detail)

    @router.post("/pop3-check", response_model=CheckResult)
    def pop3_check(app: ServicesDep) -> CheckResult:
        """Connect and log in to the polled POP3 maildrop."""
        ok, detail = connector.pop3_check(app)
        return CheckResult(ok=ok, detail=detail)

    @router.post("/test-email", response_model=CheckResult, responses=body_errors(422))
    def test_email(body: TestEmailRequest, app: ServicesDep) -> CheckResult:
        """Send a test email now, through the outbox and the configured SMTP server."""
        ok, detail = connector.send_test_email(app, to=body.to, sender=body.from_)
        return CheckResult(ok=ok, detail=detail)

    @router.post("/acknowledgement-preview", response_model=AcknowledgementPreviewPublic,
                 responses=body_errors(422))
    def acknowledgement_preview(body: AcknowledgementPreviewRequest,
                                app: ServicesDep) -> AcknowledgementPreviewPublic:
        """The acknowledgement a sample sender would receive: with the saved templates, or
        with the ones in the body (to try them before a PATCH). Nothing is stored or sent."""
        shown = connector.acknowledgement_preview(
            app, sender_name=body.sender_name, sender_address=body.sender_address,
            subject=body.subject, ticket_id=body.ticket_number,
            subject_template=body.subject_template, body_template=body.body_template,
            html_template=body.html_template)
        return AcknowledgementPreviewPublic(
            from_name=shown.from_name, from_address=shown.from_address, to=shown.to,
            reply_to=shown.reply_to, subject=shown.subject, text=shown.text, html=shown.html)

    return router
