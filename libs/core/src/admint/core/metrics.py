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
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
PROVIDER_CALLS = Counter(
    "admint_provider_calls_total", "AI provider calls by model and outcome.", ["model", "outcome"]
)
BUS_HOP_SECONDS = Histogram(
    "admint_bus_hop_seconds",
    "Time from the stream storing an event to a consumer starting on it (first delivery), per durable consumer.",
    ["service", "durable", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
CONSUMER_PENDING = Gauge(
    "admint_consumer_pending_messages",
    "Messages of a durable consumer not yet delivered (its lag), as the stream reports it.",
    ["durable"],
)
CONSUMER_ACK_PENDING = Gauge(
    "admint_consumer_ack_pending_messages",
    "Messages of a durable consumer delivered but not yet acknowledged (work in progress or waiting for retry).",
    ["durable"],
)
CONSUMER_REDELIVERED = Gauge(
    "admint_consumer_redelivered_messages",
    "Messages of a durable consumer delivered more than once and not yet acknowledged.",
    ["durable"],
)
STAGE_BUDGET_SECONDS = Gauge(
    "admint_stage_budget_seconds",
    "The longest a generation may spend in a stage before the watchdog fails it (from ADMINT_STAGE_BUDGETS_S).",
    ["stage"],
)
STAGE_TIMEOUTS = Counter(
    "admint_stage_timeouts_total", "Generations failed because they stayed in a stage past its budget.", ["stage"]
)
COST_USD = Counter(
    "admint_cost_usd_total", "Provider spend recorded on generations, in US dollars.", ["stage", "model"]
)
MONGO_COMMANDS = Counter(
    "admint_mongo_commands_total", "MongoDB commands this process sent, by command and collection.",
    ["command", "collection"],
)
RENDER_SECONDS = Histogram(
    "admint_render_seconds",
    "Work done in a render process (core.cpu_pool: chunk encodes, caption cards, storyboard frames), by function "
    "and outcome (ok, failed, cancelled, died).",
    ["work", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
