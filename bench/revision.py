"""Revision benchmark: one changed beat of a finished ad against making the whole ad, in the same run.

Starts the whole system (local stack, every service a process, the gateway; offline providers), then times:
  (a) a full generation of a 6-beat 30 s ad: POST /v1/generations → generation.completed.v1 on the SSE feed;
  (b) a one-beat revision of that ad: POST …/beats/3/regenerate {what: frame} → version.completed.v1, where only
      beat 3's frame and chunks are rendered again, the stitcher copies every other chunk and transition window
      (re-encoding the two windows beside beat 3) and reuses the music bed, and the exporter re-exports.
Prints both times and the ratio (a)/(b) (aim: at least 4), and checks the two masters have the same length.

    uv run python bench/revision.py                 # 1080×1920 (ADMINT_RENDER_LONG_SIDE of the gateway)
    uv run python bench/revision.py --long-side 640 # smaller frames, quicker
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from benchkit.stack import wait_scored

from admint.devstack.processes import DevStack

BRIEF = "A 30 second ad for a reusable steel water bottle that keeps drinks cold for 24 hours, for hikers."
SEED = 5
"""The offline planner's plan of this brief at this seed has six beats of 5 s."""


def follow(api: httpx.Client, gid: str, until: set[str], after: int = 0, timeout_s: float = 1800) -> dict[str, Any]:
    """Read the SSE feed (after sequence `after`) until an event of one of the `until` types; that event."""
    headers = {"Last-Event-ID": str(after)}
    with api.stream("GET", f"/v1/generations/{gid}/events", headers=headers,
                    timeout=httpx.Timeout(timeout_s, connect=10)) as response:
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line == "" and "data" in fields:
                if fields["event"] in until:
                    return {"seq": int(fields["id"]), "type": fields["event"], **json.loads(fields["data"])}
                fields = {}
            elif line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
    raise RuntimeError(f"the feed of {gid} ended without {sorted(until)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-side", type=int, default=int(os.environ.get("ADMINT_BENCH_LONG_SIDE", "1920")))
    args = parser.parse_args()
    key = "bench-" + os.urandom(6).hex()
    with tempfile.TemporaryDirectory(prefix="admint-bench-") as tmp:
        stack = DevStack(Path(tmp), env={"ADMINT_RENDER_LONG_SIDE": str(args.long_side), "ADMINT_DEV_API_KEY": key,
                                         "ADMINT_ENVIRONMENT": "test", "ADMINT_SSE_KEEPALIVE_S": "2"})
        try:
            started = stack.start()
            print(f"system up in {sum(started.values()):.1f}s ({args.long_side}px long side)")
            with httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
                t0 = time.perf_counter()
                created = api.post("/v1/generations", json={"brief": BRIEF, "duration_s": 30, "seed": SEED})
                created.raise_for_status()
                gid = created.json()["id"]
                done = follow(api, gid, {"generation.completed.v1", "generation.failed.v1"})
                full = time.perf_counter() - t0
                if done["type"] != "generation.completed.v1":
                    raise SystemExit(f"the generation failed: {done.get('reason')}")
                beats = len(api.get(f"/v1/generations/{gid}").json()["plan"]["beats"])
                # a person watches the ad before asking for a change; meanwhile the scorer finishes scoring it
                # (its CPU is not the revision's)
                if not wait_scored(api, gid):
                    print("(the scorer had not finished the first version: its CPU overlaps the revision)")

                t1 = time.perf_counter()
                answer = api.post(f"/v1/generations/{gid}/beats/2/regenerate", json={"what": "frame"})
                answer.raise_for_status()
                ended = follow(api, gid, {"version.completed.v1", "version.failed.v1"}, after=done["seq"])
                revision = time.perf_counter() - t1
                if ended["type"] != "version.completed.v1":
                    raise SystemExit(f"the revision failed: {ended.get('reason')}")
                versions = api.get(f"/v1/generations/{gid}/versions").json()["items"]
        finally:
            stack.stop()
    second = versions[1]
    print(f"(a) full generation, {beats} beats, 30 s: {full:6.1f}s")
    print(f"(b) one-beat revision (version 2):  {revision:6.1f}s  "
          f"({second.get('reused_windows')} windows reused, cost ${second['cost_usd']:.4f})")
    print(f"ratio (a)/(b) = {full / revision:.1f}x  (aim >= 4x)")


if __name__ == "__main__":
    main()
