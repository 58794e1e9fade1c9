"""Generation groups (A/B variants): the `generation_groups` collection, the gateway's own.

A group records its members' complete generation documents when it is created (as an Idempotency-Key record
does), so a retry after a crash half-way through creating the members finishes the same members with the same
ids and seeds instead of starting others. Members are ordinary generations that carry the group's id.
"""

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

from admint.core.docstore import now
from admint.core.document import GenerationDoc
from admint.core.mongo import Database


class GroupMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    generation_id: str
    overrides: dict[str, Any] = Field(default_factory=dict, description="What this member changes.")
    document: GenerationDoc = Field(description="The generation document to create (idempotent creation).")


class Winner(BaseModel):
    model_config = ConfigDict(extra="ignore")

    generation_id: str
    chosen_at: datetime
    key_id: str | None = None


class GroupDoc(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(alias="_id")
    owner: str
    created_at: datetime
    key_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    brief: str
    members: list[GroupMember]
    winner: Winner | None = None

    @property
    def member_ids(self) -> list[str]:
        return [m.generation_id for m in self.members]

    def to_mongo(self) -> dict[str, Any]:
        raw = self.model_dump(mode="python", by_alias=True, exclude_none=True)
        raw["members"] = [{**m.model_dump(mode="python", exclude={"document"}), "document": m.document.to_mongo()}
                          for m in self.members]
        return raw


class GroupRepository:
    def __init__(self, db: Database) -> None:
        self.groups = db.generation_groups
        self.keys = db.group_idempotency_keys

    @staticmethod
    def key_id(owner: str, key: str) -> str:
        return f"{owner}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def claim(self, doc: GroupDoc) -> GroupDoc | None:
        """Store a new group; with an Idempotency-Key claimed first: None when this call created it, else the
        group the key was claimed for (compare its request_hash)."""
        if doc.idempotency_key:
            try:
                await self.keys.insert_one({"_id": self.key_id(doc.owner, doc.idempotency_key), "group_id": doc.id,
                                            "created_at": now()})
            except DuplicateKeyError:
                earlier = await self.keys.find_one({"_id": self.key_id(doc.owner, doc.idempotency_key)})
                found = await self.get_owned(str(earlier["group_id"]), doc.owner) if earlier else None
                if found is not None:
                    return found
                # claimed by a request that stopped before storing its group: this one takes the key over
                await self.keys.update_one({"_id": self.key_id(doc.owner, doc.idempotency_key)},
                                           {"$set": {"group_id": doc.id}})
        await self.groups.insert_one(doc.to_mongo())
        return None

    async def by_key(self, owner: str, key: str) -> GroupDoc | None:
        earlier = await self.keys.find_one({"_id": self.key_id(owner, key)})
        return await self.get_owned(str(earlier["group_id"]), owner) if earlier else None

    async def get_owned(self, group_id: str, owner: str) -> GroupDoc | None:
        raw = await self.groups.find_one({"_id": group_id, "owner": owner})
        return GroupDoc.model_validate(raw) if raw is not None else None

    async def set_winner(self, group_id: str, owner: str, winner: Winner) -> None:
        await self.groups.update_one({"_id": group_id, "owner": owner},
                                     {"$set": {"winner": winner.model_dump(mode="python", exclude_none=True)}})
