"""NATS subject names: gen.<generation_id>.<event type>."""

STREAM_NAME = "ADMINT"
"""The one JetStream stream that holds every pipeline event."""
SUBJECT_ROOT = "gen"
STREAM_SUBJECTS = [f"{SUBJECT_ROOT}.>"]


def subject_for(generation_id: str, event_type: str) -> str:
    """The subject one event is published on."""
    return f"{SUBJECT_ROOT}.{generation_id}.{event_type}"


def subject_filter(event_type: str) -> str:
    """The wildcard a worker subscribes with to get one event type of every generation."""
    return f"{SUBJECT_ROOT}.*.{event_type}"


def generation_filter(generation_id: str) -> str:
    """Every event of one generation (what the SSE feed tails)."""
    return f"{SUBJECT_ROOT}.{generation_id}.>"


def parse_subject(subject: str) -> tuple[str, str]:
    """Split a subject into (generation_id, event type); ValueError when it is not ours."""
    parts = subject.split(".", 2)
    if len(parts) != 3 or parts[0] != SUBJECT_ROOT or not parts[1] or not parts[2]:
        raise ValueError(f"not an admint subject: {subject!r}")
    return parts[1], parts[2]
