"""The interactive store methods against a real MongoDB-wire server (the fake runs the same scenarios)."""

import uuid

import pytest

from admint.core.docstore import GenerationRepository
from tests.support import studio_scenarios as scenarios

pytestmark = pytest.mark.integration


async def test_checkpoints_move_forward_once(docs: GenerationRepository, gid: str) -> None:
    await scenarios.checkpoints_move_forward_once(docs, gid)


async def test_waiting_generations_expire_or_end(docs: GenerationRepository, gid: str) -> None:
    await scenarios.waiting_generations_expire_or_cancel(docs, gid, "T" + uuid.uuid4().hex[:20].upper())


async def test_beat_cards_never_go_backwards(docs: GenerationRepository, gid: str) -> None:
    await scenarios.beat_cards_never_go_backwards(docs, gid)


async def test_feedback_is_interpreted_and_applied_once(docs: GenerationRepository, gid: str) -> None:
    await scenarios.feedback_is_interpreted_and_applied_once(docs, gid)


async def test_versions_open_once_and_end_once(docs: GenerationRepository, gid: str) -> None:
    await scenarios.versions_open_once_and_end_once(docs, gid)
