"""Colour-grade words in a beat's prompt, read the way a cloud image model reads them.

Feedback such as "make beat 1 warmer" shifts the beat's palette and appends a grading phrase to its prompt
("warm colour grade", admint.plans.steering.PALETTE_WORDS) — cloud image models act on the prompt. The offline
model acts on the same phrases with a global grade after composing the frame, so the change shows however warm
the palette already was (a hue turn alone barely moves an orange, or a near-white backdrop). Each phrase counts
once: the prompt lists it once (`with_terms`), the palette carries repeated shifts.
"""

import numpy as np

from admint.plans.steering import PALETTE_WORDS
from admint.storyboard.offline_image.canvas import grade

AMBER = np.array([0.30, 0.62, 1.0], np.float32)  # BGR
SKY = np.array([1.0, 0.72, 0.42], np.float32)
TINT = 0.24
LIFT = 0.18
DROP = 0.22


def prompt_grade(img: np.ndarray, prompt: str) -> None:
    """Apply the grades the prompt names to a BGR float frame in [0, 1], in place."""
    terms = {term.strip().lower() for term in prompt.split(",")}
    if PALETTE_WORDS["warmer"] in terms:
        grade(img, saturation=1.05, contrast=1.0, tint=AMBER, tint_amount=TINT)
    if PALETTE_WORDS["cooler"] in terms:
        grade(img, saturation=1.0, contrast=1.0, tint=SKY, tint_amount=TINT)
    if PALETTE_WORDS["brighter"] in terms:
        img *= 1 - LIFT
        img += LIFT
    if PALETTE_WORDS["darker"] in terms:
        img *= 1 - DROP
    if PALETTE_WORDS["more_saturated"] in terms:
        grade(img, saturation=1.3, contrast=1.0)
    if PALETTE_WORDS["less_saturated"] in terms:
        grade(img, saturation=0.7, contrast=1.0)
    np.clip(img, 0, 1, out=img)
