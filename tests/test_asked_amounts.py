"""Whether a question asks for a sum of money or a share, and whether an answer states one: pure
logic, no model (the tagger's names are written out here as it gives them). And whether a
'how many' is answered by sums or shares only, which count nothing."""

from __future__ import annotations

import pytest

from service.asked.amounts import MONEY, PERCENT, asked_amount, counts_only_amounts, states_amount


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        # A sum of money: 'how much money', 'how much did X give', a budget or a cost.
        ("How much money had Tokyo's UN fund grown to by 2002?", MONEY),
        ("how much did japan initially pledge to the un trust fund in 1999", MONEY),
        ("What was JICA's total budget for human security projects in 2008?", MONEY),
        ("what is jica's annual operating budget", MONEY),
        ("What was the budget of the Commission on Human Security?", MONEY),
        # A share.
        ("What share of Japan's ODA budget goes to human security projects?", PERCENT),
        ("percentage of jica projects aimed at refugees", PERCENT),
        ("What proportion of the population lives in the city?", PERCENT),
        # Neither: 'how much' of something else, or a budget the question does not ask for.
        ("How much press coverage did the topic get in Japan over a year?", None),
        ("How much do civic groups shape Tokyo's policy drafting on this topic?", None),
        ("Why did the budget of the network shrink?", None),
        ("How many countries belong to the network?", None),
    ],
)
def test_a_question_asks_for_a_sum_or_a_share_when_its_wording_says_so(
    question: str, asked: str | None
) -> None:
    assert asked_amount(question) == asked


TRUST_FUND = (
    "the Japanese government in 1999 established a Trust Fund for Human Security at the United "
    "Nations whose budget had risen to some \\$170 million by 2002."
)


@pytest.mark.parametrize(
    ("text", "names", "asked", "states"),
    [
        # The tagger's MONEY or PERCENT label says so.
        ("It cost 5 billion yen.", (("5 billion yen", "MONEY"),), MONEY, True),
        ("About 12% went to refugees.", (("About 12%", "PERCENT"),), PERCENT, True),
        # A currency sign it tagged otherwise: the PDF's escaped dollar came out CARDINAL.
        (TRUST_FUND, (("1999", "DATE"), ("some \\$170 million", "CARDINAL")), MONEY, True),
        ("Half of them were refugees.", (), PERCENT, True),
        # A number that is no sum, or no share: a year, a count of projects.
        (
            "After its rebirth as a new JICA in 2008, the agency unveiled a new vision.",
            (("2008", "DATE"),),
            MONEY,
            False,
        ),
        ("JICA ran 120 projects.", (("120", "CARDINAL"),), PERCENT, False),
        # A sum is no share, nor a share a sum.
        ("It cost 5 billion yen.", (("5 billion yen", "MONEY"),), PERCENT, False),
        ("About 12 per cent went to refugees.", (("About 12 per cent", "PERCENT"),), MONEY, False),
    ],
)
def test_an_answer_states_the_amount_asked_for_when_tagged_or_signed(
    text: str, names: tuple[tuple[str, str], ...], asked: str, states: bool
) -> None:
    assert states_amount(text, names, asked) is states


@pytest.mark.parametrize(
    ("question", "text", "only_amounts"),
    [
        # The Trust Fund's budget is no count of states; nor is a share a count of people.
        ("How many states had ratified the Ottawa Treaty by the end of 1999?", TRUST_FUND, True),
        ("how many people fled the fighting", "It took 40% of the budget.", True),
        ("How many projects did JICA fund?", "They cost 12 billion yen in all.", True),
        # A count beside the sum answers; so does a sum to 'how many dollars'.
        ("How many people fled?", "Some 14 million refugees cost \\$5 billion.", False),
        ("How many dollars had the fund received by 2002?", TRUST_FUND, False),
        ("How many million yen did Japan give?", "It gave 500 million yen.", False),
        # 'How much' asks for a sum (``asked_amount``); a year is no count, and a text with no
        # count at all is the count cue's to refuse, not this one's.
        ("How much had the fund received by 2002?", TRUST_FUND, False),
        ("How many people fled?", "They fled in 1999.", False),
        # The question's own number is no count the text states: the sum is all that is left.
        (
            "How many of the 17 goals were funded?",
            "Of the 17 goals, the first cost \\$5 million.",
            True,
        ),
    ],
)
def test_a_how_many_question_is_not_answered_by_sums_or_shares_alone(
    question: str, text: str, only_amounts: bool
) -> None:
    assert counts_only_amounts(question, text) is only_amounts
