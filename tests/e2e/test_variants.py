"""A/B variants end to end: a group of three generations on every service as a process (the scorer included),
followed on the group's one SSE feed, ranked by the scorer, the winner recorded.

Members: AIDA with crossfades, AIDA with cuts (the same plan, so every storyboard frame is shared), and PAS. The
ad is square with a 9:16 rendition: a 1:1 master is the platform's square (180×180 at this scale, 1080×1080 at
full size), and the 9:16 rendition is re-encoded, so it is scored on its own.
"""

from collections import Counter

import httpx
import pytest

from tests.support.sse import read_events

pytestmark = pytest.mark.e2e
BRIEF = "15-second ad for a reusable steel water bottle that keeps drinks cold for 24 hours, for hikers"


def test_a_group_of_three_variants_is_scored_ranked_and_decided(api: httpx.Client) -> None:
    created = api.post("/v1/generation-groups", json={
        "brief": BRIEF, "duration_s": 15, "aspect": "1:1", "renditions": ["9:16"], "seed": 5,
        "variants": [{"framework": "AIDA"}, {"framework": "AIDA", "transition": {"kind": "cut"}},
                     {"framework": "PAS"}],
    })
    assert created.status_code == 202, created.text
    group = created.json()
    members = [m["id"] for m in group["members"]]

    events = read_events(api, group["links"]["events"], timeout_s=900)
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    by_member = {g: [e for e in events if e.data["generation_id"] == g] for g in members}
    for gid, mine in by_member.items():  # the group feed is complete: every member from request to scores
        types = [e.event for e in mine]
        assert types[0] == "generation.requested.v1" and "generation.completed.v1" in types, (gid, types)
    scores = [e.data for e in events if e.event == "quality.scored.v1"]
    assert not [k for k, n in Counter((s["generation_id"], s["kind"], s["item"], s["take"]) for s in scores).items()
                if n > 1]  # every score exactly once

    for gid in members:
        view = api.get(f"/v1/generations/{gid}").json()
        assert view["status"] == "completed"
        quality = view["quality"]
        assert quality["pending"] == []  # every chunk take, the master and the rendition scored
        kept = [c for c in quality["chunks"] if c["kept"]]
        assert len(kept) == len(view["chunks"]) and all(c["overall"] is not None for c in kept)
        master = quality["master"]
        assert master["overall"] is not None and master["dimensions"]["join_smoothness"] is not None
        assert abs(master["integrated_lufs"] + 16.0) <= 1.0 and master["true_peak_dbtp"] <= -1.0
        assert [(r["aspect"], r["overall"] is not None) for r in quality["renditions"]] == [("1:1", True),
                                                                                              ("9:16", True)]
        assert (view["spec"]["size"]["width"], view["spec"]["size"]["height"]) == (180, 180)
        assert {r["aspect"]: (r["size"]["width"], r["size"]["height"]) for r in view["renditions"]} == {
            "1:1": (180, 180), "9:16": (180, 320)}
        assert sum(1 for s in scores if s["generation_id"] == gid and s["kind"] == "chunk") == len(
            quality["chunks"])

    ranked = api.get(group["links"]["self"]).json()
    assert ranked["status"] == "completed" and sorted(ranked["varying"]) == ["framework", "transition"]
    overall = [m["overall"] for m in ranked["members"]]
    assert overall == sorted(overall, reverse=True) and [m["rank"] for m in ranked["members"]] == [1, 2, 3]
    assert all(m["dimensions"]["sharpness"] is not None for m in ranked["members"])
    shared = ranked["shared"]
    assert shared["frames_reused"] >= 3  # the cut variant copies every frame of the crossfade one (3 beats)
    print(f"\ngroup {group['id']}: overall {overall}, frames reused {shared['frames_reused']} of "
          f"{shared['frames_reused'] + shared['frames_rendered']}")

    best = ranked["members"][0]["generation_id"]
    picked = api.post(group["links"]["winner"], json={"generation_id": best})
    assert picked.status_code == 200 and picked.json()["winner"]["generation_id"] == best
    assert api.get(group["links"]["self"]).json()["winner"]["generation_id"] == best
