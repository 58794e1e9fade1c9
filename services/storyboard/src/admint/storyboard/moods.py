"""Mood boards: three looks the ad could take, each shown as four images, decided without I/O.

Board 1 is the look the planner chose from the brief; boards 2 and 3 take it toward warm, sunlit light and toward a
cool, low-key night (the palette tinted toward amber or night blue, then saturated or darkened with
admint.plans.palette), each with the music mood and tempo that go with it. The four images of a board vary what a
storyboard frame varies — palette and light (the product hero), styling (the plan's lifestyle beat), composition
(wide and close framings) — and each is the image model's own render of a beat built from the plan, with the
product image when one was uploaded, at half the frame size (they are previews). The chosen board's style and music
replace the plan's (core.steering.approve), so it drives every frame and the music bed.
"""

from dataclasses import dataclass

from admint.contracts.common import FrameSize, ShotType
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.plans.palette import shift_palette

TEMPO = (50, 180)
IMAGES_PER_BOARD = 4


@dataclass(frozen=True)
class Look:
    name: str
    style: Style
    music: MusicSpec


@dataclass(frozen=True)
class MoodImage:
    """One image of a board: the beat the image model renders, and its seed."""

    board: int
    image: int
    beat: Beat
    seed: int


GOLDEN = "#f0a04b"
"""Late-afternoon amber every colour of the warm look leans toward."""
NIGHT = "#16264a"
"""Deep blue every colour of the night look leans toward."""


def looks(plan: Plan) -> list[Look]:
    """The three looks: as planned, warm and sunlit (the palette tinted toward amber, a touch more saturated),
    cool and low-key (tinted toward night blue and darker). Tinting moves every colour toward one target, so a
    look reads as one light; turning each hue on its own would pass a blue through purple on its way to orange."""
    base, music = plan.style, plan.music
    warm = Style(palette=shift_palette([tint(c, GOLDEN, 0.4) for c in base.palette], ["more_saturated"]),
                 keywords=_words(base.keywords, ["golden hour", "sunlit", "warm"]), mood="warm")
    cool = Style(palette=shift_palette([tint(c, NIGHT, 0.45) for c in base.palette], ["darker"]),
                 keywords=_words(base.keywords, ["night", "low-key", "moody"]), mood="dramatic")
    return [
        Look("as planned", base, music),
        Look("golden hour", warm, MusicSpec(mood="uplifting", tempo_bpm=_tempo(music.tempo_bpm + 12))),
        Look("after dark", cool, MusicSpec(mood="dramatic", tempo_bpm=_tempo(music.tempo_bpm - 10))),
    ]


FRAMINGS: tuple[tuple[ShotType, str], ...] = (
    ("product_hero", "palette and light"),
    ("medium", "styling"),
    ("wide", "composition, wide"),
    ("close_up", "composition, close"),
)


def board_images(plan: Plan, board: int, seed: int) -> list[MoodImage]:
    """The four images of board `board` (1-based): each a beat of the plan reframed, with its own seed."""
    hero = next((b for b in plan.beats if b.shot_type == "product_hero"), plan.beats[-1])
    lifestyle = next((b for b in plan.beats if b.shot_type in ("medium", "wide")), plan.beats[0])
    images = []
    for k, (shot, what) in enumerate(FRAMINGS):
        source = lifestyle if shot in ("medium", "wide") else hero
        beat = source.model_copy(update={
            "index": k, "shot_type": shot, "caption": "", "camera_movement": "static",
            "prompt": f"{source.prompt}, mood board: {what}",
        })
        images.append(MoodImage(board, k, beat, _seed(seed, k)))
    return images


def preview_size(size: FrameSize) -> FrameSize:
    """Half the frame size (even sides, at least 64 px): enough to judge a look, quick to render."""
    def half(side: int) -> int:
        return max(64, side // 4 * 2)

    return FrameSize(width=half(size.width), height=half(size.height))


def tint(colour: str, target: str, amount: float) -> str:
    """`colour` moved `amount` (0–1) of the way to `target` in RGB, as #rrggbb."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(target[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def _seed(seed: int, image: int) -> int:
    """The same light and framing variety on every board, so the boards differ by their look, not by luck."""
    return (seed * 31 + image * 7919) & 0x7FFFFFFF


def _words(keywords: list[str], extra: list[str]) -> list[str]:
    return list(dict.fromkeys([*extra, *keywords]))[:8]


def _tempo(bpm: int) -> int:
    return max(TEMPO[0], min(TEMPO[1], bpm))
