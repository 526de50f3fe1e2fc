"""The composition root's wiring: every component built once, from Settings, at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from adapters.mail.reader_pool import MessageReader
from adapters.mail.smtp import SmtpConfig, SmtpMailer
from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from adapters.settings import Settings
from api.credentials import Credentials, load_credentials
from api.observability import Metrics
from api.services.delivery import OutboxSender
from api.services.ingest import IngestWriter
from api.services.loops import BackgroundLoop
from api.services.processing import Processor
from api.services.runtime_config import RuntimeConfig

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    db: Database
    config: RuntimeConfig
    credentials: Credentials
    mailer: SmtpMailer
    ingest: IngestWriter
    processor: Processor
    outbox: OutboxSender
    reader: MessageReader
    metrics: Metrics
    loops: list[BackgroundLoop] = field(default_factory=list)

    def start(self, *, ingest: bool = True, workers: bool | None = None) -> None:
        if ingest:
            self.ingest.start()
        if self.settings.inline_worker if workers is None else workers:
            for loop in self.loops:
                loop.start()

    def stop(self) -> None:
        for loop in self.loops:
            loop.stop()
        self.processor.stop()
        self.reader.close()
        self.ingest.stop()
        self.db.dispose()

    def wake_processing(self) -> None:
        self.loops[0].wake()

def build_container(settings: Settings) -> Container:
    db = Database(settings.database_url)
    if settings.migrate_on_start:
        upgrade(db)
    config = RuntimeConfig(settings, db)
    smtp = SmtpMailer(SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout_seconds,
    ))
    metrics = Metrics()
    outbox = OutboxSender(db, smtp, settings, metrics)
    outbox_loop = BackgroundLoop("outbox", outbox.run_once, idle_seconds=max(settings.poll_seconds, 1.0))
    reader = MessageReader(processes=settings.reader_processes,
                           time_limit=settings.message_time_limit_seconds,
                           xml_enabled=settings.xml_api_enabled)
    processor = Processor(db, config, settings, reader, metrics, on_outbox=outbox_loop.wake)
    processing_loop = BackgroundLoop("processing", processor.run_once,
                                     idle_seconds=settings.poll_seconds)
    ingest = IngestWriter(db, backup_dir=settings.backup_dir, on_stored=processing_loop.wake,
                          metrics=metrics)
    return Container(
        settings=settings, db=db, config=config, credentials=load_credentials(settings),
        mailer=smtp, ingest=ingest, processor=processor, outbox=outbox, reader=reader, metrics=metrics,
        loops=[processing_loop, outbox_loop],
    )
