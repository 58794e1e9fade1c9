"""The studio API against the real stack (gateway, NATS, S3, Mongo-wire; the pipeline services are not running, so
each test puts the generation where a service would have left it): checkpoints, plan edits and their 422s, one
of two concurrent approvals, Idempotency-Key on POSTs, feedback interpreted then applied, regenerations and their
409s, versions, cancel at a checkpoint."""

import asyncio

import httpx
import pytest

from admint.contracts.feedback import BeatRegeneration, FeedbackIntent, RenderHints
from admint.contracts.registry import parse_event
from admint.contracts.subjects import subject_for
from admint.core.document import ChunkEntry, FrameEntry
from admint.core.keys import chunk_key, storyboard_key
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_api_generations import BRIEF, assert_problem
from tests.support import builders

pytestmark = pytest.mark.integration


@pytest.fixture
async def key(gateway: RunningGateway) -> str:
    """A key that may keep several generations waiting at checkpoints at once."""
    return await gateway.new_key(max_active_generations=50)


async def interactive(gateway: RunningGateway, client: httpx.AsyncClient, **body: object) -> str:
    response = await client.post("/v1/generations", json={"brief": BRIEF, "duration_s": 15, "interactive": True,
                                                           **body})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def planned(gateway: RunningGateway, gid: str, checkpoint: str | None = "plan") -> None:
    """Where the planner leaves it: the plan stored, every card planned, waiting at `checkpoint`."""
    docs = gateway.state.docs
    plan = builders.plan(15)
    assert await docs.store_plan(gid, plan)
    await docs.plan_beats(gid, len(plan.beats))
    if checkpoint:
        assert await docs.wait_at(gid, checkpoint)


async def storyboarded(gateway: RunningGateway, gid: str) -> None:
    """Where the storyboard leaves it: a frame per beat, cards frame_ready, waiting at the storyboard."""
    docs = gateway.state.docs
    await planned(gateway, gid, None)
    assert await docs.enter(gid, "storyboarding")
    for beat in range(3):
        ref = await gateway.state.blobs.put_bytes(storyboard_key(gid, beat), f"png {beat}".encode(), "image/png")
        await docs.frame_done(gid, beat, FrameEntry(image=ref, model="offline-image"))
        await docs.move_beat(gid, beat, "frame_ready")
    assert await docs.wait_at(gid, "storyboard")


async def last_event(gateway: RunningGateway, gid: str, event_type: str) -> object:
    message = await gateway.state.js.get_last_msg(gateway.settings.stream_name, subject_for(gid, event_type))
    return parse_event(message.data or b"")


async def test_an_interactive_request_names_its_checkpoints(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        view = (await client.get(f"/v1/generations/{gid}")).json()
        assert view["spec"]["interactive"] and view["spec"]["checkpoints"] == ["plan", "storyboard"]
        assert view["studio"]["checkpoints"] == ["plan", "storyboard"] and view["beats"] == []
        every = await interactive(gateway, client, checkpoints=["storyboard", "moods", "plan"])
        assert (await client.get(f"/v1/generations/{every}")).json()["spec"]["checkpoints"] == [
            "moods", "plan", "storyboard"]
        body = assert_problem(await client.post("/v1/generations", json={"brief": BRIEF, "checkpoints": ["plan"]}),
                              422)
        assert "interactive" in str(body)
        assert_problem(await client.post("/v1/generations", json={"brief": BRIEF, "interactive": True,
                                                                  "checkpoints": ["review"]}), 422)
        auto = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        assert (await client.get(f"/v1/generations/{auto}")).json()["studio"] is None


async def test_plan_edits_are_validated_like_the_planner_and_answer_where_they_went_wrong(
        gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [{"index": 0,
                                                                                           "caption": "x"}]}), 409)
        await planned(gateway, gid)
        too_long = await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [
            {"index": 1, "caption": "A caption far too long to be read at a glance on a phone screen"}]})
        body = assert_problem(too_long, 422)
        assert body["errors"][0]["pointer"] == "/beats/0/caption" and "Beat 2" in body["errors"][0]["msg"]
        total = assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [
            {"index": 0, "duration_s": 10}]}), 422)
        assert total["errors"][0]["type"] == "duration_total"
        assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [
            {"index": 0, "duration_s": 7}]}), 422)
        assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [{"index": 9,
                                                                                           "caption": "x"}]}), 422)
        assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [], "colour": "red"}), 422)
        unchanged = (await client.get(f"/v1/generations/{gid}")).json()
        assert unchanged["plan_rev"] == 0 and unchanged["plan"] == builders.plan(15).model_dump(mode="json")
        ok = await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [
            {"index": 1, "caption": "Cold for 24 hours"}, {"index": 2, "camera_movement": "static"}]})
        assert ok.status_code == 200, ok.text
        result = ok.json()
        assert result["plan_rev"] == 1 and result["redo"] == {"1": "caption", "2": "video"}
        assert result["plan"]["beats"][1]["caption"] == "Cold for 24 hours"
        changed = await last_event(gateway, gid, "plan.changed.v1")
        assert changed.plan_rev == 1 and changed.source == "edit" and changed.beats == [1, 2]  # type: ignore[attr-defined]


