"""Where things happen inside a rendered beat: caption and call-to-action windows, transition boundaries.

Times are beat-relative seconds. A non-final beat is rendered `overlap` seconds longer; its tail is the
crossfade into the next beat, and a beat after the first spends its first `overlap` seconds fading in.
Captions sit between those windows so they never cross-dissolve into the neighbour's caption; the
call-to-action card holds to the end of the last beat. Chunks cut a beat into pieces, so each chunk burns
the part of these windows it covers.
"""

from dataclasses import dataclass
from typing import Literal

CAPTION_LEAD_S = 0.15
"""Pause after the incoming crossfade before the caption starts fading in."""
FADE_S = 0.3
CTA_FADE_S = 0.35


@dataclass(frozen=True)
class BeatLayout:
    """The facts about a beat that decide its windows."""

    beat_index: int
    beat_length_s: float
    """Rendered length (visible duration + outgoing overlap)."""
    overlap_s: float
    """Crossfade length between beats (0 for cuts)."""
    is_last: bool

    @property
    def fade_in_end_s(self) -> float:
        """End of the incoming crossfade (0 for the first beat)."""
        return self.overlap_s if self.beat_index > 0 else 0.0

    @property
    def visible_end_s(self) -> float:
        """Start of the outgoing crossfade: the beat's own duration in the master."""
        return self.beat_length_s - (0.0 if self.is_last else self.overlap_s)


@dataclass(frozen=True)
class OverlayWindow:
    """One burnt-in overlay, in beat time. fade_out_s = 0 holds it to the end."""

    kind: Literal["caption", "cta"]
    text: str
    start_s: float
    end_s: float
    fade_in_s: float
    fade_out_s: float

    def intersects(self, start_s: float, end_s: float) -> bool:
        return self.start_s < end_s and self.end_s > start_s


def cta_window(layout: BeatLayout, text: str, *, cta_duration_s: float) -> OverlayWindow | None:
    if not text or not layout.is_last:
        return None
    length = min(cta_duration_s, 0.5 * layout.beat_length_s)
    return OverlayWindow("cta", text, layout.beat_length_s - length, layout.beat_length_s, CTA_FADE_S, 0.0)


def overlay_windows(
    layout: BeatLayout, caption: str, call_to_action: str, *, cta_duration_s: float = 2.5
) -> list[OverlayWindow]:
    """The caption (between the crossfades) and, on the last beat, the CTA card over its final seconds."""
    windows: list[OverlayWindow] = []
    cta = cta_window(layout, call_to_action, cta_duration_s=cta_duration_s)
    if caption.strip():
        start = layout.fade_in_end_s + CAPTION_LEAD_S
        # The caption gives way to the CTA card (overlapping their fades slightly) or ends with the beat.
        end = cta.start_s + CTA_FADE_S / 2 if cta else layout.visible_end_s
        if end - start >= 2 * FADE_S:
            windows.append(OverlayWindow("caption", caption.strip(), start, end, FADE_S, FADE_S))
    if cta:
        windows.append(cta)
    return windows


def windows_in_chunk(windows: list[OverlayWindow], offset_s: float, duration_s: float) -> list[OverlayWindow]:
    """The windows a chunk covering [offset, offset + duration) of its beat must burn in."""
    return [w for w in windows if w.intersects(offset_s, offset_s + duration_s)]


def transition_keyframes(layout: BeatLayout, *, fps: int, offset_frames: int, frames: int) -> list[int]:
    """Chunk-local frame indices where a transition window starts or ends, so they can be forced keyframes.

    The stitcher re-encodes only the crossfade windows and stream-copies the rest; it needs a keyframe
    wherever a window begins or ends inside a chunk.
    """
    boundaries: set[int] = set()
    if layout.overlap_s > 0:
        if layout.beat_index > 0:
            boundaries.add(round(layout.fade_in_end_s * fps))
        if not layout.is_last:
            boundaries.add(round(layout.visible_end_s * fps))
    return sorted(b - offset_frames for b in boundaries if 0 < b - offset_frames < frames)
