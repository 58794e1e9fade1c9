"""Builders of realistic contract objects for tests (and the committed golden samples)."""

import hashlib
from datetime import UTC, datetime
from typing import Any

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import CaptionShown, ChunkCompleted, ChunkRef, ChunkRequested, ChunksCompleted
from admint.contracts.common import frame_size
from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted, Rendition, SpecCheck
from admint.contracts.generation import (
    GenerationCancelled,
    GenerationCompleted,
    GenerationDeleted,
    GenerationFailed,
    GenerationRequested,
    GenerationSpec,
    MessageDeadLettered,
    RenditionSummary,
    StageProgress,
)
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.contracts.quality import QualityScored, QualityScores
from admint.contracts.stitch import StitchCompleted
from admint.contracts.storyboard import (
    FrameCompleted,
    FrameRef,
    FrameRequested,
    PlanCompleted,
    StoryboardCompleted,
)
from admint.core.document import GenerationDoc

GID = "01JD3Z8K7Q2W4E6R8T0Y2U4I6O"
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ref(key: str, content_type: str = "video/mp4", data: bytes = b"") -> ArtifactRef:
    data = data or key.encode()
    return ArtifactRef(
        bucket="admint",
        key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type=content_type,
    )


def spec(
    duration_s: int = 15, aspect: str = "9:16", long_side: int = 1920, **extra: object
) -> GenerationSpec:
    return GenerationSpec(
        brief="30-second ad for an eco-friendly water bottle, calm, premium",
        duration_s=duration_s,
        aspect=aspect,
        size=frame_size(aspect, long_side),
        seed=7,
        **extra,  # type: ignore[arg-type]
    )


def plan(duration_s: int = 15) -> Plan:
    beats, start, index = [], 0, 0
    shots = [
        ("hero_reveal", "attention", "wide", "dolly_in"),
        ("detail_macro", "interest", "close_up", "pan_right"),
        ("lifestyle_use", "desire", "medium", "orbit"),
        ("product_hero", "action", "product_hero", "dolly_out"),
    ]
    while start < duration_s:
        beat_id, role, shot, move = shots[index % len(shots)]
        beats.append(
            Beat(
                index=index,
                beat_id=beat_id,
                role=role,
                start_s=start,
                duration_s=5,
                shot_type=shot,
                camera_movement=move,
                action=f"{beat_id} of the bottle",
                prompt=f"premium steel water bottle, {shot} shot, soft daylight",
                caption=f"Caption {index}",
                energy=0.4,
            )
        )
        start += 5
        index += 1
    return Plan(
        archetype="luxury_showcase",
        framework="AIDA",
        duration_s=duration_s,
        beats=beats,
        style=Style(palette=["#1f3b4d", "#a8d5ba", "#f4f1ea"], keywords=["calm", "premium"], mood="calm"),
        music=MusicSpec(mood="calm", tempo_bpm=84),
        product="eco-friendly water bottle",
        audience="",
        call_to_action="Refill the planet",
        planner_model="offline-planner",
    )


def generation(gid: str = GID, *, owner: str = "acme", status: str = "queued", **sections: Any) -> GenerationDoc:
    """A generation document as the gateway creates it (plus any sections a test needs already written)."""
    sections.setdefault("spec", spec())
    return GenerationDoc(_id=gid, owner=owner, status=status, created_at=WHEN, updated_at=WHEN, **sections)


def envelope(**extra: object) -> dict[str, object]:
    return {
        "generation_id": GID,
        "producer": "test",
        "occurred_at": WHEN,
        "id": "01JD3Z8K7Q2W4E6R8T0Y2U4I7A",
        "causation_id": "01JD3Z8K7Q2W4E6R8T0Y2U4I79",
        **extra,
    }


