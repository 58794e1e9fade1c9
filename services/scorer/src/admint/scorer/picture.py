"""Per-picture dimensions: sharpness, exposure, contrast, colourfulness.

Each reads a few evenly spaced frames (N×H×W×3 BGR uint8; a single H×W×3 frame works too) and averages a
per-frame score, so a defect on part of the clip costs in proportion to its share.
"""

import math

import cv2
import numpy as np

from admint.scorer.curves import decay, ramp

REFERENCE_LONG_SIDE = 320
"""Sharpness is measured at this long side, whatever size the frames come in."""
SHARP_LOW, SHARP_HIGH = 10.0, 200.0
"""Laplacian variance (levels², at the reference size) that scores 0 and 100; log-linear between."""
SHARP_TILE, SHARP_PERCENTILE, FLAT_TILE = 40, 75, 3.0
"""Tiles (pixels at the reference size) the variance is taken in, which tile percentile counts, and the luma
standard deviation (levels) under which a tile is flat backdrop and left out."""
CLIP_HIGH, CLIP_LOW = 250, 5
"""Luma levels at or beyond which a pixel counts as a blown highlight or a crushed shadow."""
CLIP_TOLERANCE, CLIP_SCALE = 0.03, 0.10
"""Share of clipped pixels allowed for free (white caption fill, speculars), and the share per e-fold."""
SPREAD_FULL = 0.6
"""Luma spread (P98 − P2, fraction of full range) that scores 100."""
COLOURFUL_SCALE = 40.0
"""Hasler–Süsstrunk M that scores tanh(1)·100 ≈ 76 ("averagely colourful" is ~45, "quite" ~59)."""


def as_stack(frames: np.ndarray) -> np.ndarray:
    """One frame or a stack of frames → a stack."""
    return frames[None] if frames.ndim == 3 else frames


def grey(frame: np.ndarray) -> np.ndarray:
    """BGR uint8 → luma uint8 (BT.601 weights, as OpenCV converts)."""
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def luma_histogram(frame: np.ndarray) -> np.ndarray:
    """256-bin luma histogram as shares of the frame (sums to 1)."""
    hist = cv2.calcHist([grey(frame)], [0], None, [256], [0, 256]).ravel()
    return hist / max(1.0, float(hist.sum()))


def percentile_from_histogram(shares: np.ndarray, q: float) -> float:
    """The luma level below which a share q of the pixels lies."""
    return float(np.searchsorted(np.cumsum(shares), q))


def at_reference_size(image: np.ndarray) -> np.ndarray:
    """Resize (area filter) so the long side is REFERENCE_LONG_SIDE: a 180×320 test clip and a 1080×1920
    master are then measured on the same pixel scale."""
    h, w = image.shape[:2]
    scale = REFERENCE_LONG_SIDE / max(h, w)
    if abs(scale - 1.0) < 1e-6:
        return image
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=interpolation)


def laplacian_variance(frame: np.ndarray) -> float:
    """Variance of the 3×3 Laplacian of the luma at the reference size, in 40-pixel tiles, at the
    75th-percentile tile among those that are not flat (levels²): the detail of the sharper part of the
    picture, where the subject usually is. Flat backdrop tiles are left out (a crisp product on a seamless
    backdrop is sharp), and so are the sharpest quarter, since a burnt-in caption's hard edges would
    otherwise outweigh the footage."""
    luma = at_reference_size(grey(frame))
    lap = cv2.Laplacian(luma, cv2.CV_32F)
    detail = tiles(lap.astype(np.float64)).var(axis=1)
    spread = tiles(luma).std(axis=1)
    textured = detail[spread >= FLAT_TILE]
    return float(np.percentile(textured if len(textured) else detail, SHARP_PERCENTILE))


def tiles(plane: np.ndarray) -> np.ndarray:
    """The whole SHARP_TILE × SHARP_TILE tiles of a plane (a partial last row or column left out), one per row,
    row-major: one reshape instead of a slice and a reduction per tile (16 stills × 32 tiles × 2 per video)."""
    h, w = plane.shape
    step_y, step_x = min(SHARP_TILE, h), min(SHARP_TILE, w)
    rows, cols = h // step_y, w // step_x
    grid = plane[:rows * step_y, :cols * step_x].reshape(rows, step_y, cols, step_x)
    return grid.transpose(0, 2, 1, 3).reshape(rows * cols, step_y * step_x)


def sharpness(frames: np.ndarray) -> float:
    """Median over frames of 100·clip(log(V/10) / log(200/10), 0, 1), V = variance of the Laplacian of the
    luma at long side 320 (resolution-normalised: every input is resized to that scale first), taken per
    40-pixel tile and read at the 75th-percentile tile (see laplacian_variance). Fine detail is what blur
    removes first; the log makes each halving of detail cost the same. The median ignores a few black or
    fading frames."""
    scores = [ramp(math.log(max(laplacian_variance(f), 1e-6)), math.log(SHARP_LOW), math.log(SHARP_HIGH))
              for f in as_stack(frames)]
    return float(np.median(scores))


def clipped_share(frame: np.ndarray) -> float:
    """Share of pixels with luma ≥ 250 (blown) or ≤ 5 (crushed)."""
    shares = luma_histogram(frame)
    return float(shares[CLIP_HIGH:].sum() + shares[:CLIP_LOW + 1].sum())


def exposure(frames: np.ndarray) -> float:
    """Mean over frames of 100·exp(−max(0, c − 0.03)/0.10), c = share of pixels clipped at either end of the
    luma range (≥ 250 or ≤ 5): clipped pixels carry no detail, which is what over/under-exposure destroys.
    Caveat: a deliberate pure-white or pure-black backdrop counts as clipped."""
    return float(np.mean([decay(clipped_share(f) - CLIP_TOLERANCE, CLIP_SCALE) for f in as_stack(frames)]))


def luma_spread(frame: np.ndarray) -> float:
    """(P98 − P2) of the luma as a fraction of the full range."""
    shares = luma_histogram(frame)
    return (percentile_from_histogram(shares, 0.98) - percentile_from_histogram(shares, 0.02)) / 255.0


def contrast(frames: np.ndarray) -> float:
    """Mean over frames of 100·min(1, s/0.6), s = (P98 − P2)/255 of the luma histogram: the tonal range the
    picture actually uses, ignoring the 2% tails (a few specular or black pixels do not make contrast)."""
    return float(np.mean([ramp(luma_spread(f), 0.0, SPREAD_FULL) for f in as_stack(frames)]))


def hasler_susstrunk(frame: np.ndarray) -> float:
    """Colourfulness M = σ_rgyb + 0.3·μ_rgyb, rg = R − G, yb = (R + G)/2 − B (Hasler & Süsstrunk, 2003)."""
    b, g, r = (frame[..., i].astype(np.float32) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    sigma = math.hypot(float(rg.std()), float(yb.std()))
    mu = math.hypot(float(rg.mean()), float(yb.mean()))
    return sigma + 0.3 * mu


def colourfulness(frames: np.ndarray) -> float:
    """Mean over frames of 100·tanh(M/40), M = Hasler–Süsstrunk colourfulness (0 for grey, ~33 moderately,
    ~59 quite, ~82 highly colourful): saturating, so vivid frames are not pushed to prefer garishness."""
    scores = [100.0 * math.tanh(hasler_susstrunk(f) / COLOURFUL_SCALE) for f in as_stack(frames)]
    return float(np.mean(scores))
