"""The interactive store methods on the in-memory fake (the same scenarios run against MongoDB-wire in
tests/integration/core/test_studio_store.py)."""

import pytest

from tests.support import studio_scenarios as scenarios
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit


async def test_checkpoints_move_forward_once() -> None:
    await scenarios.checkpoints_move_forward_once(FakeGenerationStore(), "G1")


async def test_waiting_generations_expire_or_end() -> None:
    await scenarios.waiting_generations_expire_or_cancel(FakeGenerationStore(), "G1", "G2")


async def test_beat_cards_never_go_backwards() -> None:
    await scenarios.beat_cards_never_go_backwards(FakeGenerationStore(), "G1")


async def test_feedback_is_interpreted_and_applied_once() -> None:
    await scenarios.feedback_is_interpreted_and_applied_once(FakeGenerationStore(), "G1")


async def test_versions_open_once_and_end_once() -> None:
    await scenarios.versions_open_once_and_end_once(FakeGenerationStore(), "G1")
