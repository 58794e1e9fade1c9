"""Prometheus metrics every worker process exposes (names shared so dashboards work across services)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "admint_events_consumed_total", "Events handled, by outcome.", ["service", "event_type", "outcome"]
)
EVENTS_PUBLISHED = Counter(
    "admint_events_published_total",
    "Events published (duplicates dropped by the stream counted apart).",
    ["service", "event_type", "duplicate"],
)
RETRIES = Counter(
    "admint_retries_total", "Messages nak'ed for a later retry.", ["service", "event_type", "reason"]
)
DEAD_LETTERED = Counter("admint_dead_lettered_total", "Poison messages parked.", ["service", "event_type"])
IN_FLIGHT = Gauge("admint_in_flight", "Messages being handled now.", ["service"])
HANDLER_SECONDS = Histogram(
    "admint_handler_seconds",
    "Handler wall time per event type.",
    ["service", "event_type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
STAGE_SECONDS = Histogram(
    "admint_stage_seconds",
    "Stage duration per generation.",
    ["stage"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
PROVIDER_CALLS = Counter(
    "admint_provider_calls_total", "AI provider calls by model and outcome.", ["model", "outcome"]
)
COST_USD = Counter(
    "admint_cost_usd_total", "Provider spend in US dollars, by stage and model (each priced call once).",
    ["stage", "model"],
)
