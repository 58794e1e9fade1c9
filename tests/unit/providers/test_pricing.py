"""The cost estimate against what the Replicate adapters charge at the HTTP boundary (recorded answers).

For real plans (the offline planner's), every priced call the pipeline makes is made through the real adapters
— an image per beat, the chunks the chunker's own planning asks for, the music track — and their reported
costs, recorded the way the handlers record them, are compared with the estimate: exactly once the plan is
known, within ±10 % before planning for the plans the planner usually makes, and always inside the range.
"""

from pathlib import Path

import pytest

from admint.chunker.planning import plan_chunks
from admint.contracts.common import CostEntry, FrameSize
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.planner.offline import OfflinePlanner
from admint.providers.ports import ImageRequest, MusicRequest, VideoRequest
from admint.providers.pricing import (
    ModelChoice,
    beat_bounds,
    chunk_counts,
    estimate,
    expected_beats,
    model_choice,
)
from admint.providers.registry import load_registry
from admint.providers.replicate_image import ReplicateImageModel
from admint.providers.replicate_music import ReplicateMusicModel
from admint.providers.replicate_video import ReplicateVideoModel
from admint.providers.settings import ProviderSettings
from tests.unit.providers.replicate_fake import FAKE_MP4, FakeClock, FakeReplicate, png, recording, wav

pytestmark = pytest.mark.unit

REGISTRY = load_registry()
REPLICATE = ModelChoice(planner="offline-planner", image="flux-schnell", image_with_product="flux-canny",
                        video="wan-i2v", music="musicgen", chunk_duration_s=5.0)
SIZE = FrameSize(width=180, height=320)
BRIEFS = ["A fast, energetic ad for running shoes for city runners", "calm premium ad for a water bottle",
          "An ad for a budget meal-kit delivery for busy parents", "A funny ad for a dog shampoo"]


def spec(duration_s: int, brief: str, seed: int) -> GenerationSpec:
    return GenerationSpec(brief=brief, duration_s=duration_s, seed=seed, size=SIZE)


async def recorded_costs(plan: Plan, s: GenerationSpec, workdir: Path) -> list[CostEntry]:
    """Every priced call of the plan through the Replicate adapters, recorded as the handlers record them."""
    images = FakeReplicate("flux-schnell.succeeded", polls=1,
                           files={recording("flux-schnell.succeeded")["output"][0]: png(180, 320)})
    videos = FakeReplicate("wan-i2v.succeeded", polls=1, files={recording("wan-i2v.succeeded")["output"]: FAKE_MP4})
    tracks = FakeReplicate("musicgen.succeeded", polls=1,
                           files={recording("musicgen.succeeded")["output"]: wav(s.duration_s + 1)})
    image_model = ReplicateImageModel(images.client(FakeClock()), text_model="flux-schnell", registry=REGISTRY)
    video_model = ReplicateVideoModel(videos.client(FakeClock()), model="wan-i2v", registry=REGISTRY)
    music_model = ReplicateMusicModel(tracks.client(FakeClock()), model="musicgen", registry=REGISTRY)
    costs = [CostEntry(key="planner", stage="planning", model=plan.planner_model,
                       usd=REGISTRY.get(plan.planner_model).price())]
    for beat in plan.beats:
        frame = await image_model.render(ImageRequest(beat=beat, style=plan.style, size=SIZE, seed=s.seed))
        costs.append(CostEntry(key=f"storyboard:{beat.index}", stage="storyboard", model=frame.model,
                               usd=frame.cost_usd))
    for beat_chunks in plan_chunks(plan, s.transition, chunk_duration_s=video_model.chunk_duration_s, fps=s.fps):
        for chunk in beat_chunks:
            clip = await video_model.animate(VideoRequest(
                init_frame_png=png(180, 320), prompt="p", camera_movement="static",
                duration_s=chunk.requested_duration_s, size=SIZE, fps=s.fps, seed=s.seed, workdir=workdir,
                needed_duration_s=chunk.needed_duration_s, beat_index=chunk.beat_index))
            costs.append(CostEntry(key=f"chunk:{chunk.item}", stage="chunking", model=clip.model,
                                   units=chunk.requested_duration_s, usd=clip.cost_usd))
    track = await music_model.compose(MusicRequest(music=plan.music, duration_s=plan.duration_s, seed=s.seed,
                                                   workdir=workdir))
    costs.append(CostEntry(key="music", stage="stitching", model=track.model, usd=track.cost_usd))
    assert len(videos.calls("POST", r"predictions$")) == len(costs) - len(plan.beats) - 2
    return costs


def before_planning(s: GenerationSpec) -> float:
    return estimate(s.duration_s, overlap_s=s.transition.overlap_s, fps=s.fps, music=s.music, product=False,
                    choice=REPLICATE, registry=REGISTRY).total_usd


