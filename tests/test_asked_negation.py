"""Whether a question asks what is not so, and whether an answer says that something is not:
pure logic, no model."""

from __future__ import annotations

import pytest

from service.asked.negation import asks_negated, states_negation


@pytest.mark.parametrize(
    ("question", "negated"),
    [
        ("What cells do not carry receptor molecules?", True),
        ("Where are neutrophils rarely found?", True),
        ("What are antibodies never generated to fight?", True),
        ("What kind of disorders occur when part of the immune system isn't active?", True),
        ("Which hope for the present century has not been borne out?", True),
        # A why question is answered by a reason, negated or not.
        ("Why doesn't ASEAN want to shut Myanmar out?", False),
        ("Why can't outside donors deliver safety for communities by themselves?", False),
        # 'Not only' and 'whether or not' ask for no negation; nor does a plain question.
        ("What did Sen say was needed not only for growth but also for fairness?", False),
        ("Did the report say whether or not Japan would fund it?", False),
        ("Where are neutrophils found?", False),
        ("How many notable NGOs took part?", False),
    ],
)
def test_a_question_asks_what_is_not_so_when_it_negates(question: str, negated: bool) -> None:
    assert asks_negated(question) is negated


@pytest.mark.parametrize(
    ("text", "negates"),
    [
        ("Neutrophils are normally found in the bloodstream.", False),
        ("Both B cells and T cells carry receptor molecules that recognize specific targets.", False),
        ("Neutrophils are not found in healthy tissue.", True),
        ("The hope has never been realised.", True),
        ("Such cells lack receptor molecules.", True),
        ("The state cannot protect them; it isn't able to.", True),
        ("It works without any help from donors.", True),
    ],
)
def test_an_answer_states_a_negation_only_when_it_says_something_is_not(text: str, negates: bool) -> None:
    assert states_negation(text) is negates
