"""Reading a brief: product, audience, tone, category, benefits, problems, features, proof and CTA.

Rule-based on purpose: deterministic, instant, no model. Patterns live here, vocabulary in lexicon.yaml.
"""

import re
from dataclasses import dataclass

from admint.planner.library import Lexicon

_STOP_LEAD = re.compile(
    r"^(?:(?:of|for|a|an|the|our|my|your|their|this|these|new|brand[- ]new|all[- ]new)\s+)+", re.I
)
_CLAUSE_END = (
    r"(?=[,.;:!?\n()]|\s+(?:for|to|that|which|who|whose|aimed|targeting|targeted|with|in|on|at|by|so|because"
    r"|and\s+(?:show|make|highlight|focus|emphasi[sz]e|end|feature)|made|designed|built|using|featuring)\b|$)"
)
_PRODUCT_PATTERNS = [
    re.compile(r"\b(?:product|brand|item)\s*[:=]\s*([^\n.;,]+)", re.I),
    re.compile(
        r"\b(?:ad|advert|advertisement|commercial|video|spot|campaign|promo|teaser|reel|story)\s+"
        r"(?:for|about|promoting|showcasing|featuring|of)\s+(.+?)" + _CLAUSE_END,
        re.I,
    ),
    re.compile(
        r"\b(?:promote|promoting|introduce|introducing|launch|launching|showcase|showcasing|sell|selling"
        r"|advertise|advertising|meet|presenting|present|unveil|unveiling)\s+(.+?)" + _CLAUSE_END,
        re.I,
    ),
]
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”‘’']{2,40})[\"“”‘’']")
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'&-]+(?:\s+[A-Z0-9][\w'&-]+)*)")
_AUDIENCE_PATTERNS = [
    re.compile(
        r"\b(?:audience|target(?:ing)?|aimed at|targeted at|made for|designed for|built for|perfect for)"
        r"\s*[:=]?\s+(.+?)(?=[,.;:!?\n()]|\s+(?:who|that|which|with|so|because)\b|$)",
        re.I,
    ),
    re.compile(r"\bfor\s+(.+?)(?=[,.;:!?\n()]|\s+(?:who|that|which|with|so|because|to)\b|$)", re.I),
]
_BENEFIT = re.compile(
    r"\b(?:that|which|it|so you can|so that|helps?(?: you)?|keeps?|makes?|gives?|lets?(?: you)?|boosts?|"
    r"reduces?|saves?|protects?|delivers?|brings?|turns?|cuts?)\s+(.+?)(?=[.;!?\n]|$)",
    re.I,
)
_BENEFIT_VERB = re.compile(
    r"^(?:keeps?|makes?|gives?|lets?|helps?|boosts?|reduces?|saves?|protects?|delivers?|brings?|turns?|cuts?|"
    r"hydrates?|smooths?|cleans?|charges?|lasts?|brews?|tracks?|stays?|feels?|fits?|works?|glows?|"
    r"moisturi[sz]es?|softens?|strengthens?|restores?|removes?|blocks?|cools?|warms?|sleeps?|runs?)\b",
    re.I,
)
_PROBLEM = re.compile(
    r"\b(?:tired of|sick of|fed up with|no more|struggl(?:e|es|ing) with|frustrated (?:by|with)|hate|hates|"
    r"without|say goodbye to|goodbye to|solves?|fix(?:es)?|problem(?: of)?|pain of|deal(?:ing)? with"
    r"|stop)\s+(.+?)(?=[,.;!?\n]|\s+(?:and|but|so|with|for)\b|$)",
    re.I,
)
_FEATURE = re.compile(
    r"\b(?:with|featuring|features|has|including|includes|powered by)\s+(.+?)(?=[.;!?\n]|$)", re.I
)
_RUN = r"(?:[^,.;!?\n]|(?<=\d)[,.](?=\d))"
_PROOF = re.compile(
    rf"((?:loved|trusted|used|chosen|rated|reviewed)\s+by\s+{_RUN}+|\d[\d.,]*\s*(?:\+\s*)?(?:k\s+)?"
    rf"(?:stars?|reviews?|customers|users|people|downloads|fans|members){_RUN}*|award[- ]winning{_RUN}*"
    rf"|#1\s{_RUN}+|number one\s{_RUN}+|clinically proven{_RUN}*|dermatologist[- ]tested{_RUN}*)",
    re.I,
)
_EXPLICIT_CTA = re.compile(
    r"\b(?:cta|call[- ]to[- ]action|end(?:ing)? with|close with|closing line)\s*[:=\-]?\s*[\"“']?"
    r"((?:[^\"”'\n.;!?]|\.(?=\w))+)",
    re.I,
)
_URL = re.compile(
    r"\b((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|co|io|app|shop|store|net|org"
    r"|ai|co\.uk|de|fr|eu)(?:/[^\s,;]*)?)",
    re.I,
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]*")
_VOWEL = re.compile(r"[aeiouyAEIOUYÀ-ÿ]")
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bplus\b|&)\s*", re.I)


