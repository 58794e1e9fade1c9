"""Colour shifts on a #rrggbb palette: what "warmer", "darker" or "more vibrant" mean in numbers.

Shifts work in HLS so each changes one thing: warmer/cooler turn hues toward orange (30°) or sky blue
(210°) keeping lightness; brighter/darker move lightness; more/less saturated move saturation. A near-grey has
no hue to turn, so warming or cooling it adds a faint tint of the target hue instead (a warm grade makes grey
concrete look sunlit too). Steps are moderate so a shift asked twice compounds instead of jumping to extremes.
"""

import colorsys
from collections.abc import Sequence

from admint.contracts.feedback import PaletteShift

WARM_HUE = 30 / 360
COOL_HUE = 210 / 360
HUE_STEP = 20 / 360
"""How far one warmer/cooler turns a hue (less if it is already closer to the target)."""
NEUTRAL_SATURATION = 0.08
"""Below this saturation a colour counts as grey: its hue is noise."""
TINT_SATURATION = 0.15
LIGHTNESS_STEP = 0.25
"""brighter closes this fraction of the gap to white; darker takes this fraction of the lightness away."""
SATURATION_UP = 0.35
SATURATION_DOWN = 0.6


def shift_palette(palette: Sequence[str], shifts: Sequence[PaletteShift]) -> list[str]:
    """Every colour with the shifts applied in order; the result is #rrggbb, lower case."""
    out = []
    for colour in palette:
        for shift in shifts:
            colour = shift_colour(colour, shift)
        out.append(colour.lower())
    return out


def shift_colour(colour: str, shift: PaletteShift) -> str:
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(colour))
    if shift in ("warmer", "cooler"):
        target = WARM_HUE if shift == "warmer" else COOL_HUE
        if s < NEUTRAL_SATURATION:
            h, s = target, max(s, TINT_SATURATION * _midtone(lightness))
        else:
            h = _turn(h, target, HUE_STEP)
    elif shift == "brighter":
        lightness += (1 - lightness) * LIGHTNESS_STEP
    elif shift == "darker":
        lightness *= 1 - LIGHTNESS_STEP
    elif shift == "more_saturated":
        s += (1 - s) * SATURATION_UP
    elif shift == "less_saturated":
        s *= SATURATION_DOWN
    return _hex(colorsys.hls_to_rgb(h, lightness, s))


def hue_distance(a: float, b: float) -> float:
    """Shortest distance between two hues on the colour wheel, as a fraction of a turn (0–0.5)."""
    d = abs(a - b) % 1.0
    return min(d, 1.0 - d)


def _turn(hue: float, target: float, step: float) -> float:
    """Hue moved toward target the short way round by at most step."""
    delta = (target - hue + 0.5) % 1.0 - 0.5  # signed, in [-0.5, 0.5)
    return (hue + max(-step, min(step, delta))) % 1.0


def _midtone(lightness: float) -> float:
    """1 at mid-grey, 0 at black and white: a tint shows in the midtones, not in pure black or white."""
    return 1 - abs(2 * lightness - 1)


def _rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(max(c, 0.0), 1.0) * 255):02x}" for c in rgb)
