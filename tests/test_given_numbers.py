"""Whether an answer speaks of the year or number a question gives, or of another one: pure
logic over tagged names, no model."""

from __future__ import annotations

import pytest

from service.asked.given_numbers import digits, exact_numbers, given_numbers, has_digits, states_other_number

EVIAN = "Which Japanese prime minister attended the 2003 Evian Summit?"
EVIAN_NAMES = (("Japanese", "NORP"), ("2003", "DATE"))
MORI = "2000 The then Prime Minister Mori Yoshinori of Japan called for the Commission."
MORI_NAMES = (("2000", "DATE"), ("Mori Yoshinori", "PERSON"), ("Japan", "GPE"))


def test_digits_are_the_runs_of_figures_a_text_writes() -> None:
    assert digits("from 1712–1721, some 76 ha.") == {"1712", "1721", "76"}
    assert digits("the late nineties") == frozenset()
    assert has_digits("in 2003") and not has_digits("in the seventies")


def test_a_question_gives_only_the_exact_numbers_it_writes_with_digits() -> None:
    # A decade is no exact year: 'the late 1990s' may be answered by a sentence on 1999.
    names = (("what year", "DATE"), ("the late 1990s", "DATE"), ("three", "CARDINAL"), ("UN", "ORG"))
    assert given_numbers(names) == []
    assert given_numbers((*names, ("1999", "DATE"))) == [(frozenset({"1999"}), "DATE")]
    assert given_numbers(EVIAN_NAMES) == [(frozenset({"2003"}), "DATE")]
    assert exact_numbers("in 1999, the 1970s and the 1980's; 74 ha; the 23rd") == {"1999", "74", "23"}


@pytest.mark.parametrize(
    ("question", "question_names", "context", "answer_names", "other"),
    [
        # Another year: the sentence on 2000 answers no question about 2003.
        (EVIAN, EVIAN_NAMES, MORI, MORI_NAMES, True),
        # SQuAD 2.0's changed quantity.
        (
            "What park covers an area of 74 ha.?",
            (("74", "CARDINAL"),),
            "The Łazienki Park covers the area of 76 ha.",
            (("Łazienki Park", "LOC"), ("76", "CARDINAL")),
            True,
        ),
        # The year given is stated before the answer: the same event.
        (EVIAN, EVIAN_NAMES, "At the 2003 summit, in 2000 terms … " + MORI, MORI_NAMES, False),
        # The answer states no number of the same kind (a date for a date).
        (EVIAN, EVIAN_NAMES, "Prime Minister Koizumi attended.", (("Koizumi", "PERSON"),), False),
        (EVIAN, EVIAN_NAMES, "It cost 500 million yen.", (("500 million yen", "MONEY"),), False),
        # A number the question itself writes is no other number.
        (
            "Which summit of 2003 followed the one of 2001?",
            (("2003", "DATE"), ("2001", "DATE")),
            "The 2001 summit was held in Genoa.",
            (("2001", "DATE"),),
            False,
        ),
    ],
)
def test_an_answer_states_another_number_when_the_one_given_is_missing_and_another_of_its_kind_is_there(
    question: str,
    question_names: tuple[tuple[str, str], ...],
    context: str,
    answer_names: tuple[tuple[str, str], ...],
    other: bool,
) -> None:
    given = given_numbers(question_names)
    assert states_other_number(given, question, context, answer_names) is other