@dataclass(frozen=True)
class BriefFacts:
    """What the brief says, normalised for templates."""

    text: str
    product: str
    category: str
    audience: str
    tones: tuple[str, ...]
    benefits: tuple[str, ...]
    problems: tuple[str, ...]
    features: tuple[str, ...]
    proof: str
    cta: str | None
    colours: tuple[str, ...]
    url: str | None


class UnplannableBrief(ValueError):
    """The brief gives nothing to advertise; the message is shown to the user."""


def check_plannable(text: str) -> None:
    """Refuse briefs with no words to work from (empty, symbols, keyboard mash)."""
    words = [w for w in _WORD.findall(text) if len(w) >= 2 and _VOWEL.search(w)]
    letters = sum(c.isalpha() for c in text)
    if len(words) < 1 or letters < 3:
        raise UnplannableBrief(
            "The brief has no words to build an ad from. Describe the product or service, who it is for and "
            "what it should make people feel or do."
        )
    if max(len(w) for w in words) < 3 and len(words) < 3:
        raise UnplannableBrief(
            "The brief is too short to plan an ad. Name the product or service and say something about it."
        )


def read_brief(text: str, lexicon: Lexicon) -> BriefFacts:
    """Extract the facts a plan is built from; raises UnplannableBrief for briefs with nothing to use."""
    text = " ".join(text.split())
    check_plannable(text)
    lowered = text.lower()
    category = _best_category(lowered, lexicon)
    product = _product(text) or _category_noun(lowered, category, lexicon) or _first_noun_phrase(text)
    if not product:
        raise UnplannableBrief("The brief does not say what to advertise. Name the product or service.")
    return BriefFacts(
        text=text,
        product=product,
        category=category,
        audience=_audience(text, product, lexicon),
        tones=_tones(lowered, lexicon),
        benefits=_benefits(text, product),
        problems=_phrases(_PROBLEM, text, limit=3),
        features=_features(text),
        proof=_proof(text),
        cta=_cta(text, lexicon),
        colours=_colours(lowered, lexicon),
        url=_url(text),
    )


def _contains(lowered: str, keyword: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(keyword.lower()) + r"(?![a-z0-9])", lowered) is not None


