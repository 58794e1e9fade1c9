"""Caption and call-to-action statements in feedback ("caption of beat 3: Cold for 24 hours", 'change the CTA
to "Shop now"', "remove the caption on beat 2"), taken out of a message before the rest of it is read.

Quoted text is set aside first, so words inside a caption ("The end of bland coffee") are never read as
instructions. An unquoted value runs to the end of the message, which is why these statements leave before the
message is split into clauses. Each statement's beats stay behind as tokens, so "… and zoom in on it" still
refers to them.
"""

import re
from dataclasses import dataclass

from admint.planner.beat_refs import mark_references, references_in
from admint.planner.feedback_lexicon import References

QUOTE = re.compile(r'"([^"]*)"|“([^”]*)”|‘([^’]*)’|(?<![\w])\'([^\']*)\'(?![\w])')
PLACEHOLDER = re.compile(r"⟪(\d+)⟫")
CLAUSE_BREAK = re.compile(r"[,;.!?]+\s*|\s+(?:and|but|also|plus|then)\s+|\s*&\s*", re.IGNORECASE)
COPY_KEY = re.compile(r"\bcaptions?\b|\b(?P<cta>cta|call[\s-]+to[\s-]+action)\b", re.IGNORECASE)
COLON = re.compile(r"\s*[:=]\s*")
VALUE_WORD = re.compile(r"\s+(?:to|with|should\s+(?:be|say|read)|says?|reads?|into)\s+", re.IGNORECASE)
REMOVAL = re.compile(r"\b(?:remove|delete|drop|clear|without|no|get\s+rid\s+of|lose)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CopyStatement:
    """One statement: the new text of a caption or of the call to action."""

    call_to_action: bool
    text: str
    """The new text as the user wrote it (case kept); empty to remove a caption, or when none was given."""
    removal: bool
    beats: list[int]
    """Beats the statement names (beat_refs indices, EVERY and MISSING included); empty if it names none."""


def take_copy_statements(
    message: str, beat_count: int, refs: References
) -> tuple[str, list[CopyStatement], list[str]]:
    """The message without its copy statements (other quoted text put back), the statements in order, and notes
    on beats the plan does not have.

    A value follows a colon, is quoted, or follows "to"/"should read" …; a value that would come from another
    clause means the word "caption" was not a statement after all ("great caption, but warmer").
    """
    quotes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None))
        return f" ⟪{len(quotes) - 1}⟫ "

    text = QUOTE.sub(keep, message)
    statements: list[CopyStatement] = []
    notes: list[str] = []
    position = 0
    while match := COPY_KEY.search(text, position):
        start = max([0, *(b.end() for b in CLAUSE_BREAK.finditer(text, 0, match.start()))])
        rest = text[match.end() :]
        colon, quote, word = COLON.search(rest), PLACEHOLDER.search(rest), VALUE_WORD.search(rest)
        clause_end = brk.start() if (brk := CLAUSE_BREAK.search(rest)) else len(rest)
        removal = False
        if colon and (not quote or colon.start() <= quote.start()):
            head_end, value_start = colon.start(), colon.end()
        elif quote:
            head_end = value_start = quote.start()
        elif word:
            head_end, value_start = word.start(), word.end()
        elif removal := bool(REMOVAL.search(text[start : match.end()])):
            head_end = value_start = clause_end
        else:
            head_end = value_start = len(rest) + 1
        if head_end > clause_end:
            position = match.end()
            continue
        value, used = _value(rest[value_start:], quotes) if value_start < len(rest) else ("", 0)
        marked, missing = mark_references(
            f"{text[start : match.start()]} {rest[:head_end]}".lower(), beat_count, refs
        )
        notes += [n for n in missing if n not in notes]
        beats = references_in(marked)
        statements.append(CopyStatement(bool(match["cta"]), " ".join(value.split()), removal, beats))
        tokens = " ".join(f"⟦{b}⟧" for b in beats if b >= 0)
        text = f"{text[:start]} , {tokens} , {rest[value_start + used :]}"
        position = start
    return PLACEHOLDER.sub(lambda m: quotes[int(m.group(1))], text), statements, notes


def _value(after: str, quotes: list[str]) -> tuple[str, int]:
    """The new text and how much of `after` it used: a quoted value, else everything to the end."""
    lead = re.match(r"\s*⟪(\d+)⟫", after)
    if lead:
        return quotes[int(lead.group(1))].strip(), lead.end()
    value = PLACEHOLDER.sub(lambda m: f'"{quotes[int(m.group(1))]}"', after).strip()
    return (value[:-1] if value.endswith(".") and not value.endswith("..") else value), len(after)
