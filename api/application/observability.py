"""Logs and metrics.

Logs are JSON lines (or text), and every line written while a message is handled carries its
inbound message id (a context variable set by ingest, the worker and the outbox). Secrets are
never passed to a logger; the test suite checks a full run's log for them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

inbound_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("inbound_id", default=None)


@contextmanager
def handling(inbound_id: int | None) -> Iterator[None]:
    token = inbound_id_var.set(inbound_id)
    try:
        yield
    finally:
        inbound_id_var.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "inbound_id"):
            record.inbound_id = inbound_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        inbound_id = getattr(record, "inbound_id", None)
        if inbound_id is not None:
            entry["inbound_id"] = inbound_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        inbound_id = getattr(record, "inbound_id", None)
        return f"{text} [inbound {inbound_id}]" if inbound_id is not None else text


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_connector", False):
            root.removeHandler(existing)
    handler._connector = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("alembic.runtime.migration", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # uvicorn configured its own loggers before it loaded the app: one format for every line.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_log = logging.getLogger(name)
        server_log.handlers.clear()
        server_log.propagate = True


@dataclass
class Refusals:
    """A provider's refused requests in this process since it started."""

    count: int = 0
    last_at: float | None = None  # epoch seconds
    last_reason: str = ""


class Metrics:
    """Counters of this process, plus gauges read from the database when scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        # The standard process metrics the default registry would have (process_resident_memory_
        # bytes, process_cpu_seconds_total, process_open_fds, ...; python_gc_*, python_info):
        # the same collector objects, read from /proc when scraped.
        for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            r.register(standard)
        self.received = Counter("connector_messages_received", "Inbound deliveries accepted",
                                ["source", "status"], registry=r)
        self.processed = Counter("connector_messages_processed", "Messages given an outcome",
                                 ["outcome"], registry=r)
        self.failures = Counter("connector_processing_failures", "Messages that failed processing",
                                registry=r)
        self.outbound = Counter("connector_outbound_messages", "Outbound mail by result",
                                ["kind", "result"], registry=r)
        self.latency = Histogram(
            "connector_processing_latency_seconds", "From receipt to outcome committed",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r)
        self.refused = Counter("connector_webhooks_refused", "Inbound requests refused",
                               ["provider", "reason"], registry=r)
        self.queue_depth = Gauge("connector_queue_depth", "Inbound messages waiting", registry=r)
        self.outbox_backlog = Gauge("connector_outbox_backlog", "Outbound mail not yet sent",
                                    registry=r)
        # the polled mailboxes, as their pollers (other processes) last reported them
        self.mailbox_connected = Gauge("connector_mailbox_connected",
                                       "1 while the poller is connected", ["mailbox"], registry=r)
        self.mailbox_taken = Gauge("connector_mailbox_messages_taken",
                                   "Messages stored from the mailbox", ["mailbox"], registry=r)
        self.mailbox_last_success = Gauge(
            "connector_mailbox_last_success_timestamp_seconds",
            "When the mailbox was last looked at without an error", ["mailbox"], registry=r)
        # per provider: refused requests, the last one's time and reason (the console shows it)
        self.refusals: dict[str, Refusals] = {}
        # Another process's counters and histograms, added to these when scraped: the worker
        # child of `make run`'s web process (api/entrypoints/worker_child.py) counts what it
        # processes and sends, and /metrics shows the web process's and its child's together.
        self.remote: Callable[[], list[Metric]] = list

    def exposition(self) -> bytes:
        """The Prometheus text of this process's metrics and the remote ones, added up."""
        return generate_latest(_Added(self.registry, self.remote()))  # type: ignore[arg-type]


def counted(registry: CollectorRegistry) -> list[Metric]:
    """The connector's counters and histograms in a registry: what can be added across
    processes (gauges are read from the database by whichever process is scraped)."""
    return [family for family in registry.collect()
            if family.name.startswith("connector_") and family.type in ("counter", "histogram")]


class _Added:
    """A registry's families with another process's samples added: values of the same series
    summed, except a `_created` timestamp, where the earlier one stands."""

    def __init__(self, registry: CollectorRegistry, remote: list[Metric]) -> None:
        self._registry = registry
        self._remote = {family.name: family for family in remote}

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            other = self._remote.get(family.name)
            if other is not None and other.type == family.type:
                family.samples = _sum(family.samples + other.samples)
            yield family


def _sum(samples: list[Any]) -> list[Any]:
    added: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    for sample in samples:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        seen = added.get(key)
        if seen is None:
            added[key] = sample
        elif sample.name.endswith("_created"):
            added[key] = seen._replace(value=min(seen.value, sample.value))
        else:
            added[key] = seen._replace(value=seen.value + sample.value)
    return list(added.values())


def refused(metrics: Metrics, provider: str, status: int, error: BaseException) -> None:
    """A refused inbound request: logged with the provider and the reason, counted by both.
    The error's text never carries a secret (the adapters say which check failed, not what
    was presented)."""
    reason = type(error).__name__
    metrics.refused.labels(provider=provider, reason=reason).inc()
    seen = metrics.refusals.setdefault(provider, Refusals())
    seen.count, seen.last_at, seen.last_reason = seen.count + 1, time.time(), f"{status} {error}"
    log = logging.getLogger("api.inbound")
    log.log(logging.ERROR if status >= 500 else logging.WARNING, "%s request refused (%s %s): %s",
            provider, status, reason, error)
