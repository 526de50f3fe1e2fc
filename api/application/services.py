"""The handle every front end (REST routes, console, pollers, CLI) gets: the ports and the
long-lived services, built once by an entrypoint (api/entrypoints/bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.application.admin import AdminConsole
from api.application.credentials import Credentials
from api.application.delivery import OutboxSender
from api.application.ingest import IngestWriter
from api.application.observability import Metrics
from api.application.processing import Processor
from api.application.runtime_settings import RuntimeSettings
from api.application.webhooks import Webhooks
from domain.ports import MailboxConnector, Mailer, Pop3Connector, Storage
from domain.xml_api import TransactionResult
from domain.xml_model import XmlTransaction


@dataclass
class XmlCodec:
    parse: Callable[[bytes], XmlTransaction]
    render: Callable[[TransactionResult], str]
    max_bytes: int


@dataclass
class Services:
    storage: Storage
    settings: RuntimeSettings
    mailer: Mailer
    ingest: IngestWriter
    processor: Processor
    outbox: OutboxSender
    webhooks: Webhooks
    credentials: Credentials
    metrics: Metrics
    xml: XmlCodec
    imap: MailboxConnector | None = None  # the pollers' clients, for their checks
    pop3: Pop3Connector | None = None
    admin: AdminConsole | None = None  # the admin console's account (web processes)
    wake_processing: Callable[[], None] = lambda: None
    wake_outbox: Callable[[], None] = lambda: None
