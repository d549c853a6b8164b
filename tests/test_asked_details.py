"""Whether a question asks for a day, a title, a given name or an office's holder, and whether
an answer gives it: pure logic, no model (the tagger's names are written out here as it gives
them)."""

from __future__ import annotations

import pytest

from service.asked.details import DAY, GIVEN_NAME, OFFICE, TITLE, asked_detail, gives_detail


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # A day: 'what date', 'which day', 'the exact date', a date of birth.
        ("On what exact date was the Lysøen Declaration signed?", DAY),
        ("On what date did Japan's foreign ministry stage its symposium?", DAY),
        ("ogata sadako date of birth", DAY),
        ("Which day did the meeting open?", DAY),
        # A title, of a work.
        ("What was the title of Kofi Annan's report to the UN Millennium Summit?", TITLE),
        ("What was the final report of the commission titled?", TITLE),
        ("What is the name of his most recent book?", TITLE),
        # A given name.
        ("What is the first name of the Norwegian foreign minister Vollebæk?", GIVEN_NAME),
        ("what is ms. nishimura's full name?", GIVEN_NAME),
        # Who holds an office.
        ("Who is the minister in charge of Thailand's Ministry of Social Development?", OFFICE),
        ("Who heads Thailand's Ministry of Social Development and Human Security?", OFFICE),
        ("Who became President of JICA in 2003?", OFFICE),
        # None of them: a year, a reason that mentions a title, a person by deed, a date 'to date'.
        ("In what year was the declaration signed?", None),
        ('Why did Warsaw gain the title of the "Phoenix City"?', None),
        ("Who succeeded Ogata?", None),
        ("Who were the members of the Commission on Human Security?", None),
        ("How many projects has JICA run to date?", None),
        ("What day of the week was it?", None),
        ("What day-to-day problems do refugees face?", None),
    ],
)
def test_a_question_asks_for_a_detail_when_its_wording_says_so(question: str, kind: str | None) -> None:
    asked = asked_detail(question)
    assert (asked.kind if asked else None) == kind


@pytest.mark.parametrize(
    ("question", "text", "names", "gives"),
    [
        # A day needs a month with a day's number; a year alone is no day.
        (
            "On what exact date was the Lysøen Declaration signed?",
            "The result of their encounter was the signing of the Lysøen Declaration in 1998.",
            (),
            False,
        ),
        (
            "On what date was the symposium held?",
            "On July 28, 2000, the Ministry of Foreign Affairs hosted the International Symposium.",
            (),
            True,
        ),
        ("Which day did it open?", "On 23rd February, 2010, the Ministry held a symposium.", (), True),
        # A title: quoted, guillemetted, introduced, tagged as a work, or opening and described.
        (
            "What was the title of the commission's report?",
            "It was entitled »The Responsibility to Protect« and was intended to address Somalia.",
            (),
            True,
        ),
        (
            "What is the title of the final report of the Commission on Human Security?",
            "Human Security Now, the final report by the Commission on Human Security, defines it.",
            (("the Commission on Human Security", "ORG"),),
            True,
        ),
        (
            "What was the title of Professor Kurusu's doctoral thesis?",
            "1997 completed coursework of doctoral program in International Relations, Osaka University",
            (("International Relations", "ORG"), ("Osaka University", "ORG")),
            False,
        ),
        # The tagger calls the degree a work of art; a work of one word is no title.
        (
            "What was the title of Kurusu Kaoru's doctoral dissertation at Osaka University?",
            "1997completed coursework of doctoral program, University of Tokyo (2006 PhD, Osaka University)",
            (("University of Tokyo", "ORG"), ("PhD", "WORK_OF_ART"), ("Osaka University", "ORG")),
            False,
        ),
        (
            "What is the title of the report?",
            "The commission published The Responsibility to Protect in 2001.",
            (("The Responsibility to Protect", "WORK_OF_ART"),),
            True,
        ),
        # A given name: a person's name with a word the question does not use.
        (
            "what is ms. nishimura's full name?",
            "Ms. Nishimura, Parliamentary Vice Minister for Foreign Affairs of Japan, spoke.",
            (("Nishimura", "PERSON"),),
            False,
        ),
        (
            "What is the first name of the minister Vollebæk?",
            "Knut Vollebæk met his Canadian counterpart.",
            (("Knut Vollebæk", "PERSON"),),
            True,
        ),
        # An office: its own word ('minister', not 'ministry'); for a head, any word of heading.
        (
            "Who is the minister in charge of Thailand's Ministry of Social Development?",
            "Ms. Prampan, Senior International Affairs Officer, Ministry of Social Development, spoke.",
            (),
            False,
        ),
        (
            "Who became head of Japan's aid agency in 2003?",
            "In 2003, OGATA Sadako became President of JICA.",
            (),
            True,
        ),
        # A deputy's office is not the office asked for, unless the question asks for a deputy.
        (
            "Who was the Director-General of the Economic Affairs Bureau in July 2000?",
            "Mr. Kaoru Ishikawa, Deputy Director-General, Economic Affairs Bureau, spoke.",
            (),
            False,
        ),
        (
            "Who was the Deputy Director-General of the Economic Affairs Bureau in July 2000?",
            "Mr. Kaoru Ishikawa, Deputy Director-General, Economic Affairs Bureau, spoke.",
            (),
            True,
        ),
        (
            "Who was the Canadian foreign minister whose 1997 article set the agenda?",
            "In a seminal 1997 article, foreign minister Lloyd Axworthy set out the agenda.",
            (),
            True,
        ),
    ],
)
def test_an_answer_gives_the_detail_asked_for_only_when_it_states_one(
    question: str, text: str, names: tuple[tuple[str, str], ...], gives: bool
) -> None:
    asked = asked_detail(question)
    assert asked is not None
    assert gives_detail(asked, question, text, names) is gives


def test_only_a_title_or_a_given_name_needs_the_tagger() -> None:
    needs = {
        q: asked_detail(q).needs_names for q in ("What date?", "What is the title of it?", "Who heads it?")
    }  # type: ignore[union-attr]
    assert needs == {"What date?": False, "What is the title of it?": True, "Who heads it?": False}
