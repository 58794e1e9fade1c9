"""Copywriting: framework roles per beat, captions from the brief's facts, the closing call to action."""

import random
import re
from string import Formatter

from admint.planner.brief import BriefFacts
from admint.planner.library import FrameworkDef, Lexicon, placeholders
from admint.plans.limits import CAPTION_MAX, CTA_MAX

_BREAKS = re.compile(r"\s+(?:without|with|for|in|by|while|so|of|to|on|at|from|because|when|and)\s+", re.I)


def assign_roles(framework: FrameworkDef, n: int) -> list[str]:
    """Roles of n beats: opening role first, `action` last; middle roles share the rest by weight."""
    if n < 2:
        return ["action"][:n]
    middle = framework.middle
    slots = n - 2
    if slots == 0:
        return [framework.opening.role, "action"]
    if slots < len(middle):
        keep = sorted(sorted(range(len(middle)), key=lambda i: -middle[i].weight)[:slots])
        chosen = [middle[i].role for i in keep]
    else:
        counts = _largest_remainder([r.weight or 1e-3 for r in middle], slots)
        chosen = [r.role for r, count in zip(middle, counts, strict=True) for _ in range(count)]
    return [framework.opening.role, *chosen, "action"]


def _largest_remainder(weights: list[float], total: int) -> list[int]:
    """Integer shares of `total` proportional to weights, each at least 1 (total >= len(weights))."""
    counts = [1] * len(weights)
    left = total - len(weights)
    wsum = sum(weights)
    quotas = [w / wsum * left for w in weights]
    for i, q in enumerate(quotas):
        counts[i] += int(q)
    remainder = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    for i in order[:remainder]:
        counts[i] += 1
    return counts


def shorten(phrase: str, limit: int) -> str | None:
    """Fit a phrase into `limit` characters by cutting at a natural break (preposition), never mid-word."""
    phrase = phrase.strip()
    if len(phrase) <= limit:
        return phrase
    cuts = [m.start() for m in _BREAKS.finditer(phrase) if 12 <= m.start() <= limit]
    if cuts:
        return phrase[: max(cuts)].rstrip(" ,;:")
    return None


class Copywriter:
    """Fills caption templates, spending each benefit/feature once so captions do not repeat."""

    def __init__(self, facts: BriefFacts, framework: FrameworkDef, rng: random.Random) -> None:
        self.facts = facts
        self.framework = framework
        self.rng = rng
        self._benefits = [b for b in (shorten(x, CAPTION_MAX - 2) for x in facts.benefits) if b]
        self._features = [f for f in (shorten(x, CAPTION_MAX - 12) for x in facts.features) if f]
        self.used: set[str] = set()

    def _values(self) -> dict[str, str]:
        facts = self.facts
        values = {
            "product": facts.product,
            "audience": facts.audience,
            "proof": facts.proof,
            "problem": shorten(facts.problems[0], 30) or "" if facts.problems else "",
        }
        if self._benefits:
            values["benefit"] = self._benefits[0]
        if self._features:
            values["feature"] = self._features[0]
        return values

    def caption(self, role: str, *, ordered: bool = False) -> str:
        """A caption for one beat; `ordered` takes the role's first usable template (the end card)."""
        templates = list(self.framework.role(role).captions)
        if not ordered:
            self.rng.shuffle(templates)
            # templates using the brief's own words first: they are what makes the ad specific
            templates.sort(key=lambda t: -sum(_SPECIFICITY.get(name, 0) for name in placeholders(t)))
        values = self._values()
        generic_product = self.facts.product == self.facts.product.lower()
        for template in templates:
            if generic_product and template.startswith("Meet "):
                continue  # "Meet sneakers" reads wrong; "Meet Aurora" does not
            text = _fill(template, values)
            if text and len(text) <= CAPTION_MAX and text.lower() not in self.used:
                self._spend(template)
                self.used.add(text.lower())
                return text
        return ""

    def _spend(self, template: str) -> None:
        names = placeholders(template)
        if "benefit" in names and self._benefits:
            self._benefits.pop(0)
        if "feature" in names and self._features:
            self._features.pop(0)


_SPECIFICITY = {"benefit": 2.0, "feature": 2.0, "problem": 2.0, "proof": 2.0, "audience": 1.5, "product": 1.0}


def _fill(template: str, values: dict[str, str]) -> str | None:
    out = []
    for literal, name, _, _ in Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        value = values.get(name.lower(), "")
        if not value:
            return None
        out.append(value[:1].upper() + value[1:] if name[:1].isupper() else value)
    text = "".join(out).strip()
    return text[:1].upper() + text[1:]


def call_to_action(facts: BriefFacts, lexicon: Lexicon) -> str:
    """The brief's own CTA when it has one that fits the end card, else the category's default."""
    if facts.cta:
        cta = shorten(facts.cta, CTA_MAX) or (facts.cta if len(facts.cta) <= 60 else None)
        if cta:
            return cta
    category = lexicon.categories.get(facts.category, lexicon.default_category)
    return category.cta
