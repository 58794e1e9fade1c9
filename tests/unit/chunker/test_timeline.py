"""Caption/CTA windows inside a beat and the transition keyframes a chunk must carry."""

import pytest

from admint.chunker.timeline import (
    CAPTION_LEAD_S,
    FADE_S,
    BeatLayout,
    overlay_windows,
    transition_keyframes,
    windows_in_chunk,
)

pytestmark = pytest.mark.unit


def test_caption_sits_between_the_crossfades() -> None:
    middle = BeatLayout(beat_index=2, beat_length_s=5.5, overlap_s=0.5, is_last=False)
    (caption,) = overlay_windows(middle, "Stay cold for 24 hours", "Shop now")
    assert caption.kind == "caption"
    assert caption.start_s == pytest.approx(0.5 + CAPTION_LEAD_S)  # after the incoming crossfade
    assert caption.end_s == pytest.approx(5.0)  # gone before the outgoing crossfade
    assert (caption.fade_in_s, caption.fade_out_s) == (FADE_S, FADE_S)
    opening = BeatLayout(beat_index=0, beat_length_s=5.5, overlap_s=0.5, is_last=False)
    assert overlay_windows(opening, "Hi", "")[0].start_s == pytest.approx(CAPTION_LEAD_S)  # nothing fades in


def test_last_beat_hands_over_to_the_cta_card() -> None:
    last = BeatLayout(beat_index=5, beat_length_s=5.0, overlap_s=0.5, is_last=True)
    caption, cta = overlay_windows(last, "Refill, not landfill", "Shop now", cta_duration_s=2.5)
    assert (cta.kind, cta.text) == ("cta", "Shop now")
    assert (cta.start_s, cta.end_s, cta.fade_out_s) == (2.5, 5.0, 0.0)  # holds to the last frame
    assert caption.end_s < cta.start_s + cta.fade_in_s  # the caption is gone once the card is in
    assert caption.end_s > cta.start_s  # … with a short overlap of the fades, no empty gap
    short = overlay_windows(last, "", "Buy", cta_duration_s=9)
    assert [w.kind for w in short] == ["cta"] and short[0].start_s == 2.5  # at most half the beat


def test_no_cta_on_other_beats_and_no_empty_captions() -> None:
    middle = BeatLayout(beat_index=1, beat_length_s=5.5, overlap_s=0.5, is_last=False)
    assert overlay_windows(middle, "   ", "Shop now") == []


def test_windows_in_chunk_picks_what_the_chunk_covers() -> None:
    layout = BeatLayout(beat_index=1, beat_length_s=10.5, overlap_s=0.5, is_last=False)
    windows = overlay_windows(layout, "Long beat", "")
    assert windows_in_chunk(windows, 0.0, 5.0) == windows
    assert windows_in_chunk(windows, 5.0, 5.0) == windows  # the caption continues into the second chunk
    assert windows_in_chunk(windows, 10.0, 0.5) == []  # the crossfade tail has no caption


def test_transition_keyframes_are_chunk_local() -> None:
    # beat 1 of 5 s with 0.7 s crossfades (21 frames) on a 4 s model: 171 frames in chunks of 120 + 51;
    # the incoming window ends at frame 21, the outgoing one starts at frame 150 (= 30 in the second chunk)
    layout = BeatLayout(beat_index=1, beat_length_s=5.7, overlap_s=0.7, is_last=False)
    assert transition_keyframes(layout, fps=30, offset_frames=0, frames=120) == [21]
    assert transition_keyframes(layout, fps=30, offset_frames=120, frames=51) == [30]
    opening = BeatLayout(beat_index=0, beat_length_s=5.5, overlap_s=0.5, is_last=False)
    assert transition_keyframes(opening, fps=30, offset_frames=0, frames=150) == []  # 150 starts a chunk
    cut = BeatLayout(beat_index=1, beat_length_s=5.0, overlap_s=0.0, is_last=False)
    assert transition_keyframes(cut, fps=30, offset_frames=0, frames=150) == []