@pytest.mark.parametrize(("duration_s", "brief", "seed"), [(15, BRIEFS[0], 1), (15, BRIEFS[1], 2),
                                                           (30, BRIEFS[1], 2), (30, BRIEFS[2], 3),
                                                           (30, BRIEFS[0], 1)])
async def test_the_estimate_matches_the_recorded_replicate_costs(duration_s: int, brief: str, seed: int,
                                                                 tmp_path: Path) -> None:
    s = spec(duration_s, brief, seed)
    plan = OfflinePlanner().plan_sync(s)
    costs = await recorded_costs(plan, s, tmp_path)
    recorded = sum(c.usd for c in costs)
    assert recorded > 1.0  # the video model dominates: wan-i2v at 0.09 USD a second
    before = estimate(s.duration_s, overlap_s=s.transition.overlap_s, fps=s.fps, music=True, product=False,
                      choice=REPLICATE, registry=REGISTRY)
    assert abs(before.total_usd - recorded) <= 0.10 * recorded, (before, recorded)
    assert before.low_usd <= recorded <= before.high_usd
    planned = estimate(s.duration_s, overlap_s=s.transition.overlap_s, fps=s.fps, music=True, product=False,
                       choice=REPLICATE, registry=REGISTRY, beats=[b.duration_s for b in plan.beats])
    assert planned.planned and planned.total_usd == pytest.approx(recorded, abs=1e-6)
    by_stage: dict[str, float] = {}
    for c in costs:
        by_stage[c.stage] = by_stage.get(c.stage, 0.0) + c.usd
    assert {i.stage: i.usd for i in planned.items} == pytest.approx(by_stage)
    assert planned.chunks == sum(1 for c in costs if c.stage == "chunking")


async def test_over_many_plans_the_estimate_is_mostly_within_ten_percent_and_always_in_range(
    tmp_path: Path,
) -> None:
    """The one unknown before planning is the number of beats. A 30 s plan has 3 to 6 (5 on average), and each
    beat but the last costs one extra 5 s chunk for its crossfade, so a plan of 4 beats costs about 11 % less than
    the 5-beat estimate and one of 3 beats 20 % less: before planning, ±10 % holds for the plans of 5 and 6 beats
    (about 60 % of them); the range always holds, and once planned the projection is exact (above)."""
    within, total = 0, 0
    for brief in BRIEFS:
        for seed in range(1, 7):
            s = spec(30, brief, seed)
            plan = OfflinePlanner().plan_sync(s)
            lengths = [b.duration_s for b in plan.beats]
            exact = estimate(30, overlap_s=0.5, fps=30, music=True, product=False, choice=REPLICATE,
                             registry=REGISTRY, beats=lengths)
            before = estimate(30, overlap_s=0.5, fps=30, music=True, product=False, choice=REPLICATE,
                              registry=REGISTRY)
            assert before.low_usd <= exact.total_usd <= before.high_usd
            within += abs(before.total_usd - exact.total_usd) <= 0.10 * exact.total_usd
            total += 1
    print(f"\n30 s plans within ±10 % of the pre-planning estimate: {within}/{total}")
    assert within >= 0.5 * total


def test_chunk_counts_follow_the_chunker() -> None:
    s = spec(30, BRIEFS[0], 3)
    plan = OfflinePlanner().plan_sync(s)
    for chunk_s in (5.0, 6.0, 4.0):
        planned = plan_chunks(plan, s.transition, chunk_duration_s=chunk_s, fps=30)
        assert chunk_counts([b.duration_s for b in plan.beats], 0.5, chunk_s, 30) == [len(b) for b in planned]


def test_expected_beats_stay_in_the_planners_bounds() -> None:
    for duration in range(15, 65, 5):
        low, high = beat_bounds(duration)
        assert low <= expected_beats(duration) <= high
    assert expected_beats(15) == 3 and expected_beats(30) == 5 and expected_beats(60) == 10


def test_the_deployments_choice_follows_the_same_settings_as_the_services() -> None:
    offline = model_choice(ProviderSettings(_env_file=None), REGISTRY, offline_chunk_duration_s=6.0)
    assert (offline.image, offline.video, offline.music, offline.chunk_duration_s) == (
        "offline-image", "offline-video", "offline-music", 6.0)
    cloud = model_choice(ProviderSettings(_env_file=None, image_provider="replicate", video_provider="replicate",
                                          music_provider="replicate", replicate_video_model="hailuo"),
                         REGISTRY, planner_provider="openai")
    assert (cloud.planner, cloud.image, cloud.image_with_product, cloud.video, cloud.chunk_duration_s) == (
        "gpt-4o-mini", "flux-schnell", "flux-canny", "hailuo", 6.0)
    assert before_planning(spec(15, BRIEFS[0], 1)) > 0
