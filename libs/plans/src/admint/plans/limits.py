"""Copy limits every plan keeps, whoever writes it (planner, hand edits, interpreted feedback)."""

CAPTION_MAX = 48
"""Two short lines on a 9:16 frame; the contract allows 120 but on-screen copy must stay glanceable."""
CTA_MAX = 32
"""A call to action short enough for its card at every aspect."""
