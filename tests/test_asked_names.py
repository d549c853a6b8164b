"""What kind of name a question asks for, and whether an answer's names give one: pure logic,
no model (the tagger's names are written out here as it gives them)."""

from __future__ import annotations

import pytest

from service.asked.names import (
    BODY,
    CITY,
    COUNTRY,
    PERSON,
    asked_labels,
    asked_speaker,
    asked_topic,
    gives_asked_name,
    names_speaker,
    speaks_of,
)
from service.retrieval.answering import question_type


def asked(question: str) -> frozenset[str]:
    return asked_labels(question, question_type(question) == "who")


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        # A role only a person holds: a person answers.
        ("Who succeeded Sadako Ogata as President of JICA?", PERSON),
        ("who chaired the international commission on intervention and state sovereignty", PERSON),
        ("Who was the lead author of the Human Development Report 1994?", PERSON),
        # Any other 'who' asks for no name: a kind of people answers it as often as a name.
        ("Who organised the 2010 symposium on human security in Asia?", frozenset()),
        ("Whom does JICA regard as society's most vulnerable members?", frozenset()),
        ("Whose army liberated Warsaw in 1806?", frozenset()),
        ("Who was Frédéric Chopin?", frozenset()),
        ("Which African countries received projects from the Trust Fund?", COUNTRY),
        ("Which city hosted the first Friends of Human Security meeting?", CITY),
        ("which ngos took part in the panel discussions", BODY),
        ("What Japanese universities belong to the consortium?", BODY),
        # No name asked for; an office before a noun and a verb is an adjective.
        ("What does the City Council divide itself into?", frozenset()),
        ("What chief strength do the authors see in Tokyo's version of the concept?", frozenset()),
        ("What is human security?", frozenset()),
        ("Why did Canada give up the chairmanship of the network?", frozenset()),
        ("How many countries belong to the network?", frozenset()),
    ],
)
def test_a_question_asks_for_the_kind_of_name_its_wording_says(question: str, labels: frozenset[str]) -> None:
    assert asked(question) == labels


OGATA = (
    ("2003", "DATE"),
    ("OGATA Sadako", "PERSON"),
    ("JICA", "ORG"),
    ("the Ministry of Foreign Affairs", "ORG"),
)


@pytest.mark.parametrize(
    ("question", "names", "gives"),
    [
        # She is the question's own: one shared name word says so ('Ogata').
        ("Who succeeded Ogata as President of JICA?", OGATA, False),
        ("Who became President of JICA in 2003?", OGATA, True),
        # A body is the question's own only when all its words are.
        (
            "Which agency organised it with Japan?",
            (("the Ministry of Foreign Affairs of Japan", "ORG"),),
            True,
        ),
        ("Which agency organised the symposium?", (("the Symposium", "ORG"),), False),
        # A people is its country: 'Canadian' is 'Canada'.
        ("Which countries followed Canada?", (("Canadian", "NORP"),), False),
        ("Which countries followed Canada?", (("Canadian", "NORP"), ("Norway", "GPE")), True),
        # Only the asked labels count.
        ("Which countries followed Canada?", (("Lloyd Axworthy", "PERSON"),), False),
        ("Who chaired it?", (), False),
    ],
)
def test_an_answer_gives_the_asked_name_only_with_one_the_question_does_not_name(
    question: str, names: tuple[tuple[str, str], ...], gives: bool
) -> None:
    assert gives_asked_name(question, names, asked(question)) is gives


@pytest.mark.parametrize(
    ("question", "names", "words"),
    [
        # Whose words are asked for: the person's, titles left out.
        (
            "What did Lloyd Axworthy say about Japan's Trust Fund?",
            (("Lloyd Axworthy", "PERSON"),),
            ["lloyd", "axworthy"],
        ),
        ("What did Mr. Ueno say about the Mae Hong Son project?", (("Ueno", "PERSON"),), ["ueno"]),
        # The tagger may find half a lower-case name; the words of the speaker are still all there.
        ("what did amartya sen say about the goals", (("amartya", "PERSON"),), ["amartya", "sen"]),
        # A body beside the name is not the speaker.
        (
            "What did ASEAN Secretary General Surin say about Myanmar?",
            (("ASEAN", "ORG"), ("Surin", "PERSON"), ("Myanmar", "GPE")),
            ["surin"],
        ),
        # How a person judged something asks for their words too.
        (
            "How did Lloyd Axworthy assess Japan's Trust Fund for Human Security?",
            (("Lloyd Axworthy", "PERSON"), ("Japan", "GPE")),
            ["lloyd", "axworthy"],
        ),
        (
            "What is Professor Kurusu's view of the Responsibility to Protect?",
            (("Kurusu", "PERSON"),),
            ["kurusu"],
        ),
        ("How did Japan respond to the Asian financial crisis?", (("Japan", "GPE"),), []),
        # No person did the saying, or nothing said is asked for.
        ("What did the 2022 UNDP report recommend?", (("UNDP", "ORG"),), []),
        ("Who did Lloyd Axworthy meet in Norway?", (("Lloyd Axworthy", "PERSON"),), []),
    ],
)
def test_a_question_asks_for_a_speakers_words_when_a_person_it_names_did_the_saying(
    question: str, names: tuple[tuple[str, str], ...], words: list[str]
) -> None:
    assert asked_speaker(question, names) == words


@pytest.mark.parametrize(
    ("words", "text", "names"),
    [
        (
            ["misran"],
            "Mr. Misran, ASEAN Deputy Secretary-General, made a keynote speech. He pointed out that …",
            True,
        ),
        (
            ["amartya", "sen"],
            "In addition to his advocacy of growth with fairness, Professor Sen stressed that …",
            True,
        ),
        (
            ["axworthy"],
            "Instead of focusing on policy processes, the Japanese government established a Trust Fund.",
            False,
        ),
    ],
)
def test_an_answer_names_the_speaker_when_it_holds_any_word_of_their_name(
    words: list[str], text: str, names: bool
) -> None:
    assert names_speaker(words, text) is names


@pytest.mark.parametrize(
    ("question", "text", "speaks"),
    [
        # Named, but says nothing of what she is asked about.
        (
            "what did mrs. ogata say about afghanistan at the 2000 symposium?",
            "Keynote speeches were presented by Mrs. Sadako Ogata and Professor Amartya Sen.",
            False,
        ),
        (
            "What did Mrs. Ogata say about refugees?",
            "Mrs. Ogata said that the refugee problem was a problem of human security.",
            True,
        ),
        # What a person is asked to have responded to, or held a view of.
        (
            "How did Francis Fukuyama respond to the human security paradigm?",
            "The peaceful end of history mooted by Francis Fukuyama had not been accomplished.",
            False,
        ),
        (
            "What was Sadako Ogata's view of refugee protection?",
            "Mrs. Ogata said that refugee protection was a matter of human security.",
            True,
        ),
        # No topic asked about: any answer speaks of it.
        ("What did Mrs. Ogata say?", "Keynote speeches were presented by Mrs. Sadako Ogata.", True),
        ("What is human security about?", "It is about people.", True),
    ],
)
def test_an_answer_speaks_of_the_topic_a_speaker_is_asked_about_when_it_holds_a_word_of_it(
    question: str, text: str, speaks: bool
) -> None:
    assert speaks_of(asked_topic(question), text) is speaks
