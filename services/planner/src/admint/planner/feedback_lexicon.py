"""The offline feedback interpreter's vocabulary, loaded from data/feedback.yaml and checked at load time.

Words live in YAML so the interpreter learns a phrasing without a code change; the loader refuses a phrase
listed under two meanings, because matching could then silently pick either.
"""

import re
from collections import Counter
from functools import cache, cached_property
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from admint.contracts.feedback import RenderHints
from admint.planner.library import DATA_DIR

FEEDBACK_FILE = DATA_DIR / "feedback.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RenderCue(_Frozen):
    id: str
    says: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)
    hints: RenderHints


class References(_Frozen):
    nouns: list[str] = Field(min_length=1)
    numbers: dict[str, int]
    ordinals: dict[str, int]
    first: list[str]
    last: list[str]
    every: list[str]


class FeedbackLexicon(_Frozen):
    version: Literal[1]
    approve: list[str]
    shorter: list[str]
    longer: list[str]
    render: list[RenderCue]
    references: References
    scope_nouns: list[str]
    negations: list[str]
    fillers: frozenset[str]
    examples: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_phrase_means_one_thing(self) -> "FeedbackLexicon":
        phrases = [*self.approve, *self.shorter, *self.longer, *(p for c in self.render for p in c.phrases)]
        twice = sorted(p for p, n in Counter(phrase_key(p) for p in phrases).items() if n > 1)
        if twice:
            raise ValueError(f"phrases listed under two meanings: {twice}")
        return self

    @cached_property
    def meanings(self) -> dict[str, str]:
        """Phrase (normalised) → meaning: 'approve', 'shorter', 'longer' or a render cue id."""
        out = {phrase_key(p): "approve" for p in self.approve}
        out.update({phrase_key(p): "shorter" for p in self.shorter})
        out.update({phrase_key(p): "longer" for p in self.longer})
        out.update({phrase_key(p): cue.id for cue in self.render for p in cue.phrases})
        return out

    @cached_property
    def phrases(self) -> re.Pattern[str]:
        """Every phrase of the lexicon, longest first."""
        return phrase_regex(list(self.meanings))

    @cached_property
    def negation(self) -> re.Pattern[str]:
        return phrase_regex(self.negations)

    @cached_property
    def cues(self) -> dict[str, RenderCue]:
        return {c.id: c for c in self.render}


@cache
def load_feedback_lexicon() -> FeedbackLexicon:
    return FeedbackLexicon.model_validate(yaml.safe_load(FEEDBACK_FILE.read_text(encoding="utf-8")))


def phrase_regex(phrases: list[str]) -> re.Pattern[str]:
    """One alternation of whole-word phrases, longest first (so 'more dramatic' wins over 'dramatic')."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])", re.IGNORECASE)


def phrase_key(text: str) -> str:
    """How a phrase is looked up in `meanings()`: case and spacing folded."""
    return " ".join(text.lower().split())
