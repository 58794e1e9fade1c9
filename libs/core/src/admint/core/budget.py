"""max_cost_usd mid-run: a stage asks before each priced call whether it may still spend.

The limit is the client's (GenerationSpec.max_cost_usd). A call whose price would take the recorded spend past
it is not made: the handler raises `BudgetExceeded` (a PermanentError), and the worker fails the generation
with the reason, so nothing more is spent on it. A call that may run is reserved at its registry price before
it is made (`budget_reserved.<key>` and their sum `budget_committed_usd`, moved by one compare-and-set), so calls
of other beats running side by side count while they are under way and never pass the limit together. Spend
recorded without a reservation (the planner's call) is added to the reserved sum when checking.
"""

from admint.core.document import GenerationDoc
from admint.core.errors import PermanentError
from admint.core.stores import GenerationStore


class BudgetExceeded(PermanentError):
    """The generation's max_cost_usd does not allow the next priced call."""


def budget_problem(doc: GenerationDoc | None, *, key: str, next_usd: float, what: str) -> str | None:
    """Why the call priced `next_usd` (recorded under cost `key`) may not run, or None when it may."""
    limit = doc.spec.max_cost_usd if doc is not None else None
    if doc is None or limit is None or next_usd <= 0:
        return None
    safe_key = cost_field(key)
    reserved = {k: usd for k, usd in doc.budget_reserved.items() if k not in doc.costs}
    spent = sum(entry.usd for k, entry in doc.costs.items() if k != safe_key)  # a re-render replaces its entry
    spent += sum(usd for k, usd in reserved.items() if k != safe_key)  # calls under way (or that failed)
    if spent + next_usd <= limit + 1e-9:
        return None
    return (f"stopped before {what}: it costs {next_usd:.4f} USD and {spent:.4f} USD is spent already, which would "
            f"pass max_cost_usd {limit:g}")


def cost_field(key: str) -> str:
    """A cost key as a document field name (no dots or dollars)."""
    return key.replace(".", "_").replace("$", "_")


async def ensure_budget_of(docs: GenerationStore, doc: GenerationDoc | None, *, key: str, next_usd: float,
                           what: str) -> None:
    """ensure_budget with the document the handler already read (without a limit, nothing more is read)."""
    if next_usd <= 0 or doc is None or doc.spec.max_cost_usd is None:
        return
    field, limit = cost_field(key), doc.spec.max_cost_usd
    unreserved = sum(e.usd for k, e in doc.costs.items() if k not in doc.budget_reserved and k != field)
    if await docs.reserve_cost(doc.id, field, next_usd, limit - unreserved):
        return
    fresh = await docs.get(doc.id)
    committed = fresh.budget_committed_usd if fresh is not None else doc.budget_committed_usd
    raise BudgetExceeded(budget_problem(fresh, key=key, next_usd=next_usd, what=what) or (
        f"stopped before {what}: it costs {next_usd:.4f} USD and {committed + unreserved:.4f} USD is spent or "
        f"under way, which would pass max_cost_usd {limit:g}"))


async def ensure_budget(docs: GenerationStore, generation_id: str, *, key: str, next_usd: float, what: str) -> None:
    """Raise BudgetExceeded when the next priced call would pass the generation's max_cost_usd; else reserve it."""
    if next_usd > 0:
        await ensure_budget_of(docs, await docs.get(generation_id), key=key, next_usd=next_usd, what=what)
