"""What every process counts for Prometheus (`GET /metrics`), in one place.

The metrics live in `prometheus_client`'s default registry, once per process, labelled by
service where a process could hold more than one (tests start several apps in one
interpreter). Code that counts something calls one function here (`event_applied`,
`relay_published`, …): a one-line hook, so the consumer, the relay and the use cases stay
about their own job. Gauges read from the database (outbox backlog, consumer lag) are set
by `shared.health` when `/metrics` or `/health/ready` is asked.

Names follow Prometheus' conventions: `_total` on counters (added by the client),
`_seconds` for durations, base units only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# HTTP answers are mostly a few milliseconds; uploads and imports take seconds.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# From an event's commit to Kafka: milliseconds when the relay is woken, up to its poll.
_RELAY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "slrt_http_request_duration_seconds",
    "HTTP requests by route template (never the raw path), method and status.",
    ["service", "method", "route", "status"],
    buckets=_HTTP_BUCKETS,
)
EVENTS_APPLIED = Counter(
    "slrt_events_applied",
    "Events a service's consumer applied (first time only; redeliveries are not counted).",
    ["service", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "slrt_events_dead_lettered",
    "Events or records a consumer dead-lettered (undecodable, refused, or failing).",
    ["service", "event_type"],
)
CONSUMER_LAG_EVENTS = Gauge(
    "slrt_consumer_lag_events",
    "Events in the store of the types a service handles that it has not applied yet.",
    ["service"],
    multiprocess_mode="mostrecent",
)
CONSUMER_LAG_SECONDS = Gauge(
    "slrt_consumer_lag_oldest_seconds",
    "Age of the oldest event the service has not applied yet (0 when none).",
    ["service"],
    multiprocess_mode="mostrecent",
)
OUTBOX_BACKLOG = Gauge(
    "slrt_outbox_backlog_events",
    "Events of a service not yet published to Kafka.",
    ["service"],
    multiprocess_mode="mostrecent",
)
OUTBOX_AGE_SECONDS = Gauge(
    "slrt_outbox_oldest_age_seconds",
    "Age of the oldest event of a service not yet published (0 when none).",
    ["service"],
    multiprocess_mode="mostrecent",
)
RELAY_PUBLISHED = Counter(
    "slrt_outbox_published_events", "Events the outbox relay published to Kafka.", ["service"]
)
RELAY_BATCH_SECONDS = Histogram(
    "slrt_outbox_publish_batch_seconds",
    "Time the relay took to publish one batch (send to every acknowledgement).",
    ["service"],
    buckets=_RELAY_BUCKETS,
)
RELAY_DELAY_SECONDS = Histogram(
    "slrt_outbox_publish_delay_seconds",
    "From an event's recording in the store to its acknowledgement by Kafka.",
    ["service"],
    buckets=_RELAY_BUCKETS,
)
DEADLINE_WARNINGS = Counter(
    "slrt_deadline_warnings", "Deadline warnings casework recorded, by office.", ["office"]
)
DEADLINE_BREACHES = Counter(
    "slrt_deadline_breaches", "Deadline breaches casework recorded, by office.", ["office"]
)
READY_CHECKS = Gauge(
    "slrt_ready_check",
    "Each readiness check of `/health/ready` at its last run: 1 passing, 0 failing.",
    ["service", "check"],
    multiprocess_mode="mostrecent",
)
REGISTRY_IMPORT_RUNNING = Gauge(
    "slrt_registry_import_running",
    "1 while a registry extract is being imported.",
    multiprocess_mode="mostrecent",
)
REGISTRY_IMPORT_ROWS = Gauge(
    "slrt_registry_import_rows",
    "Rows of the running (or last) registry import, by state: read, loaded, rejected.",
    ["state"],
    multiprocess_mode="mostrecent",
)
REGISTRY_IMPORT_PROGRESS = Gauge(
    "slrt_registry_import_progress_ratio",
    "Share of the running (or last) extract's bytes read so far (0 to 1).",
    multiprocess_mode="mostrecent",
)
REGISTRY_IMPORTS = Counter(
    "slrt_registry_imports", "Registry imports finished, by outcome.", ["outcome"]
)


def http_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(service, method, route, str(status)).observe(seconds)


def readiness(service: str, checks: dict[str, dict[str, Any]]) -> None:
    for name, check in checks.items():
        READY_CHECKS.labels(service, name).set(1 if check.get("ok") else 0)


def event_applied(service: str, event_type: str) -> None:
    EVENTS_APPLIED.labels(service, event_type).inc()


def event_dead_lettered(service: str, event_type: str | None) -> None:
    EVENTS_DEAD_LETTERED.labels(service, event_type or "unknown").inc()


def relay_published(service: str, rows: Sequence[Any], started: float) -> None:
    """After a batch was acknowledged: `rows` carry each event's `recorded_at`, `started`
    is the `time.perf_counter()` taken before the first send."""
    RELAY_BATCH_SECONDS.labels(service).observe(time.perf_counter() - started)
    RELAY_PUBLISHED.labels(service).inc(len(rows))
    now = time.time()
    delay = RELAY_DELAY_SECONDS.labels(service)
    for r in rows:
        recorded: datetime = r["recorded_at"]
        delay.observe(max(0.0, now - recorded.timestamp()))


def deadline_recorded(event_type: str, office: str) -> None:
    """A deadline event casework appended (other event types are ignored)."""
    if event_type == "DeadlineWarned":
        DEADLINE_WARNINGS.labels(office).inc()
    elif event_type == "DeadlineBreached":
        DEADLINE_BREACHES.labels(office).inc()


def registry_import_started() -> None:
    REGISTRY_IMPORT_RUNNING.set(1)
    REGISTRY_IMPORT_PROGRESS.set(0)
    for state in ("read", "loaded", "rejected"):
        REGISTRY_IMPORT_ROWS.labels(state).set(0)


def registry_import_progress(read: int, loaded: int, rejected: int, ratio: float) -> None:
    REGISTRY_IMPORT_ROWS.labels("read").set(read)
    REGISTRY_IMPORT_ROWS.labels("loaded").set(loaded)
    REGISTRY_IMPORT_ROWS.labels("rejected").set(rejected)
    REGISTRY_IMPORT_PROGRESS.set(min(1.0, max(0.0, ratio)))


def registry_import_finished(outcome: str) -> None:
    REGISTRY_IMPORT_RUNNING.set(0)
    if outcome == "completed":
        REGISTRY_IMPORT_PROGRESS.set(1)
    REGISTRY_IMPORTS.labels(outcome).inc()


@cache
def kafka_middleware(app_name: str) -> KafkaPrometheusMiddleware:
    """FastStream's own consumer metrics (`slrt_kafka_received_messages_total`, processing
    time, exceptions) for a service's broker, in the same registry."""
    return KafkaPrometheusMiddleware(
        registry=REGISTRY, app_name=app_name, metrics_prefix="slrt_kafka"
    )


# Set by a service's worker supervisor (shared/workers.py) for its workers: each worker's
# values live in files there, and a scrape of any worker reads them all, so `/metrics` on
# the service's port is the whole service, not whichever worker took the connection
# (prometheus_client's multiprocess mode; gauges show the most recent value set).
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
