"""The names of the quality dimensions: the keys of a report and of `weights.yaml`.

Every score is 0–100, higher is better; for the segment dimensions (frozen, black) 100 means "none".
"""

from enum import StrEnum


class Dimension(StrEnum):
    SHARPNESS = "sharpness"
    EXPOSURE = "exposure"
    CONTRAST = "contrast"
    COLOURFULNESS = "colourfulness"
    FLICKER = "temporal_flicker"
    MOTION_SMOOTHNESS = "motion_smoothness"
    SUBJECT_CONSISTENCY = "subject_consistency"
    FROZEN_SEGMENTS = "frozen_segments"
    BLACK_SEGMENTS = "black_segments"
    CAPTION_LEGIBILITY = "caption_legibility"
    JOIN_SMOOTHNESS = "join_smoothness"
    LOUDNESS = "loudness"
