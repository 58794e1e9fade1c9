"""What makes the members of a generation group differ (pure, unit-tested).

`variants: N` asks for N versions of one ad without saying how they differ; the gateway picks: the copy framework
first (AIDA, PAS, FAB — the A/B test marketers run most), keeping the seed, so members share what the seed decides
(palette, tempo, the shots a framework does not change); past three, the seed moves too. A list of overrides says
exactly what each member changes; what it leaves out is the group's. Every member is an ordinary request body
(GenerationCreate), validated like any other.
"""

from typing import Any, get_args

from admint.contracts.common import Framework
from admint.gateway.schemas import GenerationCreate, VariantOptions

FRAMEWORKS: tuple[str, ...] = get_args(Framework)
SEED_STEP = 1_000_003
"""Seeds of members past the frameworks: far apart, so no two members' seeded streams line up."""


def member_overrides(base: GenerationCreate, variants: int | list[VariantOptions]) -> list[dict[str, Any]]:
    """The option overrides of each member, in order (an empty dict: the group's options as they are)."""
    if isinstance(variants, list):
        return [v.model_dump(exclude_none=True) for v in variants]
    seed = base.seed or 0
    out: list[dict[str, Any]] = []
    for i in range(variants):
        if base.framework is None and i < len(FRAMEWORKS):
            out.append({"framework": FRAMEWORKS[i]})
        else:
            out.append({"seed": (seed + SEED_STEP * (i + 1)) % (2**31 - 1)})
    return out


def member_body(base: GenerationCreate, overrides: dict[str, Any]) -> GenerationCreate:
    """One member's request: the group's options with its overrides (validated as a request body)."""
    fields = base.model_dump(exclude={"variants"})
    return GenerationCreate.model_validate({**fields, **overrides})


DIFFERENCE_FIELDS = ("framework", "archetype", "creativity", "seed", "transition")
"""What members of a group are compared by (archetype and framework as the planner resolved them)."""


def varying(differences: list[dict[str, Any]]) -> list[str]:
    """The difference fields whose value is not the same for every member."""
    return [f for f in DIFFERENCE_FIELDS if len({repr(d.get(f)) for d in differences}) > 1]
