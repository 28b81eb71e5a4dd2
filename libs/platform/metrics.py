"""Prometheus metrics shared by the services' adapters."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "hotro_events_published_total", "Events the outbox relay published", ["service", "topic"]
)
EVENTS_PROCESSED = Counter(
    "hotro_events_processed_total", "Events a consumer applied", ["consumer", "topic"]
)
EVENTS_SKIPPED = Counter(
    "hotro_events_skipped_total",
    "Redelivered events a consumer had already applied",
    ["consumer", "topic"],
)
DEAD_LETTERS = Counter(
    "hotro_dead_letters_total", "Messages sent to the dead-letter topic", ["consumer", "topic"]
)
CONSUMER_LAG = Gauge(
    "hotro_consumer_lag",
    "Messages behind the end of the partition",
    ["consumer", "topic", "partition"],
)
RELAY_BACKLOG = Gauge("hotro_relay_backlog", "Notifications not yet published", ["service"])
BROKER_RESETS = Counter(
    "hotro_relay_broker_resets_total",
    "Times the relay found the broker had lost its data",
    ["service"],
)
REQUEST_LATENCY = Histogram(
    "hotro_http_request_seconds", "HTTP request latency", ["service", "method", "route", "status"]
)
SLA_BREACHES = Counter("hotro_sla_breaches_total", "SLA targets missed", ["kind", "group"])
