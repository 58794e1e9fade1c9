"""The offline feedback interpreter: deterministic rules that turn a message into a FeedbackIntent.

Reading order, and why:
1. Caption and call-to-action statements ("caption of beat 3: Cold for 24 hours") come out first
   (copy_statements): a caption's words are not instructions, and an unquoted one runs to the end of the message.
2. Beat references become tokens (beat_refs) and the rest splits into clauses at commas, "and", "but" ….
3. Each clause's phrases are looked up in the lexicon (data/feedback.yaml). Its beats are the ones it names;
   else, for a bare modifier ("… and more dramatic"), the previous clause's; else the request's `beat`; else
   every beat. Words that are neither phrases nor fillers are reported as not understood.
`understood` says what was read, what could not be done and why; nothing is applied here.
"""

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from admint.contracts.common import FrameSize
from admint.contracts.feedback import BeatEdit, BeatRegeneration, FeedbackIntent, FeedbackKind, RenderHints
from admint.contracts.plan import Plan
from admint.planner.beat_refs import EVERY, MISSING, TOKEN, mark_references, references_in
from admint.planner.copy_statements import CLAUSE_BREAK, CopyStatement, take_copy_statements
from admint.planner.feedback_lexicon import FeedbackLexicon, load_feedback_lexicon, phrase_key
from admint.planner.interpreter import FeedbackInterpreter as FeedbackInterpreter  # the port, re-exported
from admint.planner.retiming import Retimed, retime, step
from admint.plans.plan_edits import PlanEditError, apply_plan_edits, beat_label
from admint.plans.steering import merge_hints

OFFLINE_INTERPRETER = "offline-rules"
CALL_TO_ACTION = -3
"""Where `understood` lists the call to action (after every beat's and each beat's changes)."""
SECONDS = re.compile(
    r"(?:\b(?P<by>by)\s+)?\b(?P<n>\d+|five|ten|fifteen|twenty)\s*-?\s*(?:s|secs?|seconds?)\b"
)
WORD = re.compile(r"[\w']+")
NUMBER_WORDS = {"five": 5, "ten": 10, "fifteen": 15, "twenty": 20}
SPELLING = {"color": "colour", "colors": "colours", "colorful": "colourful", "gray": "grey", "dont": "don't"}
SPELLING_WORD = re.compile(rf"\b(?:{'|'.join(SPELLING)})\b")


class OfflineFeedbackInterpreter:
    """FeedbackInterpreter by rules: deterministic, no network, the fallback for a model interpreter."""

    name = OFFLINE_INTERPRETER

    async def interpret_feedback(
        self, plan: Plan, message: str, beat: int | None = None, *, size: FrameSize | None = None
    ) -> FeedbackIntent:
        return await asyncio.to_thread(interpret, plan, message, beat, size=size)


