"""The composition root: the adapters chosen, the services built, the process's loops.

Every entrypoint (web, worker, and later the pollers and the CLI) builds its process here and
nowhere else: this is the one module that knows both the adapters and the application layer.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from adapters.inbound.base import ProviderPorts
from adapters.inbound.providers import PROVIDERS
from adapters.inbound.sns import HttpxSnsHttp
from adapters.mail.headers import summarize
from adapters.mail.reader_pool import MessageReader
from adapters.mail.smtp import SmtpMailer
from adapters.mailbox.imap import ImapConnector
from adapters.mailbox.oauth2 import OAuth2Tokens
from adapters.mailbox.pop3 import Pop3Connector
from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from adapters.persistence.storage import SqlStorage
from adapters.xml.parse import MAX_BYTES, parse_transaction
from adapters.xml.render import render_response
from api.application.admin import load_admin
from api.application.credentials import load_credentials, reply_reference_key
from api.application.delivery import OutboxSender
from api.application.ingest import IngestWriter
from api.application.loops import BackgroundLoop
from api.application.mailbox_loop import KeptRefreshTokens, MailboxLoop, Pollers
from api.application.mailboxes import MAILBOX_SETTINGS, PROTOCOLS
from api.application.observability import Metrics
from api.application.polling import ImapPoller
from api.application.pop3_polling import Pop3Poller
from api.application.processing import Processor
from api.application.runtime_settings import RuntimeSettings, settings_model, startup_values
from api.application.services import Services, XmlCodec
from api.application.settings import CORE, warnings
from api.application.webhooks import Webhooks
from api.entrypoints.malloc import give_back_large_buffers
from api.entrypoints.worker_child import WorkerChild

log = logging.getLogger(__name__)

# How long a thread may keep the GIL while another wants it (CPython's default: 5 ms). A thread
# that holds SQLite's write turn lets go of the GIL around each statement, and must then wait
# for a busy neighbour (the event loop, the outbox) to reach this interval before it goes on,
# while every other writer waits for the turn: up to 5 ms a statement, about 10 statements a
# message. Measured (Procfile web + worker, SQLite, 4 interleaved pairs, twice): processed
# 196-201 -> 225-246 msg/s and 6.2-6.8 -> 5.1-5.5 ms of CPU a message; the one-process
# configuration, bound by the GIL itself, did not move.
GIL_SWITCH_SECONDS = 0.0005

SPECS = (*CORE, *MAILBOX_SETTINGS, *(spec for provider in PROVIDERS for spec in provider.settings))
# The environment's values (CONNECTOR_*, .env), validated. Any: its fields are made from the
# registry at run time, so there are no static attributes for a type checker to see.
Settings: Any = settings_model(SPECS)


@dataclass
class Process:
    """One process's services and the background loops it may run."""

    settings: Any
    services: Services
    reader: MessageReader
    loops: list[BackgroundLoop] = field(default_factory=list)
    pollers: Pollers | None = None  # the mailboxes polled inside this process
    worker_child: WorkerChild | None = None  # the loops run there instead (`make run`)
    _pollers_thread: threading.Thread | None = None

    def start(self, *, ingest: bool = True, workers: bool | None = None,
              pollers: bool = False) -> None:
        # What start-up built (modules, the app, the tables' metadata: most of the heap) stays
        # out of the cyclic collector's full passes. Measured at 100 webhooks a second
        # (2026-12-03): those passes took 67-119 ms every few seconds in the event loop and the
        # processing thread, holding the write turn, the longest waits after the disk's.
        gc.freeze()
        if ingest:
            self.services.ingest.start()
        if self.settings.inline_worker if workers is None else workers:
            if self.worker_child is not None:
                self.worker_child.start()
            else:
                for loop in self.loops:
                    loop.start()
        if pollers:
            self.pollers = build_pollers(self, PROTOCOLS)
            self._pollers_thread = threading.Thread(target=self.pollers.run, name="pollers",
                                                    daemon=True)
            self._pollers_thread.start()

    def stop(self) -> None:
        if self.pollers is not None:  # first: they store through the ingest writer
            self.pollers.stop()
            if self._pollers_thread is not None:
                self._pollers_thread.join(timeout=30)
        if self.worker_child is not None:
            self.worker_child.stop()
        for loop in self.loops:
            loop.stop()
        self.services.processor.stop()
        self.reader.close()
        self.services.ingest.stop()
        self.services.storage.close()
        gc.unfreeze()  # collectable again (tests start and stop many processes in one)


