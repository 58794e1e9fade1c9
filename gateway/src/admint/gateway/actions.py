"""Idempotency-Key for the studio's POSTs, with the events a command sets going kept beside its answer.

A command (approve, feedback, apply, regenerate, retry) runs once per (owner, key): the first request claims the key,
runs, and stores its answer *and the events it must publish* before publishing them; the key is marked done once
they are out. A retry with the same key and body gets the same answer (`Idempotent-Replayed: true`) and, if the
first attempt died between its commit and its publish, publishes the stored events then (their deterministic
`Nats-Msg-Id`s make a second publish harmless). Another body with the same key is a 409; a claim abandoned
mid-command (its process died) is taken over after ABANDONED_S and the command runs again — it meets the state the
first run left and answers accordingly. Client mistakes (4xx) are stored like successes, so a retry learns the same;
a 5xx frees the key.
"""

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from admint.contracts.envelope import Event
from admint.contracts.registry import parse_event
from admint.core.docstore import now
from admint.core.mongo import Database
from admint.gateway.problems import ProblemError
from admint.gateway.state import Gateway

log = logging.getLogger(__name__)
ABANDONED_S = 30.0


@dataclass
class Outcome:
    """What a command answers and the events it set going (published after its answer is stored)."""

    status: int
    body: BaseModel
    events: Sequence[Event] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    canonical = json.dumps(body.model_dump(mode="json") if body is not None else None, sort_keys=True)
    return hashlib.sha256(f"{method} {path} {canonical}".encode()).hexdigest()


class ActionRecords:
    """(owner, Idempotency-Key) → the command's fingerprint, answer and events, in the idempotency collection."""

    def __init__(self, db: Database) -> None:
        self.collection = db.idempotency_keys

    @staticmethod
    def record_id(owner: str, key: str) -> str:
        return f"action:{owner}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def claim(self, owner: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        """None when this call claimed the key; else the earlier record."""
        try:
            await self.collection.insert_one({"_id": self.record_id(owner, key), "owner": owner,
                                              "fingerprint": fingerprint, "done": False, "created_at": now()})
        except DuplicateKeyError:
            found: dict[str, Any] | None = await self.collection.find_one({"_id": self.record_id(owner, key)})
            return found
        return None

    async def take_over(self, owner: str, key: str, record: dict[str, Any]) -> bool:
        result = await self.collection.update_one(
            {"_id": self.record_id(owner, key), "created_at": record["created_at"], "answer": {"$exists": False}},
            {"$set": {"created_at": now()}})
        return result.modified_count == 1

    async def answer(self, owner: str, key: str, status: int, body: dict[str, Any], headers: dict[str, str],
                     events: Sequence[Event]) -> None:
        await self.collection.update_one({"_id": self.record_id(owner, key)}, {"$set": {
            "answer": {"status": status, "body": body, "headers": headers},
            "events": [e.model_dump(mode="json") for e in events]}})

    async def done(self, owner: str, key: str) -> None:
        await self.collection.update_one({"_id": self.record_id(owner, key)}, {"$set": {"done": True}})

    async def release(self, owner: str, key: str) -> None:
        await self.collection.delete_one({"_id": self.record_id(owner, key), "done": False})


async def publish_all(gw: Gateway, events: Sequence[Event]) -> None:
    for event in events:
        await gw.publisher.publish(event)


def _response(status: int, body: dict[str, Any], headers: dict[str, str], replayed: bool = False) -> JSONResponse:
    extra = {"Idempotent-Replayed": "true"} if replayed else {}
    media = "application/problem+json" if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, headers={**headers, **extra}, media_type=media)


def _problem_body(exc: ProblemError, path: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"/problems/{exc.kind}" if exc.kind else "about:blank", "title": exc.title,
                            "status": exc.status}
    if exc.detail:
        body["detail"] = exc.detail
    body["instance"] = path
    body.update(exc.extensions)
    return body


async def perform(gw: Gateway, owner: str, key: str | None, fingerprint_: str, path: str,
                  run: Callable[[], Awaitable[Outcome]]) -> JSONResponse:
    """Run a command once per Idempotency-Key (or just run it, without a key): answer stored, then events out."""
    if key is None:
        outcome = await run()
        await publish_all(gw, outcome.events)
        return _response(outcome.status, outcome.body.model_dump(mode="json"), outcome.headers)
    records = ActionRecords(gw.docs.db)
    while True:
        earlier = await records.claim(owner, key, fingerprint_)
        if earlier is None:
            break
        if earlier["fingerprint"] != fingerprint_:
            raise ProblemError(409, "this Idempotency-Key was used with another request", kind="idempotency-conflict")
        answer = earlier.get("answer")
        if answer is not None:
            if not earlier.get("done"):  # the first attempt stored its answer but died before publishing
                await publish_all(gw, [parse_event(e) for e in earlier.get("events") or []])
                await records.done(owner, key)
            return _response(answer["status"], answer["body"], answer.get("headers") or {}, replayed=True)
        created = earlier["created_at"]
        created = created if created.tzinfo else created.replace(tzinfo=now().tzinfo)
        if now() - created < timedelta(seconds=ABANDONED_S):
            raise ProblemError(409, "a request with this Idempotency-Key is still being handled; retry shortly",
                               kind="idempotency-in-progress", headers={"Retry-After": "1"})
        if await records.take_over(owner, key, earlier):
            log.warning("taking over an abandoned command (Idempotency-Key of %s)", owner)
            break
    try:
        outcome = await run()
    except ProblemError as exc:
        if exc.status >= 500:
            await records.release(owner, key)
            raise
        body = _problem_body(exc, path)
        await records.answer(owner, key, exc.status, body, exc.headers, [])
        await records.done(owner, key)
        return _response(exc.status, body, exc.headers)
    except BaseException:
        await records.release(owner, key)
        raise
    body = outcome.body.model_dump(mode="json")
    await records.answer(owner, key, outcome.status, body, outcome.headers, outcome.events)
    await publish_all(gw, outcome.events)
    await records.done(owner, key)
    return _response(outcome.status, body, outcome.headers)
