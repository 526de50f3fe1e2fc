"""/metrics of `make run`: the web process's metrics with its worker child's counters and
histograms added (api/application/observability.py)."""

from __future__ import annotations

from api.application.observability import Metrics, counted


def series(metrics: Metrics) -> dict[str, float]:
    values = {}
    for line in metrics.exposition().decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_counters_and_histograms_of_the_child_are_added_to_the_web_processs() -> None:
    web, child = Metrics(), Metrics()
    web.received.labels(source="raw", status="queued").inc(3)
    child.processed.labels(outcome="ticket_created").inc(2)
    child.processed.labels(outcome="forwarded_unrecognized").inc()
    child.latency.observe(0.02)
    web.latency.observe(0.5)  # threads of the web process may have counted some too
    web.remote = lambda: counted(child.registry)

    values = series(web)
    assert values['connector_messages_received_total{source="raw",status="queued"}'] == 3
    assert values['connector_messages_processed_total{outcome="ticket_created"}'] == 2
    assert values['connector_messages_processed_total{outcome="forwarded_unrecognized"}'] == 1
    assert values["connector_processing_latency_seconds_count"] == 2
    assert values['connector_processing_latency_seconds_bucket{le="0.025"}'] == 1
    assert values['connector_processing_latency_seconds_bucket{le="+Inf"}'] == 2


def test_a_series_created_in_both_keeps_the_earlier_creation_time() -> None:
    web, child = Metrics(), Metrics()
    for metrics, created in ((web, 2000.0), (child, 1000.0)):
        metrics.processed.labels(outcome="ticket_created").inc()
        metrics.processed.labels(outcome="ticket_created")._created = created
    web.remote = lambda: counted(child.registry)

    values = series(web)
    assert values['connector_messages_processed_total{outcome="ticket_created"}'] == 2
    assert values['connector_messages_processed_created{outcome="ticket_created"}'] == 1000.0


def test_the_childs_gauges_are_not_added() -> None:
    web, child = Metrics(), Metrics()
    web.queue_depth.set(4)
    child.queue_depth.set(7)  # the web process reads the queue from the database itself
    web.remote = lambda: counted(child.registry)
    assert series(web)["connector_queue_depth"] == 4
