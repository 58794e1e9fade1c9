"""ReplicateClient at the HTTP boundary: request shape, polling, retries, failures, timeouts, concurrency."""

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.providers.registry import ModelInfo, load_registry
from admint.providers.replicate import ModelRef
from tests.unit.providers.replicate_fake import (
    CANCEL,
    CREATE,
    PREDICTION,
    TOKEN,
    FakeClock,
    FakeReplicate,
    body,
    recording,
)

pytestmark = pytest.mark.unit

FLUX = load_registry().get("flux-schnell")
MUSICGEN = load_registry().get("musicgen")
OUT = recording("flux-schnell.succeeded")["output"][0]


async def test_run_creates_by_model_name_polls_with_growing_interval_and_returns_output() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=4), FakeClock()
    prediction = await fake.client(clock).run(FLUX, {"prompt": "a bottle", "aspect_ratio": "9:16"})

    create = fake.calls("POST", CREATE)
    assert len(create) == 1
    assert create[0].url == "https://api.replicate.com/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert body(create[0]) == {"input": {"prompt": "a bottle", "aspect_ratio": "9:16"}}
    assert len(fake.calls("GET", PREDICTION)) == 5  # 4 × processing, then succeeded
    assert prediction.status == "succeeded" and prediction.output == [OUT]
    assert prediction.predict_time_s == pytest.approx(0.630852)
    assert prediction.notes()["prediction_id"] == prediction.id
    assert clock.sleeps == sorted(clock.sleeps) and clock.sleeps[-1] > clock.sleeps[0]  # backs off polling


async def test_poll_interval_is_capped() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=12), FakeClock()
    await fake.client(clock, poll_first_s=1, poll_factor=2, poll_max_s=5).run(FLUX, {"prompt": "x"})
    assert max(clock.sleeps) == 5 and clock.sleeps[:3] == [1, 2, 4]


async def test_community_model_is_run_by_version_id() -> None:
    fake, clock = FakeReplicate("musicgen.succeeded", polls=0), FakeClock()
    await fake.client(clock).run(MUSICGEN, {"prompt": "calm", "duration": 16})
    (create,) = fake.calls("POST", CREATE)
    assert create.url == "https://api.replicate.com/v1/predictions"
    assert body(create) == {
        "version": "671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
        "input": {"prompt": "calm", "duration": 16},
    }


def test_model_ref_parsing() -> None:
    assert ModelRef.parse("black-forest-labs/flux-schnell") == ModelRef("black-forest-labs", "flux-schnell")
    assert ModelRef.parse("meta/musicgen:abc").version == "abc"
    with pytest.raises(ValueError):
        ModelRef.parse("flux-schnell")


async def test_failed_prediction_is_permanent_with_the_error_text() -> None:
    fake, clock = FakeReplicate("failed.nsfw", polls=1), FakeClock()
    with pytest.raises(PermanentProviderError) as err:
        await fake.client(clock).run(FLUX, {"prompt": "x"})
    assert "NSFW content detected" in err.value.reason
    assert "NSFW content detected" in (err.value.detail or "")
    assert fake.cancelled == []


async def test_prediction_interrupted_by_replicate_is_transient() -> None:
    fake, clock = FakeReplicate("failed.interrupted", polls=1), FakeClock()
    with pytest.raises(TransientProviderError, match="please retry"):
        await fake.client(clock).run(FLUX, {"prompt": "x"})


async def test_canceled_elsewhere_is_permanent() -> None:
    final = {**recording("flux-schnell.succeeded"), "status": "canceled", "output": None}
    fake, clock = FakeReplicate(final, polls=1), FakeClock()
    with pytest.raises(PermanentProviderError, match="canceled"):
        await fake.client(clock).run(FLUX, {"prompt": "x"})


async def test_429_honours_retry_after_then_succeeds() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=0), FakeClock()
    throttled = httpx.Response(429, headers={"Retry-After": "3"}, json=recording("error.429"))
    fake.queue("POST", "/predictions", throttled, throttled)
    prediction = await fake.client(clock).run(FLUX, {"prompt": "x"})
    assert prediction.status == "succeeded"
    assert len(fake.calls("POST", CREATE)) == 3
    assert clock.sleeps[:2] == [3.0, 3.0]


