"""Whether an answer states the opposite of what a question asks about: pure logic, no model."""

from __future__ import annotations

import pytest

from service.asked.opposites import PAIRS, states_opposite, uses_paired_word

ENTER = "It releases perforin, which forms pores, allowing ions, water and toxins to enter."


@pytest.mark.parametrize(
    ("question", "context", "opposite"),
    [
        # SQuAD 2.0's unanswerable copies: one word turned into its opposite.
        ("What allows ions, water and toxins to exit the target cell?", ENTER, True),
        (
            "What happens when tyrosinase is expressed at low levels?",
            "Tyrosinase, when expressed at high levels, transforms certain skin cells into tumors.",
            True,
        ),
        ("Which city has the lowest rainfall?", "Warsaw has the highest rainfall of the region.", True),
        # The word itself is there: the same question, whatever else the sentence says.
        ("What allows toxins to enter the cell?", ENTER, False),
        ("What exit and enter the cell?", ENTER, False),
        # The question uses both words: it asks about the contrast.
        ("Do more or fewer toxins enter?", "Fewer toxins enter.", False),
        # Words left out on purpose: 'least protected' may be 'most vulnerable'.
        ("Whom does JICA see as the least protected?", "JICA focuses on the most vulnerable.", False),
        ("What happened after the war?", "Before the war, the city grew.", False),
    ],
)
def test_an_answer_states_the_opposite_when_it_has_only_the_other_word_of_a_pair(
    question: str, context: str, opposite: bool
) -> None:
    assert states_opposite(question, context) is opposite


def test_every_pair_is_two_different_lower_case_words() -> None:
    assert all(a != b and a.isalpha() and a.islower() and b.isalpha() and b.islower() for a, b in PAIRS)


def test_only_a_question_with_a_paired_word_can_be_refused() -> None:
    assert uses_paired_word("Which city has the lowest rainfall?")
    assert not uses_paired_word("Which city has the wettest summer?")