def _best_category(lowered: str, lexicon: Lexicon) -> str:
    scores = {
        name: sum(1 + 0.5 * (" " in kw) for kw in cat.keywords if _contains(lowered, kw))
        for name, cat in lexicon.categories.items()
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else "general"


def _tones(lowered: str, lexicon: Lexicon) -> tuple[str, ...]:
    scores = {
        name: sum(_contains(lowered, kw) for kw in tone.keywords) for name, tone in lexicon.tones.items()
    }
    ranked = sorted((name for name, s in scores.items() if s > 0), key=lambda n: (-scores[n], n))
    return tuple(ranked)


def _clean(phrase: str, max_words: int = 6) -> str:
    phrase = phrase.strip(" \"'“”‘’-–—:")
    phrase = _STOP_LEAD.sub("", phrase)
    words = phrase.split()
    if len(words) > max_words:
        words = words[:max_words]
    while words and words[-1].lower() in {"and", "or", "the", "a", "an", "of", "to", "your", "our", "its"}:
        words.pop()
    return " ".join(words).strip(" ,.;:!?")


def _trim(phrase: str, max_words: int) -> str:
    words = phrase.strip(" \"'“”‘’-–—:").split()[:max_words]
    while words and words[-1].lower() in {"and", "or", "the", "a", "an", "of", "to", "your", "our", "its"}:
        words.pop()
    return " ".join(words).strip(" ,.;:!?")


def _product(text: str) -> str:
    for pattern in _PRODUCT_PATTERNS:
        for match in pattern.finditer(text):
            candidate = _clean(match.group(1), max_words=5)
            if candidate and _VOWEL.search(candidate) and len(candidate) <= 40:
                return candidate
    for match in _QUOTED.finditer(text):
        candidate = _clean(match.group(1), max_words=5)
        if candidate and not candidate.lower().startswith(
            ("shop", "buy", "order", "download", "sign", "book")
        ):
            return candidate
    for match in _PROPER.finditer(text):
        candidate = _clean(match.group(1), max_words=4)
        if candidate and candidate.lower() not in {"i", "we", "ad", "cta", "make", "create", "show"}:
            return candidate
    return ""


def _category_noun(lowered: str, category: str, lexicon: Lexicon) -> str:
    cat = lexicon.categories.get(category)
    if cat is None:
        return ""
    hits = [kw for kw in cat.keywords if _contains(lowered, kw)]
    return max(hits, key=len) if hits else ""


def _first_noun_phrase(text: str) -> str:
    words = [w for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _FILLER]
    return " ".join(words[:3])


_FILLER = frozenset(
    "make create want need please video advert advertisement commercial promo about some that this with for "
    "from into very really just like should would could must will can show showing sell selling our your "
    "their the and ads spot campaign".split()
)


def _audience(text: str, product: str, lexicon: Lexicon) -> str:
    people = {p.lower() for p in lexicon.people}
    for pattern in _AUDIENCE_PATTERNS:
        for match in pattern.finditer(text):
            candidate = _clean(match.group(1), max_words=5)
            low = candidate.lower()
            if not candidate or low == product.lower() or low in product.lower():
                continue
            words = low.split()
            explicit = pattern is _AUDIENCE_PATTERNS[0]
            if (
                explicit
                or any(w in people or (w.endswith("s") and len(w) > 3 and w in people) for w in words)
                or any(p in low for p in people if " " in p)
                or "who" in low
            ):
                return candidate
    return ""


def _sentence_case(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:] if phrase else phrase


def _benefits(text: str, product: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in _BENEFIT.finditer(text):
        verb = match.group(0).split()[0].lower()
        body = match.group(1)
        if _at_sentence_start(text, match.start()):
            continue  # "Make a video about …" is a directive to us, not a benefit
        if verb in {"that", "which", "it"}:
            if not _BENEFIT_VERB.match(body):
                continue
        elif verb not in {"so", "helps", "help"} and not verb.startswith(("let",)):
            body = f"{match.group(0).split()[0]} {body}"
        for part in _split_parts(body):
            if part.lower() != product.lower() and 2 <= len(part.split()) <= 12:
                found.append(part)
    return _dedupe(found, limit=4)


def _at_sentence_start(text: str, position: int) -> bool:
    before = text[:position].rstrip()
    return not before or before[-1] in ".!?:\n"


def _split_parts(body: str) -> list[str]:
    """`hydrates for 24 hours and smooths fine lines` → two benefits; a dangling `and` is not a split."""
    parts = [p for p in _SPLIT.split(body) if p]
    merged: list[str] = []
    for part in parts:
        if merged and not _BENEFIT_VERB.match(part) and len(part.split()) < 3:
            merged[-1] = f"{merged[-1]} and {part}"
        else:
            merged.append(part)
    return [_clean(p, max_words=12) for p in merged if _clean(p, max_words=12)]


def _features(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in _FEATURE.finditer(text):
        for part in _SPLIT.split(match.group(1)):
            part = _clean(part, max_words=5)
            if part and 1 <= len(part.split()) <= 5 and not _BENEFIT_VERB.match(part):
                found.append(part)
    return _dedupe(found, limit=4)


def _phrases(pattern: re.Pattern[str], text: str, *, limit: int) -> tuple[str, ...]:
    """Problems keep their articles: "the stress of spreadsheets" reads right after "Tired of"."""
    found = [_trim(m.group(1), max_words=6) for m in pattern.finditer(text)]
    return _dedupe([f for f in found if f and len(f) <= 48], limit=limit)


def _proof(text: str) -> str:
    match = _PROOF.search(text)
    return _sentence_case(_clean(match.group(1), max_words=7)) if match else ""


def _cta(text: str, lexicon: Lexicon) -> str | None:
    explicit = _EXPLICIT_CTA.search(text)
    if explicit:
        candidate = explicit.group(1).strip(" \"'”“-–—")
        if 0 < len(candidate) <= 60:
            return _sentence_case(candidate)
    lowered = text.lower()
    hits = [(lowered.find(p.lower()), p) for p in lexicon.cta_phrases if _contains(lowered, p)]
    if hits:
        position, phrase = min(hits, key=lambda h: (h[0], -len(h[1])))
        original = text[position : position + len(phrase)]
        url = _url(text)
        if phrase.lower() in {"visit us", "find out more", "learn more"} and url and len(url) <= 40:
            return f"Visit {url}"
        return _sentence_case(original)
    url = _url(text)
    if url and len(url) <= 50:
        return f"Visit {url}"
    return None


def _url(text: str) -> str | None:
    match = _URL.search(text)
    if not match:
        return None
    return re.sub(r"^https?://", "", match.group(1)).rstrip("/.")


def _colours(lowered: str, lexicon: Lexicon) -> tuple[str, ...]:
    hits = sorted(
        (lowered.find(name), value) for name, value in lexicon.colours.items() if _contains(lowered, name)
    )
    return tuple(dict.fromkeys(value for _, value in hits))[:3]


def _dedupe(items: list[str], *, limit: int) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return tuple(seen.values())[:limit]