async def test_a_long_retry_after_is_left_to_the_message_retry() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=0), FakeClock()
    fake.queue("POST", "/predictions", httpx.Response(429, headers={"Retry-After": "900"}, json={}))
    with pytest.raises(TransientProviderError, match="retry after 900s"):
        await fake.client(clock).run(FLUX, {"prompt": "x"})
    assert clock.sleeps == []


async def test_5xx_and_connection_errors_are_retried_with_exponential_backoff() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=1), FakeClock()
    fake.queue("POST", "/predictions", httpx.Response(502, text="<html>Bad gateway</html>"))
    fake.queue("POST", "/predictions", httpx.ConnectError)
    fake.queue("GET", "/predictions/", httpx.ReadTimeout, httpx.Response(503, json={"detail": "busy"}))
    prediction = await fake.client(clock, backoff_base_s=1.0, poll_first_s=0.25).run(FLUX, {"prompt": "x"})
    assert prediction.status == "succeeded"
    assert len(fake.calls("POST", CREATE)) == 3
    # rng is 0.5 → equal jitter gives 0.75 × the step: 1 s, 2 s steps for each request's retries
    assert clock.sleeps == [0.75, 1.5, 0.25, 0.75, 1.5, 0.375]


async def test_transient_errors_give_up_after_the_attempt_budget() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    fake.queue("POST", "/predictions", *[httpx.Response(500, json={"detail": "boom"})] * 3)
    with pytest.raises(TransientProviderError, match="after 3 attempts: HTTP 500 boom"):
        await fake.client(clock, attempts=3).run(FLUX, {"prompt": "x"})
    assert len(fake.calls("POST", CREATE)) == 3


async def test_other_4xx_fail_fast_with_the_api_detail() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    fake.queue("POST", "/predictions", httpx.Response(422, json=recording("error.422")))
    with pytest.raises(PermanentProviderError) as err:
        await fake.client(clock).run(FLUX, {"prompt": "x", "aspect_ratio": "7:3"})
    assert "HTTP 422" in err.value.reason
    assert "aspect_ratio must be one of the following" in (err.value.detail or "")
    assert len(fake.requests) == 1 and clock.sleeps == []


async def test_bad_token_says_which_setting_to_fix() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    fake.queue("POST", "/predictions", httpx.Response(401, json=recording("error.401")))
    with pytest.raises(PermanentProviderError, match="ADMINT_REPLICATE_API_TOKEN") as err:
        await fake.client(clock).run(FLUX, {"prompt": "x"})
    assert "valid authentication token" in (err.value.detail or "")


async def test_timeout_while_processing_cancels_and_is_permanent_but_user_retryable() -> None:
    fake, clock = FakeReplicate("wan-i2v.succeeded", stuck="processing"), FakeClock()
    start = clock.now
    with pytest.raises(PermanentProviderError, match="timeout") as err:
        await fake.client(clock, timeout_s=60).run(FLUX, {"prompt": "x"})
    assert err.value.retryable
    (cancel,) = fake.calls("POST", CANCEL)
    assert cancel.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake.cancelled == [cancel.url.path.split("/")[-2]]
    assert clock.now - start == pytest.approx(60)  # never waits past the deadline


async def test_timeout_while_still_queued_cancels_and_is_transient() -> None:
    fake, clock = FakeReplicate("wan-i2v.succeeded", stuck="starting"), FakeClock()
    with pytest.raises(TransientProviderError, match="did not start"):
        await fake.client(clock, timeout_s=30).run(FLUX, {"prompt": "x"})
    assert len(fake.cancelled) == 1


async def test_losing_track_of_a_prediction_cancels_it() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=3), FakeClock()
    fake.queue("GET", "/predictions/", *[httpx.Response(500, json={"detail": "down"})] * 2)
    with pytest.raises(TransientProviderError):
        await fake.client(clock, attempts=2).run(FLUX, {"prompt": "x"})
    assert len(fake.cancelled) == 1


async def test_task_cancellation_cancels_the_prediction() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", stuck="processing"), FakeClock()
    client = fake.client(clock)
    task = asyncio.create_task(client.run(FLUX, {"prompt": "x"}))
    for _ in range(10_000):  # let it create the prediction and start polling
        if fake.calls("GET", PREDICTION):
            break
        await asyncio.sleep(0)
    assert fake.calls("GET", PREDICTION) and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(fake.cancelled) == 1