async def test_two_concurrent_approvals_one_wins_and_a_key_replays(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        assert_problem(await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "plan"}), 409)
        await planned(gateway, gid)
        assert_problem(await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "storyboard"}), 409)
        url = f"/v1/generations/{gid}/approve"
        first, second = await asyncio.gather(client.post(url, json={"checkpoint": "plan"}),
                                             client.post(url, json={"checkpoint": "plan"}))
        assert sorted([first.status_code, second.status_code]) == [202, 409]
        won = first if first.status_code == 202 else second
        assert won.json()["status"] == "storyboarding" and won.json()["checkpoint"] is None
        started = await last_event(gateway, gid, "plan.completed.v1")
        assert started.producer == "gateway" and started.plan.beats  # type: ignore[attr-defined]

        other = await interactive(gateway, client)
        await planned(gateway, other)
        headers = {"Idempotency-Key": f"approve-{other}"}
        once = await client.post(f"/v1/generations/{other}/approve", json={"checkpoint": "plan"}, headers=headers)
        again = await client.post(f"/v1/generations/{other}/approve", json={"checkpoint": "plan"}, headers=headers)
        assert once.status_code == again.status_code == 202 and once.json() == again.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        misuse = await client.post(f"/v1/generations/{other}/approve", json={"checkpoint": "moods"}, headers=headers)
        assert assert_problem(misuse, 409)["type"] == "/problems/idempotency-conflict"


async def test_moods_need_a_board_and_cancel_works_at_a_checkpoint(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client, checkpoints=["moods", "plan"])
        await planned(gateway, gid, "moods")
        assert_problem(await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "moods"}), 422)
        headers = {"Idempotency-Key": f"cancel-{gid}"}
        cancelled = await client.post(f"/v1/generations/{gid}/cancel", headers=headers)
        assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
        replayed = await client.post(f"/v1/generations/{gid}/cancel", headers=headers)  # the same command again
        assert replayed.status_code == 202 and replayed.headers["Idempotent-Replayed"] == "true"
        assert_problem(await client.post(f"/v1/generations/{gid}/cancel"), 409)  # another command: too late
        assert_problem(await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "moods", "mood": 1}),
                       409)


async def test_regenerating_at_the_storyboard_takes_one_beat_at_a_time(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        await storyboarded(gateway, gid)
        url = f"/v1/generations/{gid}/beats/1/regenerate"
        assert_problem(await client.post(url, json={"what": "video"}), 409)
        assert_problem(await client.post(f"/v1/generations/{gid}/beats/7/regenerate", json={}), 404)
        taken = await client.post(url, json={"what": "frame", "seed": 99})
        assert taken.status_code == 202, taken.text
        assert taken.json()["beats"] == [1] and taken.json()["status"] == "awaiting_approval"
        request = await last_event(gateway, gid, "frame.requested.v1")
        assert request.take == 1 and request.seed == 99 and request.beat.index == 1  # type: ignore[attr-defined]
        busy = assert_problem(await client.post(url, json={"what": "frame"}), 409)
        assert busy["type"] == "/problems/beat-busy"
        assert_problem(await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "storyboard"}), 409)
        view = (await client.get(f"/v1/generations/{gid}")).json()
        assert [(c["index"], c["state"], c["take"]) for c in view["beats"]] == [
            (0, "frame_ready", 0), (1, "regenerating", 1), (2, "frame_ready", 0)]
        assert view["studio"]["checkpoint"] == "storyboard" and view["studio"]["deadline"]
        # the take arrives (as the storyboard would record it); now the storyboard can be approved
        docs = gateway.state.docs
        ref = await gateway.state.blobs.put_bytes(storyboard_key(gid, 1, 1), b"png 1 take 1", "image/png")
        take = FrameEntry(image=ref, model="offline-image", take=1, seed=99)
        await docs.record_frame_take(gid, 1, take)
        assert await docs.use_take(gid, 1, take) and await docs.move_beat(gid, 1, "frame_ready", take=1,
                                                                           expect_take=1)
        approved = await client.post(f"/v1/generations/{gid}/approve", json={"checkpoint": "storyboard"})
        assert approved.status_code == 202 and approved.json()["status"] == "chunking"
        board = await last_event(gateway, gid, "storyboard.completed.v1")
        assert board.frames[1].image.key == storyboard_key(gid, 1, 1)  # type: ignore[attr-defined]


