"""The notifier's pure parts: Standard Webhooks signing (checked by the `standardwebhooks` package), the retry
schedule, and the message body."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from admint.contracts.generation import GenerationFailed
from admint.core.webhooks import message_id, new_secret
from admint.notifier.payload import body
from admint.notifier.schedule import next_attempt_at
from admint.notifier.signing import signed_headers

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_every_active_secret_signs_and_each_verifies_alone() -> None:
    a, b = new_secret(), new_secret()
    payload = json.dumps({"type": "generation.completed", "data": {"x": "ü"}})
    stamp = int(datetime.now(UTC).timestamp())
    headers = signed_headers([a, b], "msg_1", stamp, payload)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(stamp)
    assert [s.split(",")[0] for s in headers["webhook-signature"].split(" ")] == ["v1", "v1"]
    assert Webhook(a).verify(payload, headers) == json.loads(payload)
    assert Webhook(b).verify(payload, headers) == json.loads(payload)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(payload, headers)
    with pytest.raises(WebhookVerificationError):  # the id is signed too
        Webhook(a).verify(payload, {**headers, "webhook-id": "msg_2"})


def test_a_stale_timestamp_does_not_verify() -> None:
    secret = new_secret()
    old = int((datetime.now(UTC) - timedelta(minutes=10)).timestamp())
    headers = signed_headers([secret], "msg_1", old, "{}")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify("{}", headers)


def test_retries_follow_the_schedule_with_bounded_jitter_and_stop() -> None:
    schedule = [5.0, 300.0, 1800.0]

    def delay(n: int, r: float) -> float:
        due = next_attempt_at(n, T0, T0, schedule, 86400, 0.2, lambda: r)
        assert due is not None
        return (due - T0).total_seconds()

    assert [delay(n, 0.5) for n in (1, 2, 3)] == schedule
    assert delay(2, 0.0) == pytest.approx(240) and delay(2, 0.999999) == pytest.approx(360, abs=1e-3)
    assert next_attempt_at(4, T0, T0, schedule, 86400, 0.2) is None  # the schedule is used up
    assert next_attempt_at(0, T0, T0, schedule, 86400, 0.2) is None


def test_no_attempt_is_scheduled_past_the_maximum_age() -> None:
    late = T0 + timedelta(hours=23, minutes=59)
    assert next_attempt_at(1, T0, late, [120.0], 86400, 0.0) is None
    assert next_attempt_at(1, T0, late, [30.0], 86400, 0.0) == late + timedelta(seconds=30)


def test_the_default_schedule_fits_in_a_day() -> None:
    from admint.notifier.config import DEFAULT_SCHEDULE_S

    assert 23 * 3600 < sum(DEFAULT_SCHEDULE_S) < 24 * 3600  # jitter past a day is cut by webhook_max_age_s
    assert DEFAULT_SCHEDULE_S == sorted(DEFAULT_SCHEDULE_S)


def test_the_body_names_the_event_and_links_the_resource() -> None:
    event = GenerationFailed(generation_id="G1", producer="chunker", stage="chunking", reason="no")
    message = json.loads(body(event, "https://api.example.com/"))
    assert message["type"] == "generation.failed" and message["data"]["status"] == "failed"
    assert message["data"]["event"]["reason"] == "no"
    assert message["data"]["links"]["generation"] == "https://api.example.com/v1/generations/G1"
    assert message["timestamp"].startswith(str(event.occurred_at.year))
    # the webhook-id is a function of the event's deterministic bus id: a re-published event is the same message
    assert message_id(event.msg_id) == message_id(event.model_copy(update={"id": "other"}).msg_id)
