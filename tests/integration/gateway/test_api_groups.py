"""Generation groups through the real gateway on the real servers (no pipeline services: the test plays them by
writing documents through the typed repository and publishing events)."""

import asyncio

import httpx
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.generation import GenerationCompleted, StageProgress
from admint.contracts.quality import QualityScored
from admint.core.document import MasterSection, ScoreEntry
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_sse import Feed
from tests.support import builders

pytestmark = pytest.mark.integration
BRIEF = "A 15 second ad for a cast-iron pan that lasts a lifetime, for first-time cooks."
MASTER = ArtifactRef(bucket="admint", key="generations/x/master.mp4", sha256="0" * 64, size=1, content_type="video/mp4")


async def read_group_feed(client: httpx.AsyncClient, group_id: str, last_event_id: int | None = None) -> Feed:
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    feed = Feed()
    async with client.stream("GET", f"/v1/generation-groups/{group_id}/events", headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "event" in fields:
                    feed.events.append((int(fields["id"]), fields["event"], fields["data"]))
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
    return feed


async def complete(gateway: RunningGateway, gid: str, overall: float) -> None:
    """What the stitcher, exporter and scorer would have recorded and published for a member."""
    docs = gateway.state.docs
    master = MasterSection(video=MASTER, duration_s=15, frames=450, has_audio=True)
    await docs.enter(gid, "stitching")
    await docs.record_master(gid, master)
    await docs.record_score(gid, "master", "master", 0, ScoreEntry(
        video=MASTER, scores=builders.quality_scores(overall, sharpness=overall, loudness=100.0)))
    await docs.complete(gid, 0.0)
    await gateway.state.publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                              renditions=[], duration_s=15.0))


async def test_a_group_is_created_ranked_and_its_winner_recorded(gateway: RunningGateway) -> None:
    key = await gateway.new_key(max_active_generations=5)
    async with gateway.client(key) as client:
        body = {"brief": BRIEF, "duration_s": 15, "seed": 42, "variants": 3}
        created = await client.post("/v1/generation-groups", json=body, headers={"Idempotency-Key": "grp-1"})
        assert created.status_code == 202, created.text
        group = created.json()
        members = [m["id"] for m in group["members"]]
        assert len(set(members)) == 3 and created.headers["location"].endswith(f"/v1/generation-groups/{group['id']}")
        again = await client.post("/v1/generation-groups", json=body, headers={"Idempotency-Key": "grp-1"})
        assert again.status_code == 202 and [m["id"] for m in again.json()["members"]] == members
        assert again.headers["idempotent-replayed"] == "true"
        conflict = await client.post("/v1/generation-groups", json={**body, "seed": 43},
                                     headers={"Idempotency-Key": "grp-1"})
        assert conflict.status_code == 409 and conflict.headers["content-type"] == "application/problem+json"

        views = [(await client.get(f"/v1/generations/{g}")).json() for g in members]
        assert [v["spec"]["framework"] for v in views] == ["AIDA", "PAS", "FAB"]
        assert {v["spec"]["seed"] for v in views} == {42} and {v["group_id"] for v in views} == {group["id"]}
        for gid in members:  # every member is an ordinary, published generation
            doc = await gateway.state.docs.get(gid)
            assert doc is not None and doc.request.published_at is not None

        too_many = await client.post("/v1/generation-groups", json={**body, "variants": 3})
        assert too_many.status_code == 429  # 3 running + 3 more > 5

        # the feed carries every member's events, in stream order, and ends when all ended and were scored
        reader = asyncio.create_task(read_group_feed(client, group["id"]))
        publisher = gateway.state.publisher
        await publisher.publish(StageProgress(generation_id=members[1], producer="test", stage="planning", done=1,
                                              total=1))
        for gid, overall in zip(members, (71.0, 84.5, 77.25), strict=True):
            await complete(gateway, gid, overall)
        await publisher.publish(QualityScored(generation_id=members[0], producer="scorer", kind="master",
                                              item="master", video=MASTER, scores=builders.quality_scores(71.0)))
        feed = await asyncio.wait_for(reader, 30)
        seqs = [s for s, _, _ in feed.events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        types = [t for _, t, _ in feed.events]
        assert types.count("generation.requested.v1") == 3 and types.count("generation.completed.v1") == 3
        assert types[-1] == "quality.scored.v1"  # a score published after the last member completed
        resumed = await read_group_feed(client, group["id"], last_event_id=seqs[2])
        assert [s for s, _, _ in resumed.events] == seqs[3:]

        view = (await client.get(f"/v1/generation-groups/{group['id']}")).json()
        assert view["status"] == "completed" and view["varying"] == ["framework"]
        assert [(m["generation_id"], m["rank"], m["overall"]) for m in view["members"]] == [
            (members[1], 1, 84.5), (members[2], 2, 77.25), (members[0], 3, 71.0)]
        assert view["members"][2]["behind_best"] == 13.5 and view["members"][0]["dimensions"]["sharpness"] == 84.5

        not_member = await client.post(f"/v1/generation-groups/{group['id']}/winner",
                                       json={"generation_id": builders.GID})
        assert not_member.status_code == 422
        picked = await client.post(f"/v1/generation-groups/{group['id']}/winner",
                                   json={"generation_id": members[1]})
        assert picked.status_code == 200 and picked.json()["winner"]["generation_id"] == members[1]
        again_view = (await client.get(f"/v1/generation-groups/{group['id']}")).json()
        assert again_view["winner"]["generation_id"] == members[1]


async def test_groups_are_private_and_bodies_are_validated(gateway: RunningGateway, key: str,
                                                           other_key: str) -> None:
    async with gateway.client(key) as client, gateway.client(other_key) as other:
        created = await client.post("/v1/generation-groups", json={"brief": BRIEF, "variants": [
            {"framework": "PAS"}, {"creativity": 0.9, "seed": 7}]})
        assert created.status_code == 202, created.text
        group_id = created.json()["id"]
        assert (await other.get(f"/v1/generation-groups/{group_id}")).status_code == 404
        assert (await other.get(f"/v1/generation-groups/{group_id}/events")).status_code == 404
        for bad in ({"brief": BRIEF, "variants": 9}, {"brief": BRIEF, "variants": [{"aspect": "1:1"}]},
                    {"brief": BRIEF}):
            response = await client.post("/v1/generation-groups", json=bad)
            assert response.status_code == 422, response.text
        member = created.json()["members"][0]["id"]
        early = await client.post(f"/v1/generation-groups/{group_id}/winner", json={"generation_id": member})
        assert early.status_code == 409  # not completed yet