def every_event() -> list[Event]:
    """One realistic instance of every event type (the golden samples)."""
    s, p = spec(), plan()
    frames = [
        FrameRef(beat_index=b.index, image=ref(f"generations/{GID}/storyboard/{b.index}.png", "image/png"))
        for b in p.beats
    ]
    chunk = ref(f"generations/{GID}/chunks/0-0.mp4")
    last = ref(f"generations/{GID}/chunks/0-0.last.png", "image/png")
    master = ref(f"generations/{GID}/master.mp4")
    check = SpecCheck(
        passed=True,
        codec="h264",
        profile="High",
        pix_fmt="yuv420p",
        width=1080,
        height=1920,
        fps=30.0,
        duration_s=15.0,
        faststart=True,
        has_audio=True,
    )
    rendition = Rendition(
        aspect="9:16",
        size=s.size,
        method="master",
        video=ref(f"generations/{GID}/exports/9x16.mp4"),
        url="http://127.0.0.1:8333/admint/generations/x/exports/9x16.mp4?X-Amz-Signature=abc",
        url_expires_at=WHEN,
        spec_check=check,
    )
    return [
        GenerationRequested(**envelope(causation_id=None), owner="acme", spec=s),
        PlanCompleted(**envelope(producer="planner"), spec=s, plan=p),
        FrameRequested(
            **envelope(producer="storyboard"),
            beat=p.beats[0],
            beat_count=3,
            style=p.style,
            spec=s,
            product=p.product,
        ),
        FrameCompleted(
            **envelope(producer="storyboard"),
            beat_index=0,
            beat_count=3,
            image=frames[0].image,
            model="offline-image",
        ),
        StoryboardCompleted(**envelope(producer="storyboard"), spec=s, plan=p, frames=frames),
        ChunkRequested(
            **envelope(producer="chunker"),
            beat_index=0,
            chunk_index=0,
            chunk_count=1,
            init_frame=frames[0].image,
            prompt=p.beats[0].prompt,
            camera_movement="dolly_in",
            requested_duration_s=5.0,
            needed_duration_s=5.5,
            beat_offset_s=0.0,
            beat_length_s=5.5,
            caption="Caption 0",
            spec=s,
        ),
        ChunkCompleted(
            **envelope(producer="chunker"),
            beat_index=0,
            chunk_index=0,
            chunk_count=1,
            video=chunk,
            last_frame=last,
            requested_duration_s=5.0,
            actual_duration_s=5.5,
            model="offline-video",
            caption=CaptionShown(text="Caption 0", start_s=0.45, end_s=4.7),
        ),
        ChunksCompleted(
            **envelope(producer="chunker"),
            spec=s,
            plan=p,
            chunks=[ChunkRef(beat_index=0, chunk_index=0, video=chunk, duration_s=5.5)],
        ),
        StitchCompleted(
            **envelope(producer="stitcher"),
            spec=s,
            master=master,
            duration_s=15.0,
            has_audio=True,
            music_model="offline-music",
        ),
        ExportCompleted(
            **envelope(producer="exporter"),
            renditions=[rendition],
            poster=ref(f"generations/{GID}/exports/poster.jpg", "image/jpeg"),
            thumbnail=ref(f"generations/{GID}/exports/thumbnail.jpg", "image/jpeg"),
        ),
        GenerationCompleted(
            **envelope(producer="exporter"),
            master=master,
            renditions=[RenditionSummary(aspect="9:16", video=rendition.video)],
            duration_s=15.0,
            total_cost_usd=0.0,
        ),
        GenerationFailed(
            **envelope(producer="chunker"),
            stage="chunking",
            reason="video model refused the prompt",
            retryable=False,
            detail="HTTP 422 from provider",
        ),
        GenerationCancelled(**envelope(producer="gateway"), reason="cancelled by owner", requested_by="acme"),
        GenerationDeleted(**envelope(producer="gateway", causation_id=None), requested_by="acme", objects_deleted=17),
        StageProgress(
            **envelope(producer="storyboard"),
            stage="storyboard",
            done=1,
            total=3,
            item="0",
            message="frame 0 stored",
        ),
        MessageDeadLettered(
            **envelope(producer="chunker"),
            consumer="chunker-work",
            original_subject=f"gen.{GID}.chunk.requested.v1",
            stream_sequence=42,
            deliveries=8,
            error="ValueError: boom",
        ),
        QualityScored(
            **envelope(producer="scorer"),
            kind="chunk",
            item="0-0",
            take=1,
            video=chunk,
            scores=quality_scores(),
            threshold=60.0,
        ),
    ]


def quality_scores(overall: float = 78.4, **dimensions: float) -> QualityScores:
    """A scorer's verdict on one clip (a realistic spread of dimensions unless given)."""
    dims = dimensions or {"sharpness": 81.2, "exposure": 96.0, "contrast": 74.5, "colourfulness": 62.0,
                          "temporal_flicker": 99.1, "motion_smoothness": 92.3, "subject_consistency": 88.0,
                          "frozen_segments": 100.0, "black_segments": 100.0, "caption_legibility": 71.0}
    return QualityScores(overall=overall, dimensions=dims, sampled_frames=165, seconds=1.9, cpu_s=1.7)
