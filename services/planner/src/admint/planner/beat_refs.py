"""Find the beats a feedback message names ("beat 3", "the first scene", "the hook", "beats 2 and 3") and mark
them in the text as tokens, so splitting the message into clauses cannot tear a reference apart.

People count from 1 and say "the last shot" or "the ending"; the plan counts from 0. A token carries the
plan's index: ⟦2⟧ is the third beat, ⟦*⟧ every beat, ⟦x⟧ a beat the plan does not have (tokens hold no
punctuation, which splits clauses).
"""

import re
from collections.abc import Callable

from admint.planner.feedback_lexicon import References

EVERY = -1
"""Index standing for every beat."""
MISSING = -2
"""Index standing for a beat the plan does not have (already explained in a note)."""
TOKEN = re.compile(r"⟦(\*|x|\d+)⟧")


def mark_references(text: str, beat_count: int, refs: References) -> tuple[str, list[str]]:
    """The text with every beat reference replaced by a token, and notes on references to missing beats."""
    notes: list[str] = []
    number = _number_pattern(refs)
    noun = f"(?:{_alternation(refs.nouns)})s?"
    nouns = f"(?:{_alternation(refs.nouns)})s"
    ordinal = _alternation(list(refs.ordinals)) + r"|\d+(?:st|nd|rd|th)"

    def value(word: str) -> int:
        word = word.lower()
        digits = re.match(r"\d+", word)
        return int(digits.group()) if digits else refs.numbers.get(word) or refs.ordinals[word]

    def token(said: int) -> str:
        """The token of the beat a person called number `said` (from 1)."""
        if 1 <= said <= beat_count:
            return f"⟦{said - 1}⟧"
        note = f"There is no beat {said}: the plan has {beat_count}."
        if note not in notes:
            notes.append(note)
        return "⟦x⟧"

    def many(m: re.Match[str]) -> str:
        if m.groupdict().get("to"):
            low, high = sorted((value(m.group("a")), value(m.group("to"))))
            return " ".join(token(n) for n in range(low, high + 1))
        said = [m.group("a"), *re.findall(number, m.group("rest"), re.IGNORECASE)]
        return " ".join(token(value(n)) for n in said)

    def positional(m: re.Match[str]) -> str:
        word = " ".join(m.group("pos").lower().replace("-", " ").split())
        if word in ("last", "final"):
            return token(beat_count)
        if word in ("penultimate", "second to last", "second last"):
            return token(beat_count - 1)
        return token(value(word))

    rules: list[tuple[str, Callable[[re.Match[str]], str]]] = [
        (rf"\b{nouns}\s+(?P<a>{number})\s*(?:-|–|to|through)\s*(?P<to>{number})\b", many),
        (rf"\b{noun}\s+(?P<a>{number})(?P<rest>(?:\s*(?:,|and|&)\s*(?:{number}))+)\b", many),
        (rf"\b{noun}\s*(?:number\s*|no\.?\s*|#\s*)?(?P<n>{number})\b(?:'s)?", lambda m: token(value(m["n"]))),
        (
            rf"\b(?:the\s+)?(?P<pos>{ordinal}|last|final|penultimate|second[\s-]+(?:to[\s-]+)?last)"
            rf"\s+(?:{noun}|one)\b(?:'s)?",
            positional,
        ),
        (rf"\b(?:{_alternation(refs.every)})\b", lambda m: "⟦*⟧"),
        (rf"\b(?:the\s+)?(?:{_alternation(refs.first)})\b(?:'s)?", lambda m: "⟦0⟧"),
        (rf"\b(?:the\s+)?(?:{_alternation(refs.last)})\b(?:'s)?", lambda m: f"⟦{beat_count - 1}⟧"),
    ]
    for pattern, replace in rules:
        text = re.sub(pattern, replace, text, flags=re.IGNORECASE)
    return text, notes


def references_in(text: str) -> list[int]:
    """The beat indices marked in a text, in order, once each (EVERY and MISSING stand for ⟦*⟧ and ⟦x⟧)."""
    found = [EVERY if t == "*" else MISSING if t == "x" else int(t) for t in TOKEN.findall(text)]
    return list(dict.fromkeys(found))


def _number_pattern(refs: References) -> str:
    return r"\d+|" + _alternation(list(refs.numbers))


def _alternation(words: list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in word.split()) for word in ordered)
