"""Audit of generations on a real stack: documents, objects and the event stream agree (faults and soak share it).

Every generation terminal; every object under its prefix referenced by its document and every referenced object
present; a completed one has exactly the expected objects; no derived event twice in the stream (deterministic
dedup ids); one terminal event per retry round.
"""

from collections import Counter
from typing import Any

from admint.contracts.registry import TERMINAL_TYPES, parse_event
from admint.contracts.stages import PIPELINE
from admint.core.blobstore import BlobStore
from admint.core.bus import connect_nats
from admint.core.docstore import GenerationRepository
from admint.core.document import GenerationDoc
from admint.core.mongo import connect
from admint.core.settings import CoreSettings

TERMINAL = PIPELINE.terminal


async def audit_generations(settings: CoreSettings, ids: list[str]) -> dict[str, Any]:
    """Read documents, objects and the event stream of each generation and find every inconsistency."""
    mongo = connect(settings.mongo_url)
    docs = GenerationRepository(mongo[settings.mongo_db])
    blobs = BlobStore.from_settings(settings)
    nc = await connect_nats(settings)
    js = nc.jetstream()
    report: dict[str, Any] = {"problems": [], "status": {}, "duplicates": 0}
    try:
        for gid in ids:
            doc = await docs.get(gid)
            assert doc is not None
            report["status"][gid] = doc.status
            if doc.status not in TERMINAL:
                report["problems"].append(f"{gid}: not terminal ({doc.status})")
            keys = set(await blobs.list_keys(f"generations/{gid}/"))
            referenced = _referenced_keys(doc.model_dump(mode="json"))
            orphans = keys - referenced
            if orphans:
                report["problems"].append(f"{gid}: objects not referenced by the document: {sorted(orphans)}")
            missing = {k for k in referenced if k.startswith(f"generations/{gid}/")} - keys
            if missing and doc.status == "completed":
                report["problems"].append(f"{gid}: document references missing objects: {sorted(missing)}")
            if doc.status == "completed":
                expected = _expected_keys(gid, doc)
                if not expected <= keys:
                    report["problems"].append(f"{gid}: expected objects missing: {sorted(expected - keys)}")
            events = await stream_events(js, gid)
            ids_seen = Counter(e.msg_id for e in events)
            dups = {k: v for k, v in ids_seen.items() if v > 1}
            report["duplicates"] += sum(v - 1 for v in dups.values())
            if dups:
                report["problems"].append(f"{gid}: duplicate derived events {dups}")
            rounds = Counter(e.attempt for e in events if e.type in TERMINAL_TYPES)
            last_round = max((e.attempt for e in events), default=0)
            if any(n != 1 for n in rounds.values()) or rounds.get(last_round) != 1:
                report["problems"].append(f"{gid}: expected one terminal event per retry round, got {dict(rounds)}")
    finally:
        await nc.close()
        await mongo.close()
    return report


def _referenced_keys(node: Any) -> set[str]:
    """Every object key mentioned anywhere in the document (artifact refs are dicts with a `key`)."""
    found: set[str] = set()
    if isinstance(node, dict):
        key = node.get("key")
        if isinstance(key, str) and "bucket" in node:
            found.add(key)
        for value in node.values():
            found |= _referenced_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced_keys(value)
    return found


def _expected_keys(gid: str, doc: GenerationDoc) -> set[str]:
    beats = doc.plan.beats if doc.plan else []
    expected = {f"generations/{gid}/storyboard/{b.index}.png" for b in beats}
    expected.add(f"generations/{gid}/master.mp4")
    expected.add(f"generations/{gid}/exports/poster.jpg")
    expected.add(f"generations/{gid}/exports/thumbnail.jpg")
    for chunk in doc.chunking.chunks:
        expected.add(f"generations/{gid}/chunks/{chunk}.mp4")
    return expected


async def stream_events(js: Any, gid: str) -> list[Any]:
    info = await js.stream_info("ADMINT")
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    events = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                break
            try:
                events.append(parse_event(msg.data))
            except ValueError:
                continue  # a hand-made poison message is not an event
            if msg.metadata.sequence.stream >= info.state.last_seq:
                break
    finally:
        await sub.unsubscribe()
    return events


