"""Names in a question against the words of a text or a corpus: pure functions, no model."""

from __future__ import annotations

import pytest

from service.analysis import analyze
from service.retrieval.lexical import lookup_forms, missing_terms, salient_terms
from tests.support import small_index

# The forms a built index records of a document, as the answer stage reads them.
FACTS = small_index(
    "Canada and Japan's envoys met the United Nations in Ottawa in 1999 to form a network "
    "with Australia, Nigeria and Cambodia.",
    title="Envoys",
).facts


@pytest.mark.parametrize(
    ("term", "mentioned"),
    [
        ("China", False),
        ("Unit", False),  # not 'United'
        ("2010", False),
        ("Japanese", True),
        ("Canadian", True),
        ("Networks", True),
        ("japan", True),
        ("1999", True),
        ("Ottawa", True),
        # one stem once a people's or a country's ending is off, not a shared prefix
        ("Austria", False),
        ("Australian", True),
        ("Niger", False),
        ("Nigerian", True),
        ("Cambodian", True),
    ],
)
def test_which_names_a_text_mentions(term: str, mentioned: bool) -> None:
    assert FACTS.document_mentions(0, term) is mentioned
    assert bool(FACTS.form_ids(term) & FACTS.window_forms(0, len(FACTS.sentence_forms) - 1)) is mentioned


def test_names_are_capitalised_words_past_the_first_and_numbers_not_titles_or_stop_words() -> None:
    assert salient_terms("What did Prof. Sen say in 2002 about the Asian crisis?") == ["Sen", "2002", "Asian"]
    assert salient_terms("What are the three As of human security?") == []


def test_a_corpus_knows_a_name_under_any_of_its_forms() -> None:
    vocabulary = {token for tokens in analyze(["Cambodia", "Africa", "networks", "SDGs"]) for token in tokens}
    known = vocabulary.__contains__
    assert missing_terms("What did Cambodian and African children get?", known) == []
    assert missing_terms("What did the Network and the SDG say?", known) == []
    assert missing_terms("What does NATO mean by climate security in 2022?", known) == ["NATO", "2022"]
    assert lookup_forms("Cambodian")[:2] == ["Cambodian", "Cambodians"] and "cambodia" in lookup_forms(
        "Cambodian"
    )