async def test_feedback_is_interpreted_before_it_is_applied(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        await storyboarded(gateway, gid)
        given = await client.post(f"/v1/generations/{gid}/feedback", json={"message": "make beat 1 warmer"})
        assert given.status_code == 202, given.text
        fid = given.json()["feedback_id"]
        assert given.headers["location"].endswith(f"/feedback/{fid}")
        asked = await last_event(gateway, gid, "feedback.requested.v1")
        assert asked.feedback_id == fid and asked.message == "make beat 1 warmer"  # type: ignore[attr-defined]
        entry = (await client.get(f"/v1/generations/{gid}/feedback/{fid}")).json()
        assert entry["state"] == "interpreting" and entry["understood"] is None
        apply = f"/v1/generations/{gid}/feedback/{fid}/apply"
        assert assert_problem(await client.post(apply), 409)["type"] == "/problems/not-interpreted"
        # the planner's answer (as planner-feedback records it)
        intent = FeedbackIntent(kind="regenerate", understood="Beat 1: warmer colours.", interpreter="offline-rules",
                                confidence=0.9, regenerate=[BeatRegeneration(index=0, hints=RenderHints(
                                    palette=["warmer"]))])
        assert await gateway.state.docs.interpreted(gid, fid, intent, [])
        entry = (await client.get(f"/v1/generations/{gid}/feedback/{fid}")).json()
        assert entry["state"] == "interpreted" and entry["understood"] == "Beat 1: warmer colours."
        applied = await client.post(apply)
        assert applied.status_code == 202, applied.text
        assert applied.json()["beats"] == [0]
        request = await last_event(gateway, gid, "frame.requested.v1")
        assert request.beat.index == 0 and request.take == 1  # type: ignore[attr-defined]
        assert request.style.palette != builders.plan(15).style.palette  # type: ignore[attr-defined]
        assert "warm colour grade" in request.beat.prompt  # type: ignore[attr-defined]
        assert assert_problem(await client.post(apply), 409)["type"] == "/problems/already-applied"
        listed = (await client.get(f"/v1/generations/{gid}/feedback")).json()["items"]
        assert [(f["id"], f["state"]) for f in listed] == [(fid, "applied")]
        assert_problem(await client.post(f"/v1/generations/{gid}/feedback", json={"message": "  "}), 422)


async def test_after_completion_a_change_makes_one_new_version(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        await storyboarded(gateway, gid)
        docs = gateway.state.docs
        for beat in range(3):
            ref = await gateway.state.blobs.put_bytes(chunk_key(gid, beat, 0), f"mp4 {beat}".encode(), "video/mp4")
            await docs.chunk_done(gid, ChunkEntry(beat_index=beat, chunk_index=0, chunk_count=1, video=ref,
                                                  last_frame=ref, duration_s=5.5, requested_duration_s=5.0,
                                                  model="offline-video"))
        await gateway.state.docs.collection.update_one({"_id": gid}, {"$set": {"status": "completed"}})
        versions = (await client.get(f"/v1/generations/{gid}/versions")).json()
        assert versions["latest"] == 1 and [v["number"] for v in versions["items"]] == [1]
        first, second = await asyncio.gather(
            client.post(f"/v1/generations/{gid}/beats/2/regenerate", json={"what": "frame"}),
            client.post(f"/v1/generations/{gid}/beats/0/regenerate", json={"what": "video"}))
        assert sorted([first.status_code, second.status_code]) == [202, 409]
        won = first if first.status_code == 202 else second
        assert won.json()["version"] == 2 and won.json()["status"] == "completed"
        requested = await last_event(gateway, gid, "version.requested.v1")
        assert requested.ad_version == 2 and len(requested.beats) == 1  # type: ignore[attr-defined]
        versions = (await client.get(f"/v1/generations/{gid}/versions")).json()
        assert versions["rendering"] == 2 and [v["state"] for v in versions["items"]] == ["completed", "rendering"]
        assert_problem(await client.get(f"/v1/generations/{gid}/video", params={"version": 2}), 409)
        assert_problem(await client.get(f"/v1/generations/{gid}/video", params={"version": 9}), 404)
        busy = assert_problem(await client.patch(f"/v1/generations/{gid}/plan", json={"beats": [
            {"index": 1, "caption": "Cold for 24 hours"}]}), 409)
        assert busy["type"] == "/problems/version-rendering"
        # the version fails (as a worker would record it): POST …/retry makes it again, as version 3
        await docs.fail_version(gid, 2, "chunking", "the video model refused", retryable=True)
        retried = await client.post(f"/v1/generations/{gid}/retry")
        assert retried.status_code == 202, retried.text
        again = await last_event(gateway, gid, "version.requested.v1")
        assert again.ad_version == 3 and again.beats[0].index == requested.beats[0].index  # type: ignore[attr-defined]


async def test_the_feed_follows_a_new_version_past_the_generation_s_end(gateway: RunningGateway, key: str) -> None:
    from admint.contracts.interactive import VersionCompleted
    from tests.integration.gateway.test_sse import MASTER, progress, read_feed

    publisher = gateway.state.publisher
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        await publisher.publish(progress(gid, 1))
        from admint.contracts.generation import GenerationCompleted
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER, renditions=[],
                                                    duration_s=15.0))
        first = await read_feed(client, gid)
        assert first.events[-1][1] == "generation.completed.v1"
        seen = first.events[-1][0]
        await gateway.state.docs.collection.update_one({"_id": gid}, {"$set": {"status": "completed",
                                                                               "rendering_version": 2}})
        reader = asyncio.create_task(read_feed(client, gid, last_event_id=seen))
        await asyncio.sleep(0.8)  # the resumed feed stays open while version 2 renders
        assert not reader.done()
        await publisher.publish(progress(gid, 2).model_copy(update={"ad_version": 2}))
        await gateway.state.docs.collection.update_one({"_id": gid}, {"$set": {"rendering_version": 0,
                                                                               "latest_version": 2}})
        await publisher.publish(VersionCompleted(generation_id=gid, producer="test", master=MASTER, renditions=[],
                                                 duration_s=15.0, ad_version=2))
        resumed = await asyncio.wait_for(reader, timeout=20)
        assert [t for _, t, _ in resumed.events] == ["stage.progress.v1", "version.completed.v1"]
        whole = await read_feed(client, gid)  # from the start: the whole history, to the last version's end
        assert [t for _, t, _ in whole.events][-3:] == ["generation.completed.v1", "stage.progress.v1",
                                                        "version.completed.v1"]
        assert (await read_feed(client, gid, last_event_id=whole.events[-1][0])).events == []


async def test_looks_good_approves_and_an_unclear_message_applies_nothing(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = await interactive(gateway, client)
        await planned(gateway, gid)
        fids = []
        for message in ("looks good", "hmm"):
            given = await client.post(f"/v1/generations/{gid}/feedback", json={"message": message})
            assert given.status_code == 202, given.text
            fids.append(given.json()["feedback_id"])
        docs = gateway.state.docs
        assert await docs.interpreted(gid, fids[0], FeedbackIntent(
            kind="approve", understood="Looks good: approve.", interpreter="offline-rules", confidence=1.0), [])
        assert await docs.interpreted(gid, fids[1], FeedbackIntent(
            kind="unclear", understood="Nothing to change was understood.", interpreter="offline-rules",
            confidence=0.2), [])
        unclear = assert_problem(await client.post(f"/v1/generations/{gid}/feedback/{fids[1]}/apply"), 422)
        assert "Nothing to change" in unclear["detail"]
        approved = await client.post(f"/v1/generations/{gid}/feedback/{fids[0]}/apply")
        assert approved.status_code == 202 and approved.json()["status"] == "storyboarding"
        started = await last_event(gateway, gid, "checkpoint.approved.v1")
        assert started.checkpoint == "plan"  # type: ignore[attr-defined]
