"""Use cases only the admin console asks for: the overview's figures, the checklist of what is
not ready, the acknowledgement preview and the "try a subject" box. Everything else the console
does goes through the same use cases as the REST API (connector, processing_log, records)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.application.clock import utcnow
from api.application.runtime_settings import Values
from api.application.services import Services
from api.application.settings import warnings
from domain.errors import InvalidInput
from domain.messages import MailboxHealth
from domain.model import format_ticket_number
from domain.ticket_threading import compile_ticket_pattern, ticket_numbers_in_subject

PLACEHOLDER_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass
class Overview:
    status: str
    queued: int
    backlog: int
    failed_outbound: int
    last_day: dict[str, int]
    last_month: dict[str, int]
    checklist: list[str]
    mailboxes: list[MailboxHealth] = field(default_factory=list)
    sources: dict[str, datetime] = field(default_factory=dict)
    refusals: dict[str, Any] = field(default_factory=dict)


def checklist(app: Services, values: Values) -> list[str]:
    """What is still unset or a placeholder: the start-up warnings, and the mail paths."""
    found = warnings(values.as_dict())
    if values.smtp_host in PLACEHOLDER_HOSTS:
        found.append(f"outgoing mail goes to {values.smtp_host}:{values.smtp_port}: set the "
                     "outgoing mail server (Setup, Outgoing mail)")
    provider_secrets = [spec.name for p in app.webhooks.providers.values()
                        for spec in p.settings if spec.secret]
    mailbox = getattr(values, "imap_host", None) or getattr(values, "pop3_host", None)
    if not mailbox and not any(getattr(values, name, None) for name in provider_secrets):
        found.append("no provider secret and no IMAP/POP3 mailbox is set: mail arrives only "
                     "through /inbound/raw and the HTTP Basic providers (Setup, Incoming mail)")
    return found


def overview(app: Services) -> Overview:
    values = app.settings.current(max_age=0)
    now = utcnow()
    with app.storage.reading() as uow:
        figures = Overview(
            status=values.status, queued=uow.inbox.queue_depth(), backlog=uow.outbox.backlog(),
            failed_outbound=uow.outbox.page(status="failed", kind=None, inbound_message_id=None,
                                            limit=1, offset=0)[1],
            last_day=uow.inbox.outcome_counts(now - timedelta(days=1)),
            last_month=uow.inbox.outcome_counts(now - timedelta(days=30)),
            checklist=checklist(app, values), mailboxes=uow.mailboxes.health(),
            sources=uow.inbox.sources())
    figures.refusals = dict(app.metrics.refusals)
    return figures


def mail_sources(app: Services) -> tuple[dict[str, datetime], dict[str, Any]]:
    """Each source's last message (provider name, raw, imap:<user>, ...) and each provider's
    refused requests in this process (count, last reason and time)."""
    with app.storage.reading() as uow:
        sources = uow.inbox.sources()
    return sources, dict(app.metrics.refusals)


def preview_acknowledgement(values: Values, *, subject_template: str, body_template: str,
                            name: str = "Bob Jones", subject: str = "Printer offline"
                            ) -> tuple[str, str]:
    """The acknowledgement a new ticket would get with these templates (ticket 0000123)."""
    fields = {"name": f" {name}" if name else "", "number": format_ticket_number(123),
              "subject": subject}
    try:
        return subject_template.format(**fields), body_template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(f"the template has an unknown placeholder or a stray brace: {exc}; "
                           "use {number}, {subject} and {name}") from None


def try_subject(values: Values, *, subject: str, pattern: str | None = None) -> list[str]:
    """The ticket numbers the pattern (the current one, or one being edited) finds."""
    try:
        compiled = compile_ticket_pattern(pattern if pattern else values.ticket_subject_pattern)
    except (ValueError, re.error) as exc:
        raise InvalidInput(f"ticket subject pattern: {exc}") from None
    return [format_ticket_number(n) for n in ticket_numbers_in_subject(subject, compiled)]


# The processing order (SPEC §2, domain/decide.py), and which step gives each outcome.
STEPS = ("duplicate check, at receipt", "guards: our own mail, mail loops, bounces",
         "automation rules", "XML API", "threading: a ticket number in the subject, or a reply "
         "to our mail", "sender matching: the address, then the domain",
         "forward as unrecognized")
DECIDED_BY = {"duplicate": 0, "ignored_loop": 1, "bounce": 1, "automated_ticket": 2,
              "automated_skipped": 2, "xml_processed": 3, "xml_rejected": 3,
              "filed_customer_reply": 4, "filed_employee_reply": 4, "ticket_created": 5,
              "forwarded_unrecognized": 6}


def decision_steps(outcome: str | None, reason: str | None) -> list[tuple[str, str]]:
    """Each processing step and what it did for this message: passed, decided, not reached."""
    step = DECIDED_BY.get(outcome or "")
    if outcome == "forwarded_error":  # an account rule matching several accounts, or a domain
        step = 2 if "account rule" in (reason or "") else 5  # that several accounts claim
    if step is None:
        return [(name, "not reached") for name in STEPS]
    return [(name, "passed" if i < step else "decided" if i == step else "not reached")
            for i, name in enumerate(STEPS)]
