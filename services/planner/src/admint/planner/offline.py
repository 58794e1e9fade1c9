"""The offline planner model: rule-based, deterministic per brief + seed, no network."""

import asyncio

from pydantic import ValidationError

from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.core.errors import PermanentProviderError
from admint.planner.brief import UnplannableBrief, read_brief
from admint.planner.composer import OFFLINE_PLANNER, compose
from admint.planner.errors import BriefRejected
from admint.planner.library import Library, load_library


class OfflinePlanner:
    """PlannerModel that reads the brief with the lexicon and composes beats from the library."""

    name = OFFLINE_PLANNER

    def __init__(self, library: Library | None = None) -> None:
        self.library = library or load_library()

    def plan_sync(self, spec: GenerationSpec) -> Plan:
        try:
            facts = read_brief(spec.brief, self.library.lexicon)
            return compose(spec, facts, self.library)
        except UnplannableBrief as exc:
            raise BriefRejected(str(exc)) from exc
        except ValidationError as exc:  # a bug in the data or composer, not something a retry fixes
            raise PermanentProviderError(
                "The planner could not build a valid plan for this brief.", detail=str(exc)
            ) from exc

    async def plan(self, spec: GenerationSpec) -> Plan:
        return await asyncio.to_thread(self.plan_sync, spec)
