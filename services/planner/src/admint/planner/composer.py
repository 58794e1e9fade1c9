"""The offline beat composer: brief facts + library + request → a complete Plan.

Every random choice draws from its own stream seeded by (brief, seed, purpose), so the same brief and seed
give the same plan, and changing one knob (framework, creativity) leaves unrelated choices (palette, tempo)
alone.
"""

import hashlib
import random
from typing import cast

from admint.contracts.common import BeatDuration, CameraMovement
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.planner.brief import BriefFacts
from admint.planner.copywriting import Copywriter, assign_roles, call_to_action
from admint.planner.library import Archetype, BeatDef, Library, ToneDef
from admint.planner.tiling import clamp_beats, tile

OFFLINE_PLANNER = "offline-planner"
ASPECT_PHRASE = {
    "9:16": "vertical 9:16 composition",
    "1:1": "square 1:1 composition",
    "16:9": "widescreen 16:9 composition",
}
DEFAULTS = {
    "audience": "a person",
    "problem": "an everyday hassle",
    "feature": "its signature design",
    "benefit": "a better everyday",
}


class Streams:
    """Independent deterministic random streams, one per purpose."""

    def __init__(self, brief: str, seed: int) -> None:
        self._base = f"{' '.join(brief.lower().split())}|{seed}"

    def __call__(self, purpose: str) -> random.Random:
        digest = hashlib.sha256(f"{self._base}|{purpose}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


def compose(spec: GenerationSpec, facts: BriefFacts, library: Library) -> Plan:
    rng = Streams(spec.brief, spec.seed)
    creativity = spec.creativity
    tone = _tone(facts, library)
    archetype = choose_archetype(facts, spec.duration_s, library, rng("archetype"))
    framework_name = spec.framework or archetype.framework
    framework = library.frameworks[framework_name]

    pacing = archetype.seconds_per_beat * tone.pacing
    wanted = round(spec.duration_s / pacing)
    shape = rng("beat-count")
    if shape.random() < creativity:
        wanted += shape.choice((-1, 1))
    n = clamp_beats(spec.duration_s, wanted)

    roles = assign_roles(framework, n)
    beats = choose_beats(archetype, roles, facts.category, creativity, library, rng("sequence"))
    energies = [_energy(b, archetype, (i + 0.5) / n, facts) for i, b in enumerate(beats)]
    linger = rng("durations")
    weights = [
        (1.25 - e)
        + (0.5 if b.shot_type in ("product_hero", "detail") else 0.0)
        + creativity * 0.5 * linger.random()
        for b, e in zip(beats, energies, strict=True)
    ]
    durations = tile(spec.duration_s, weights)

    palette = _palette(facts, tone, rng("palette"))
    setting = rng("setting").choice(_category(facts, library).settings)
    values = {
        **DEFAULTS,
        **{k: v for k, v in _facts_values(facts).items() if v},
        "setting": setting,
        "look": f"{tone.look}, {colour_words(palette[:3], library)} palette",
    }
    moves = _camera_moves(beats, creativity, rng("camera"))
    writer = Copywriter(facts, framework, rng("captions"))
    features = list(facts.features) or [DEFAULTS["feature"]]

    out: list[Beat] = []
    start = 0
    for i, (beat, role, duration, energy, move) in enumerate(
        zip(beats, roles, durations, energies, moves, strict=True)
    ):
        beat_values = {**values, "feature": features[i % len(features)]}
        prompt = f"{_render(beat.prompt, beat_values)}, {ASPECT_PHRASE[spec.aspect]}"
        out.append(
            Beat(
                index=i,
                beat_id=beat.id,
                role=role,
                start_s=start,
                duration_s=cast(BeatDuration, duration),
                shot_type=beat.shot_type,
                camera_movement=move,
                action=_render(beat.action, beat_values),
                prompt=prompt,
                caption=writer.caption(role, ordered=i == n - 1),
                energy=energy,
            )
        )
        start += duration

    tempo_rng = rng("tempo")
    low, high = archetype.music.tempo_bpm
    tempo = round(low + (high - low) * tempo_rng.random()) + tone.tempo_shift
    keywords = list(dict.fromkeys([*facts.tones, *archetype.style_keywords]))[:6]
    return Plan(
        archetype=archetype.id,
        framework=framework_name,
        duration_s=spec.duration_s,
        beats=out,
        style=Style(palette=palette, keywords=keywords, mood=facts.tones[0] if facts.tones else "confident"),
        music=MusicSpec(
            mood=tone.music_mood if facts.tones else archetype.music.mood, tempo_bpm=min(max(tempo, 50), 180)
        ),
        product=facts.product,
        audience=facts.audience,
        call_to_action=call_to_action(facts, library.lexicon),
        planner_model=OFFLINE_PLANNER,
    )


def choose_archetype(facts: BriefFacts, duration_s: int, library: Library, rng: random.Random) -> Archetype:
    """Highest affinity to the brief's tones, category and cues among archetypes that fit the duration."""
    cues = {
        "problems": bool(facts.problems),
        "features": len(facts.features) >= 2,
        "proof": bool(facts.proof),
        "audience": bool(facts.audience),
    }

    def score(arch: Archetype) -> float:
        tones = sum(arch.affinity.tones.get(t, 0.0) / (1 + rank) for rank, t in enumerate(facts.tones))
        category = arch.affinity.categories.get(facts.category, 0.0)
        cue = sum(weight for name, weight in arch.affinity.cues.items() if cues[name])
        return tones + category + cue + 0.05 * rng.random()

    fitting = [a for a in library.archetypes.values() if a.fits(duration_s)]
    return max(fitting, key=score)


def resample(archetype: Archetype, n: int) -> list[str]:
    """The archetype's sequence stretched or squeezed to n beats, keeping its opening and closing."""
    first, *middle, last = archetype.sequence
    k = n - 2
    if k <= len(middle):
        if k <= 1:
            picks = [middle[len(middle) // 2]][:k]
        else:
            picks = [middle[round(j * (len(middle) - 1) / (k - 1))] for j in range(k)]
        return [first, *picks, last]
    out = list(middle)
    extras = [archetype.extend_with[j % len(archetype.extend_with)] for j in range(k - len(middle))]
    for j, extra in enumerate(extras):
        position = round((j + 1) * (len(out) + 1) / (len(extras) + 1))
        out.insert(min(position, len(out)), extra)
    return [first, *out, last]


def choose_beats(
    archetype: Archetype,
    roles: list[str],
    category: str,
    creativity: float,
    library: Library,
    rng: random.Random,
) -> list[BeatDef]:
    """Pick a beat per slot: the archetype's suggestion weighs 3.5 at creativity 0 and 0.5 at 1; fit to the
    framework role, variety and (with creativity) chance decide the rest."""
    n = len(roles)
    base = resample(archetype, n)
    order = {beat_id: i for i, beat_id in enumerate(library.beats)}
    chosen: list[BeatDef] = []
    used: dict[str, int] = {}
    for i, role in enumerate(roles):
        position = "opening" if i == 0 else "closing" if i == n - 1 else "middle"
        candidates = [b for b in library.beats.values() if position in b.positions and b.suits(category)]
        if i == n - 1:
            candidates = [b for b in candidates if "action" in b.roles] or candidates
        previous = chosen[-1].id if chosen else None
        scored = []
        for b in candidates:
            value = (3.0 * (1 - creativity) + 0.5) * (b.id == base[i]) + (1.5 if role in b.roles else 0.0)
            value += 2.0 * creativity * rng.random() - 0.8 * used.get(b.id, 0) - 1.5 * (b.id == previous)
            scored.append((value, -order[b.id], b))
        pick = max(scored, key=lambda s: s[:2])[2]
        chosen.append(pick)
        used[pick.id] = used.get(pick.id, 0) + 1
    return chosen


def _camera_moves(beats: list[BeatDef], creativity: float, rng: random.Random) -> list[CameraMovement]:
    """Default move per beat; creativity draws from its alternatives; neighbours avoid repeating a move."""
    moves: list[CameraMovement] = []
    for beat in beats:
        options = list(beat.camera_movements)
        move = rng.choice(options) if rng.random() < creativity else options[0]
        if moves and move == moves[-1] and len(options) > 1:
            move = next(m for m in options if m != moves[-1])
        moves.append(move)
    return moves


def _energy(beat: BeatDef, archetype: Archetype, t: float, facts: BriefFacts) -> float:
    shift = (
        0.1 if "energetic" in facts.tones[:1] else -0.08 if facts.tones[:1] in (("calm",), ("luxury",)) else 0
    )
    return round(min(max(0.5 * beat.energy + 0.5 * archetype.energy_at(t) + shift, 0.05), 1.0), 2)


def _tone(facts: BriefFacts, library: Library) -> ToneDef:
    return library.lexicon.tones[facts.tones[0]] if facts.tones else library.lexicon.default_tone


def _category(facts: BriefFacts, library: Library):
    return library.lexicon.categories.get(facts.category, library.lexicon.default_category)


def _palette(facts: BriefFacts, tone: ToneDef, rng: random.Random) -> list[str]:
    """Brief colours lead (the most extreme luminance first, as backdrop); the tone's palette fills."""
    base = rng.choice(tone.palettes)
    named = sorted(facts.colours, key=lambda c: -abs(_luminance(c) - 0.5))
    return list(dict.fromkeys([*named, *base]))[:5]


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def colour_words(palette: list[str], library: Library) -> str:
    """Nearest named colours for prompts (image models read 'navy and gold', not hex)."""
    names = library.lexicon.colours

    def nearest(colour: str) -> str:
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        return min(
            names,
            key=lambda n: sum(
                (a - int(names[n][i : i + 2], 16)) ** 2 for a, i in zip(rgb, (1, 3, 5), strict=True)
            ),
        )

    words = list(dict.fromkeys(nearest(c) for c in palette))
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def _facts_values(facts: BriefFacts) -> dict[str, str]:
    return {
        "product": facts.product,
        "audience": facts.audience,
        "problem": facts.problems[0] if facts.problems else "",
        "benefit": facts.benefits[0] if facts.benefits else "",
        "proof": facts.proof,
    }


def _render(template: str, values: dict[str, str]) -> str:
    text = " ".join(template.format_map(_Lower(values)).split())
    return text[:1].upper() + text[1:]


class _Lower(dict):
    """format_map helper: {Product} and {product} both resolve; a missing key renders empty."""

    def __missing__(self, key: str) -> str:
        value = self.get(key.lower(), "")
        return value[:1].upper() + value[1:] if key[:1].isupper() else value
