"""The per-beat state machine a studio draws each beat's card from (GET …/generations/{id} `beats`, beat.updated.v1).

    planned → frame_ready → frame_approved → rendering → video_ready
                  ↑   regenerating ←──────────────┘ (a new take, at the storyboard checkpoint or after completion)
    failed ← regenerating | rendering | planned        (a failed render; regenerating again retries it)

Every move is a conditional update (`BEAT_MOVES`: the states a move may start from, itself included so a
redelivered move is a no-op), so at-least-once delivery can never take a card backwards.
"""

from typing import Literal

BeatState = Literal["planned", "frame_ready", "frame_approved", "rendering", "video_ready", "regenerating", "failed"]

BEAT_MOVES: dict[str, tuple[str, ...]] = {
    "planned": ("planned",),
    "frame_ready": ("planned", "regenerating", "frame_ready"),
    "frame_approved": ("frame_ready", "frame_approved"),
    "rendering": ("frame_approved", "regenerating", "rendering"),
    "video_ready": ("rendering", "video_ready"),
    "regenerating": ("frame_ready", "frame_approved", "video_ready", "failed", "regenerating"),
    "failed": ("planned", "frame_ready", "frame_approved", "regenerating", "rendering", "failed"),
}
"""Target state → the states it may be entered from."""
BUSY_STATES: tuple[str, ...] = ("regenerating", "rendering")
"""A beat in one of these is being rendered: another regeneration of it is refused (409)."""