def build_process(settings: Any, *, provider_ports: ProviderPorts | None = None,
                  admin_console: bool = False, worker_child: bool = False) -> Process:
    """worker_child: the processing and outbox loops, when started, run in a child process
    (api/entrypoints/worker_child.py), woken from here; otherwise as threads of this one."""
    give_back_large_buffers()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    db = Database(settings.database_url)
    if settings.migrate_on_start:
        upgrade(db)
    storage = SqlStorage(db)
    startup = startup_values(settings, SPECS)
    startup["reply_reference_key"] = reply_reference_key(settings)  # generated when unset
    runtime = RuntimeSettings(SPECS, startup, storage)
    for warning in warnings(runtime.current().as_dict()):
        log.warning("not ready for real mail: %s", warning)
    metrics = Metrics()
    # one cache for every mailbox's XOAUTH2 logins and checks
    tokens = OAuth2Tokens(keeper=KeptRefreshTokens(storage))
    mailer = SmtpMailer()
    outbox = OutboxSender(storage, mailer, runtime, lease_seconds=settings.lease_seconds,
                          max_attempts=settings.outbox_max_attempts,
                          retry_base_seconds=settings.outbox_retry_base_seconds, metrics=metrics)
    outbox_loop = BackgroundLoop("outbox", outbox.run_once,
                                 idle_seconds=max(settings.poll_seconds, 1.0))
    reader = MessageReader(processes=settings.reader_processes,
                           time_limit=settings.message_time_limit_seconds,
                           xml_parse=parse_transaction)
    processor = Processor(storage, runtime, reader, batch_size=settings.batch_size,
                          lease_seconds=settings.lease_seconds,
                          max_attempts=settings.max_processing_attempts,
                          render_xml=render_response, metrics=metrics, on_outbox=outbox_loop.wake)
    processing_loop = BackgroundLoop("processing", processor.run_once,
                                     idle_seconds=settings.poll_seconds)
    child = WorkerChild(settings) if worker_child else None
    wake_processing = child.wake_processing if child else processing_loop.wake
    wake_outbox = child.wake_outbox if child else outbox_loop.wake
    if child is not None:
        metrics.remote = child.metrics
    ingest = IngestWriter(storage, summarize, backup_dir=settings.backup_dir,
                          on_stored=wake_processing, metrics=metrics)
    ports = provider_ports or ProviderPorts(
        sns=HttpxSnsHttp(), http=httpx.Client(timeout=10.0, follow_redirects=True))
    services = Services(
        storage=storage, settings=runtime, mailer=mailer, ingest=ingest, processor=processor,
        outbox=outbox, webhooks=Webhooks(PROVIDERS, ports, runtime, ingest),
        credentials=load_credentials(settings, storage), metrics=metrics,
        xml=XmlCodec(parse=parse_transaction, render=render_response, max_bytes=MAX_BYTES),
        wake_processing=wake_processing, wake_outbox=wake_outbox,
        imap=ImapConnector(tokens=tokens), pop3=Pop3Connector(tokens=tokens),
        admin=load_admin(settings, storage) if admin_console else None,
    )
    return Process(settings, services, reader, [processing_loop, outbox_loop], worker_child=child)


def build_imap_poller(process: Process, name: str | None = None) -> ImapPoller:
    """The IMAP poller of a process built above (None: the CONNECTOR_IMAP_* mailbox); it
    stores through the process's ingest writer."""
    services = process.services
    assert services.imap is not None  # every process built above has the IMAP connector
    return ImapPoller(services.storage, services.settings, services.imap, services.ingest.store,
                      name=name)


def build_pop3_poller(process: Process, name: str | None = None) -> Pop3Poller:
    services = process.services
    return Pop3Poller(services.storage, services.settings, services.pop3, services.ingest.store,
                      name=name)


def build_pollers(process: Process, protocols: tuple[str, ...]) -> Pollers:
    """One loop per configured mailbox of the protocols, in one process."""
    build = {"imap": build_imap_poller, "pop3": build_pop3_poller}

    def make(protocol: str, name: str) -> MailboxLoop:
        return build[protocol](process, name)

    return Pollers(process.services.settings, make, protocols)
