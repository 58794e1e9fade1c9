"""How many units a provider bills for one video call (no media imports: the estimate uses it too).

Wan renders whole frames at 16 fps and needs 81..100 of them, so a "5 s" chunk is billed as 81/16 s.
"""

from admint.providers.registry import ModelInfo

WAN_REF = "wavespeedai/wan-2.1-i2v-480p"
WAN_FPS = 16


def wan_frames(chunk_duration_s: float) -> int:
    """Wan needs 81..100 frames; 81 at 16 fps is its native ~5 s."""
    return min(100, max(81, round(chunk_duration_s * WAN_FPS) + 1))


def billed_seconds(info: ModelInfo, requested_s: float) -> float:
    """Seconds billed for one call of a video model asked for `requested_s` (its native chunk for Replicate)."""
    if info.ref.partition(":")[0] == WAN_REF:
        return wan_frames(info.chunk_duration_s or requested_s) / WAN_FPS
    if info.provider == "replicate" and info.chunk_duration_s:
        return info.chunk_duration_s
    return requested_s
