"""admint.scorer — quality scores (0–100) for every clip and every ad.

The measurement core: sample a video once, run each dimension (pure functions on numpy frames) on the sample,
and combine the dimensions into one overall score with weights from `weights.yaml`. Service wiring (consumers,
events, documents) lives elsewhere and calls `score_clip` / `score_master`.
"""
