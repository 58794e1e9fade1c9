"""What an export makes and whether it passed, decided without touching media (pure, no I/O).

The renditions: the master's own aspect first (the master itself, never re-encoded), then each extra aspect
once, cropped or padded (renditions.py). The poster candidates around the middle of the first beat. What each
file must measure for its spec check. And from the results: the document's exports section, and the failure
that stops the generation when any rendition missed its spec.
"""

from datetime import datetime
from typing import cast

import numpy as np

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import Aspect, FrameSize
from admint.contracts.export import Rendition, SpecCheck
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.core import keys
from admint.core.document import CropReport, ExportsSection
from admint.core.errors import PermanentError
from admint.exporter.ports import CheckTarget
from admint.exporter.renditions import Policy, RenditionPlan, master_rendition, plan_rendition

SPREAD_S = (-0.6, 0.0, 0.6)
"""Poster candidates around the middle of the first beat: a blink or a motion blur rarely spans all three."""


def aspects_of(spec: GenerationSpec) -> list[str]:
    """The master's aspect first, then each extra aspect once."""
    out: list[str] = [spec.aspect]
    for aspect in spec.renditions:
        if aspect not in out:
            out.append(aspect)
    return out


def extra_aspects(spec: GenerationSpec) -> list[str]:
    """Aspects that need a re-encode (a saliency map first, to place their crops)."""
    return aspects_of(spec)[1:]


def plan_renditions(spec: GenerationSpec, saliency: np.ndarray | None, policy: Policy) -> list[RenditionPlan]:
    """Every rendition, the master's first."""
    return [master_rendition(spec.aspect, spec.size),
            *(plan_rendition(a, spec.size, saliency, policy) for a in extra_aspects(spec))]


def first_beat_s(plan: Plan | None, duration_s: float) -> float:
    return plan.beats[0].duration_s if plan is not None and plan.beats else min(5.0, duration_s)


def poster_times(first_beat_s: float, duration_s: float) -> list[float]:
    middle = min(first_beat_s, duration_s) / 2
    return sorted({round(min(max(0.0, middle + d), max(0.0, duration_s - 0.1)), 3) for d in SPREAD_S})


def check_target(spec: GenerationSpec, plan: RenditionPlan, audio: bool, frame_tolerance: int) -> CheckTarget:
    """A rendition must have its plan's size, the requested frame rate and length, and audio iff the master has."""
    return CheckTarget(plan.aspect, plan.size.width, plan.size.height, spec.fps, round(spec.duration_s, 6),
                       audio=audio, frame_tolerance=frame_tolerance)


def rendition(plan: RenditionPlan, video: ArtifactRef, url: str, expires: datetime, check: SpecCheck) -> Rendition:
    return Rendition(
        aspect=cast(Aspect, plan.aspect), size=FrameSize(width=plan.size.width, height=plan.size.height),
        method=plan.method, video=video, url=url, url_expires_at=expires, spec_check=check,
    )


def exports_section(renditions: list[Rendition], plans: list[RenditionPlan], poster: ArtifactRef,
                    thumbnail: ArtifactRef) -> ExportsSection:
    """The renditions with their spec checks and verdict, and how much each crop kept (the master's excluded)."""
    return ExportsSection(
        renditions=renditions, poster=poster, thumbnail=thumbnail,
        spec_checks={keys.rendition_name(r.aspect): r.spec_check for r in renditions},
        passed=all(r.spec_check.passed for r in renditions),
        crops={keys.rendition_name(p.aspect): CropReport(area_kept=p.area_kept, detail_kept=p.detail_kept)
               for p in plans if p.method != "master"},
    )


def spec_failure(renditions: list[Rendition]) -> PermanentError | None:
    """The error that fails the generation when a rendition missed its spec (None when all passed)."""
    failed = [r for r in renditions if not r.spec_check.passed]
    if not failed:
        return None
    detail = "; ".join(f"{r.aspect}: {', '.join(r.spec_check.problems)}" for r in failed)
    return PermanentError(f"rendition {failed[0].aspect} failed the spec check: {failed[0].spec_check.problems[0]}",
                          detail=detail)