@dataclass
class _Reading:
    """What has been understood so far: changes, what to say about each beat (or EVERY, CALL_TO_ACTION), and
    notes on what could not be done."""

    plan: Plan
    beat: int | None
    durations: list[int]
    captions: dict[int, str] = field(default_factory=dict)
    cta: str | None = None
    hints: dict[int, RenderHints] = field(default_factory=dict)
    style: RenderHints = field(default_factory=RenderHints)
    said: list[tuple[int, str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    approved: bool = False

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def interpret(
    plan: Plan,
    message: str,
    beat: int | None = None,
    *,
    size: FrameSize | None = None,
    lexicon: FeedbackLexicon | None = None,
) -> FeedbackIntent:
    """What the message asks of the plan. `beat` (0-based, from the request) scopes a message that names no
    beat; with `size`, edits are checked against the plan's rules and dropped with a note if they fail."""
    lex = lexicon or load_feedback_lexicon()
    reading = _Reading(plan, beat, [b.duration_s for b in plan.beats])
    if beat is not None and not 0 <= beat < len(plan.beats):  # a stale or wrong client: do not guess
        reading.note(f"There is no beat {beat + 1}: the plan has {len(plan.beats)}.")
        return _intent(reading, message, lex)
    text, statements, missing = take_copy_statements(message, len(plan.beats), lex.references)
    for statement in statements:
        _record_copy(statement, reading)
    text = text.lower().replace("’", "'")
    text = SPELLING_WORD.sub(lambda m: SPELLING[m.group()], text)
    text, more = mark_references(text, len(plan.beats), lex.references)
    for note in [*missing, *more]:
        reading.note(note)
    previous: list[int] | None = None
    for clause in (c.strip() for c in CLAUSE_BREAK.split(text)):
        if clause:
            previous = _read_clause(clause, previous, reading, lex)
    intent = _intent(reading, message, lex)
    if size is None or not (intent.edits or intent.call_to_action):
        return intent
    return _checked(intent, reading, message, lex, size)


def _record_copy(statement: CopyStatement, reading: _Reading) -> None:
    """Record a caption or call-to-action edit (a caption naming no beat takes the request's beat)."""
    value = statement.text
    if not value and not statement.removal:
        reading.note("What should the new text say? e.g. “caption of beat 2: Cold for 24 hours”.")
    elif statement.call_to_action:
        if value:
            reading.cta = value
            reading.said.append((CALL_TO_ACTION, f"“{value}”", "call_to_action"))
        else:
            reading.note("The call to action cannot be removed; say what it should read instead.")
    elif targets := [b for b in statement.beats if b >= 0] or (
        [reading.beat] if reading.beat is not None and not statement.beats else []
    ):
        for index in targets:
            reading.captions[index] = value
            reading.said.append((index, f"caption “{value}”" if value else "no caption", "caption"))
    elif MISSING not in statement.beats:
        reading.note("Which beat's caption? Say e.g. “caption of beat 2: Cold for 24 hours”.")


def _read_clause(
    clause: str, previous: list[int] | None, reading: _Reading, lex: FeedbackLexicon
) -> list[int] | None:
    """Apply one clause; returns the beats a following bare modifier inherits (None: it names none)."""
    meanings = [lex.meanings[phrase_key(m.group())] for m in lex.phrases.finditer(clause)]
    rest = lex.phrases.sub(" ", clause)
    seconds = [(bool(m["by"]), _seconds(m["n"])) for m in SECONDS.finditer(rest)]
    rest = SECONDS.sub(" ", rest)
    named = references_in(rest)
    negated = bool(lex.negation.search(rest))
    leftover = [w for w in WORD.findall(lex.negation.sub(" ", TOKEN.sub(" ", rest))) if w not in lex.fillers]
    if named:
        targets, inherit = named, named
    elif previous and not any(w in lex.scope_nouns for w in WORD.findall(clause)):
        targets, inherit = previous, previous
    else:
        targets, inherit = [EVERY if reading.beat is None else reading.beat], None
    if not meanings and not seconds:
        if leftover or not named:
            reading.not_understood.append(_shown(clause))
        return inherit
    if leftover:
        reading.not_understood.append(" ".join(leftover))
    changes = bool(seconds) or any(m in ("shorter", "longer") or _changes_look(m, lex) for m in meanings)
    if negated and changes:
        reading.note(f"I left out “{_shown(clause)}”: tell me what to do rather than what not to do.")
        return inherit
    reading.approved |= "approve" in meanings
    for target in (t for t in targets if t != MISSING):
        _apply(target, meanings, seconds, reading, lex)
    return inherit


def _changes_look(meaning: str, lex: FeedbackLexicon) -> bool:
    """A render cue other than 'another take' (which 'I don't like …' legitimately negates)."""
    return meaning in lex.cues and not lex.cues[meaning].hints.new_take


def _apply(
    target: int, meanings: list[str], seconds: list[tuple[bool, int]], reading: _Reading, lex: FeedbackLexicon
) -> None:
    for cue in (lex.cues[m] for m in meanings if m in lex.cues):
        if target == EVERY:
            reading.style = merge_hints(reading.style, cue.hints)
        else:
            reading.hints[target] = merge_hints(reading.hints.get(target, RenderHints()), cue.hints)
        reading.said.append((target, cue.says, None))
    direction = ("longer" in meanings) - ("shorter" in meanings)
    absolute = [n for by, n in seconds if not by]
    delta = [n for by, n in seconds if by]
    if not (direction or absolute or delta):
        return
    if target == EVERY:
        reading.note(
            f"The ad's length stays {reading.plan.duration_s} s (it was set when the ad was requested); "
            "I can move time between beats, e.g. “shorter hook” or “make beat 2 10 seconds”."
        )
    elif absolute:
        _retimed(target, retime(reading.durations, target, absolute[-1]), reading)
    elif direction and delta:
        _retimed(
            target,
            retime(reading.durations, target, reading.durations[target] + direction * delta[-1]),
            reading,
        )
    elif direction:
        _retimed(target, step(reading.durations, target, direction), reading)
    else:
        reading.note(f"Should {beat_label(target)} be longer or shorter by {delta[-1]} s?")


def _retimed(target: int, result: Retimed, reading: _Reading) -> None:
    if result.problem:
        reading.note(result.problem)
        return
    old = reading.durations
    others = [
        f"{beat_label(j)} {old[j]} s → {result.durations[j]} s"
        for j in range(len(old))
        if j != target and old[j] != result.durations[j]
    ]
    text = f"length {old[target]} s → {result.durations[target]} s"
    if others:
        text += f" ({', '.join(others)}, so the ad stays {reading.plan.duration_s} s)"
    reading.durations = result.durations
    reading.said.append((target, text, "duration_s"))


def _intent(reading: _Reading, message: str, lex: FeedbackLexicon) -> FeedbackIntent:
    """The intent of what was read. Confidence is a rule, not a probability: 0.95 for a plain approval, 0.9 when
    every clause was understood and doable, 0.15 less per note or fragment not understood (never below 0.3);
    for `unclear`, 0 when nothing was recognised and 0.2 when it was but cannot be done."""
    plan = reading.plan
    edits = []
    for beat in plan.beats:
        fields: dict[str, Any] = {}
        if reading.durations[beat.index] != beat.duration_s:
            fields["duration_s"] = reading.durations[beat.index]
        if beat.index in reading.captions:
            fields["caption"] = reading.captions[beat.index]
        if fields:
            edits.append(BeatEdit(index=beat.index, **fields))
    regenerate = [
        BeatRegeneration(index=i, hints=h) for i, h in sorted(reading.hints.items()) if not h.is_empty()
    ]
    renders = bool(regenerate) or not reading.style.is_empty()
    changes = renders or bool(edits) or reading.cta is not None
    unsure = reading.not_understood
    kind: FeedbackKind = (
        "regenerate"
        if renders
        else "edit"
        if changes
        else "approve"
        if reading.approved and not unsure
        else "unclear"
    )
    if kind == "approve":
        understood, confidence = "Approved: going on with this plan.", 0.95
    elif kind == "unclear":
        understood, confidence = _unclear(reading, message, lex), 0.0 if not reading.notes else 0.2
    else:
        understood = _summary(reading, regenerate)
        confidence = max(0.3, 0.9 - 0.15 * (len(unsure) + len(reading.notes)))
    return FeedbackIntent(
        kind=kind,
        edits=edits,
        call_to_action=reading.cta,
        regenerate=regenerate,
        style=reading.style,
        understood=understood[:600],
        interpreter=OFFLINE_INTERPRETER,
        confidence=round(confidence, 2),
    )


def _summary(reading: _Reading, regenerate: list[BeatRegeneration]) -> str:
    order = {EVERY: -9, CALL_TO_ACTION: 99}
    targets = sorted({t for t, _, _ in reading.said}, key=lambda t: order.get(t, t))
    parts = []
    for target in targets:
        said = list(dict.fromkeys(text for t, text, _ in reading.said if t == target))
        label = {EVERY: "Every beat", CALL_TO_ACTION: "Call to action"}.get(target) or beat_label(target)
        parts.append(f"{label}: {', '.join(said)}")
    text = "; ".join(parts) + "."
    if not reading.style.is_empty():
        text += " I'll render every beat again."
    elif regenerate:
        text += f" I'll render {_and([beat_label(r.index) for r in regenerate])} again."
    if reading.not_understood:
        text += f" I didn't understand {_and([f'“{u}”' for u in reading.not_understood])}."
    return " ".join([text, *reading.notes])


def _unclear(reading: _Reading, message: str, lex: FeedbackLexicon) -> str:
    parts = list(reading.notes)
    if reading.not_understood or not parts:
        shown = " ".join(message.split())
        parts.append(f"I didn't understand “{shown if len(shown) <= 80 else shown[:77] + '…'}”.")
    examples = ", ".join(f"“{e}”" for e in lex.examples)
    return " ".join([*parts, f"Try e.g. {examples}."])


def _checked(
    intent: FeedbackIntent, reading: _Reading, message: str, lex: FeedbackLexicon, size: FrameSize
) -> FeedbackIntent:
    """Drop the edits the plan's rules refuse (e.g. a caption too long for the safe zone), saying why."""
    try:
        apply_plan_edits(reading.plan, intent.patch(), size=size)
        return intent
    except PlanEditError as exc:
        for problem in exc.problems:
            reading.note(problem.msg)
            parts = problem.pointer.split("/")
            if parts[1:2] == ["beats"] and len(parts) == 4 and parts[3] == "caption":
                index = intent.edits[int(parts[2])].index
                reading.captions.pop(index, None)
                reading.said = [s for s in reading.said if (s[0], s[2]) != (index, "caption")]
            elif parts[1:2] == ["beats"]:  # durations move together: drop them all
                reading.durations = [b.duration_s for b in reading.plan.beats]
                reading.said = [s for s in reading.said if s[2] != "duration_s"]
            elif problem.pointer == "/call_to_action":
                reading.cta = None
                reading.said = [s for s in reading.said if s[2] != "call_to_action"]
    return _intent(reading, message, lex)


def _seconds(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _shown(clause: str) -> str:
    """A clause as the user would write it (tokens back to beat numbers)."""
    return TOKEN.sub(
        lambda m: (
            "every beat"
            if m.group(1) == "*"
            else "that beat"
            if m.group(1) == "x"
            else f"beat {int(m.group(1)) + 1}"
        ),
        clause,
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
