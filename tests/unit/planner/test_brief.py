"""Reading briefs: product, audience, tone, benefits, problems, features, proof, CTA, colours."""

import pytest

from admint.planner.brief import UnplannableBrief, read_brief
from admint.planner.library import load_library

pytestmark = pytest.mark.unit
LEX = load_library().lexicon


def test_a_rich_brief_yields_every_fact() -> None:
    facts = read_brief(
        "A 30 second ad for Aurora Glow serum, a luxury skincare serum that hydrates for 24 hours and "
        "smooths "
        "fine lines. For busy professionals who want radiant skin. Elegant, gold and black. "
        "CTA: Shop at auroraglow.com",
        LEX,
    )
    assert facts.product == "Aurora Glow serum"
    assert facts.category == "beauty"
    assert facts.audience == "busy professionals"
    assert facts.tones[0] == "luxury"
    assert facts.benefits[:2] == ("hydrates for 24 hours", "smooths fine lines")
    assert facts.cta == "Shop at auroraglow.com"
    assert facts.colours == ("#c9a45c", "#111114")  # gold, black — in the brief's order
    assert facts.url == "auroraglow.com"


def test_problems_features_and_proof_are_found() -> None:
    facts = read_brief(
        "Introducing the Pulse X1 wireless earbuds with 30-hour battery, active noise cancelling and a "
        "titanium "
        "case. Sleek, futuristic. Loved by 50,000 runners.",
        LEX,
    )
    assert facts.product == "Pulse X1 wireless earbuds"
    assert facts.category == "tech"
    assert facts.features == ("30-hour battery", "active noise cancelling", "titanium case")
    assert facts.proof == "Loved by 50,000 runners"
    assert "tech" in facts.tones

    coffee = read_brief(
        "Promote our new cold brew coffee for tired commuters. Tired of bland office coffee? "
        "Our cold brew keeps you sharp all morning. Order now.",
        LEX,
    )
    assert coffee.product == "cold brew coffee"
    assert coffee.audience == "tired commuters"
    assert coffee.problems == ("bland office coffee",)
    assert coffee.benefits == ("keeps you sharp all morning",)
    assert coffee.cta == "Order now"


def test_a_one_word_brief_is_still_plannable() -> None:
    facts = read_brief("Sneakers", LEX)
    assert facts.product == "sneakers" and facts.category == "fashion"
    assert facts.cta is None and facts.benefits == ()


def test_a_directive_is_not_mistaken_for_a_benefit() -> None:
    facts = read_brief("Make a cozy video about a family-owned bakery in Lisbon, warm and authentic", LEX)
    assert facts.product == "family-owned bakery"
    assert not any(b.lower().startswith("make") for b in facts.benefits)
    assert facts.tones == ("warm",)


@pytest.mark.parametrize("brief", ["!!!", "   ", "123 456", "x y", "?? -- ??"])
def test_briefs_without_words_are_unplannable_with_a_readable_reason(brief: str) -> None:
    with pytest.raises(UnplannableBrief) as info:
        read_brief(brief, LEX)
    assert "brief" in str(info.value).lower() and len(str(info.value)) > 30