async def test_concurrency_is_limited_per_model() -> None:
    limited = ModelInfo(name="limited", kind="image", provider="replicate", ref="acme/limited",
                        price_usd=0.01, unit="image", concurrency=2)
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=3), FakeClock()
    client = fake.client(clock)
    results = await asyncio.gather(*(client.run(limited, {"prompt": str(i)}) for i in range(6)))
    assert all(r.status == "succeeded" for r in results)
    assert len(fake.calls("POST", CREATE)) == 6
    assert fake.max_inflight == 2  # never more than the registry allows, and it does run two at once


async def test_replicas_sharing_a_slot_lease_stay_within_the_model_concurrency_together() -> None:
    """Two clients (two chunker replicas) with a common lease (in production SharedSlots in MongoDB; here a
    fake of that port): together never more predictions than the registry allows."""
    limited = ModelInfo(name="limited", kind="video", provider="replicate", ref="acme/limited",
                        price_usd=0.01, unit="second", concurrency=2)
    shared: dict[str, asyncio.Semaphore] = {}
    asked: list[tuple[str, int]] = []

    @contextlib.asynccontextmanager
    async def lease(name: str, capacity: int) -> AsyncIterator[None]:
        asked.append((name, capacity))
        async with shared.setdefault(name, asyncio.Semaphore(capacity)):
            yield

    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=3), FakeClock()
    replicas = [fake.client(clock, shared_slots=lease) for _ in range(2)]
    results = await asyncio.gather(*(replicas[i % 2].run(limited, {"prompt": str(i)}) for i in range(6)))
    assert all(r.status == "succeeded" for r in results)
    assert fake.max_inflight == 2  # each replica alone would have allowed 2, i.e. 4 together
    assert set(asked) == {("replicate:limited", 2)} and len(asked) == 6


async def test_different_models_do_not_share_a_slot() -> None:
    one = ModelInfo(name="one", kind="image", provider="replicate", ref="acme/one", price_usd=0, unit="image")
    two = ModelInfo(name="two", kind="image", provider="replicate", ref="acme/two", price_usd=0, unit="image")
    fake, clock = FakeReplicate("flux-schnell.succeeded", polls=3), FakeClock()
    client = fake.client(clock)
    await asyncio.gather(client.run(one, {}), client.run(two, {}))
    assert fake.max_inflight == 2


async def test_download_fetches_every_output_without_leaking_the_token() -> None:
    files = {OUT: b"png-bytes", OUT + "2": b"more"}
    fake, clock = FakeReplicate("flux-schnell.succeeded", files=files), FakeClock()
    assert await fake.client(clock).download([OUT, OUT + "2"]) == [b"png-bytes", b"more"]
    downloads = [r for r in fake.requests if r.url.host == "replicate.delivery"]
    assert len(downloads) == 2 and all("authorization" not in r.headers for r in downloads)


async def test_download_retries_and_decodes_data_uris() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded", files={OUT: b"video"}), FakeClock()
    fake.queue("GET", "replicate.delivery", httpx.Response(503))
    assert await fake.client(clock).download(OUT) == [b"video"]
    data_uri = "data:audio/wav;base64," + base64.b64encode(b"RIFFwav").decode()
    assert await fake.client(clock).download(data_uri) == [b"RIFFwav"]


@pytest.mark.parametrize("output", [None, [], {"x": 1}])
async def test_success_without_a_file_is_permanent(output: object) -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    with pytest.raises(PermanentProviderError):
        await fake.client(clock).download(output)


async def test_expired_output_is_permanent() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    with pytest.raises(PermanentProviderError, match="HTTP 404"):
        await fake.client(clock).download(OUT)


async def test_small_inputs_are_data_uris_large_ones_go_through_the_files_api() -> None:
    fake, clock = FakeReplicate("flux-schnell.succeeded"), FakeClock()
    client = fake.client(clock, data_uri_max_bytes=1000)
    small = await client.file_input(b"\xff\xd8tiny", "image/jpeg", "init.jpg")
    assert small == "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8tiny").decode()
    assert fake.requests == []

    large = await client.file_input(b"\xff\xd8" + b"x" * 5000, "image/jpeg", "init.jpg")
    assert large == recording("file.created")["urls"]["get"]
    (upload,) = fake.calls("POST", "^/v1/files$")
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="content"; filename="init.jpg"' in upload.content
