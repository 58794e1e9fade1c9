"""From a validated request body to the GenerationSpec every stage works from (pure, unit-tested)."""

import hashlib
import json
import secrets

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import platform_size
from admint.contracts.generation import GenerationSpec, Transition
from admint.gateway.schemas import MAX_SEED, GenerationCreate


def request_hash(body: GenerationCreate) -> str:
    """Fingerprint of what was asked (not of how the JSON was spelled), for Idempotency-Key comparisons."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def extra_renditions(aspect: str, renditions: list[str]) -> list[str]:
    """Requested extra aspects, de-duplicated in order, without the master's own aspect."""
    seen: list[str] = []
    for r in renditions:
        if r != aspect and r not in seen:
            seen.append(r)
    return seen


def build_spec(
    body: GenerationCreate,
    *,
    long_side: int,
    fps: int,
    product_asset: ArtifactRef | None = None,
    seed: int | None = None,
) -> GenerationSpec:
    transition = Transition(**body.transition.model_dump()) if body.transition else Transition()
    if transition.kind == "cut":
        transition = Transition(kind="cut", duration_s=0)
    return GenerationSpec(
        brief=body.brief.strip(),
        duration_s=body.duration_s,
        aspect=body.aspect,
        renditions=extra_renditions(body.aspect, list(body.renditions)),  # type: ignore[arg-type]
        framework=body.framework,
        creativity=body.creativity,
        seed=body.seed if body.seed is not None else (seed if seed is not None else secrets.randbelow(MAX_SEED)),
        size=platform_size(body.aspect, long_side),
        fps=fps,
        transition=transition,
        product_asset_id=body.product_asset_id,
        product_asset=product_asset,
        music=body.music,
        max_cost_usd=body.max_cost_usd,
        quality_threshold=body.quality_threshold,
    )
