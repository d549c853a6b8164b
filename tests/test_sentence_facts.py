"""What the index records of each sentence at build time, so that answering only reads:
pure logic on a small text, no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.analysis import analyze
from service.facts import Facts, Flag
from tests.support import OGATA_TEXT, small_index


@pytest.fixture(scope="module")
def built() -> tuple[Facts, list[str]]:
    index = small_index(OGATA_TEXT, title="Ogata and the Commission")
    return index.facts, [index.sentence_text(row) for row in range(len(index.sentences))]


def row_of(texts: list[str], opening: str) -> int:
    return next(i for i, t in enumerate(texts) if t.startswith(opening))


def test_a_pronoun_refers_back_to_the_sentence_before_it_in_the_same_paragraph(built) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    she = row_of(texts, "She said")
    assert facts.sentence_links[she].tolist() == [she - 1, she - 1, she], "quoted with who 'she' is"


def test_a_pronoun_two_sentences_from_what_it_means_is_quoted_from_the_sentence_naming_it() -> None:
    index = small_index(
        "Canada created the International Commission on Intervention and State Sovereignty. Their final "
        "report was presented in September 2001. It was entitled The Responsibility to Protect."
    )
    texts = [index.sentence_text(row) for row in range(len(index.sentences))]
    it = row_of(texts, "It was entitled")
    assert index.facts.sentence_links[it].tolist() == [it - 2, it - 2, it], "quoted with what 'their' means"


def test_a_pronoun_after_a_paragraph_break_refers_to_nothing(built) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    it = row_of(texts, "It was a new idea")
    assert facts.sentence_links[it].tolist() == [it, it, it]


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_line_it_introduces(built) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    colon = row_of(texts, "The Commission named")
    assert facts.sentence_links[colon].tolist() == [colon, colon, colon + 1]


ANNOUNCING_TEXT = (
    "Ms. Doden counted only 59 reports on the idea in one year. She saw two major reasons for this. "
    "One was that the idea was too vague for a headline. The bill passed the following year. "
    "It stood for the following ten years. Nobody objected."
)


def test_a_sentence_announcing_what_follows_is_quoted_with_the_next_one() -> None:
    index = small_index(ANNOUNCING_TEXT)
    texts = [index.sentence_text(row) for row in range(len(index.sentences))]
    she = row_of(texts, "She saw two major reasons")
    assert index.facts.sentence_links[she].tolist() == [she - 1, she - 1, she + 1], (
        "quoted with who 'she' is and the first reason"
    )
    for opening in ("The bill passed the following year", "It stood for the following ten years"):
        row = row_of(texts, opening)
        assert index.facts.sentence_links[row].tolist()[2] == row, f"'{opening}' announces nothing"


@pytest.mark.parametrize(
    ("opening", "present", "absent"),
    [
        ("Sadako Ogata", Flag.STATEMENT | Flag.STATES_COUNT | Flag.STATES_NUMBER, Flag.STATES_TIME),
        ("They spoke twice", Flag.STATES_NUMBER, Flag.STATEMENT),  # a fragment of three words
        ("Why did people", Flag(0), Flag.STATEMENT),  # a question answers nothing
        ("Fifty experts", Flag.STATES_TIME | Flag.STATES_COUNT | Flag.GIVES_REASON, Flag.GIVES_DEFINITION),
    ],
)
def test_sentence_flags_say_what_a_sentence_is_and_states(
    built, opening: str, present: Flag, absent: Flag
) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    flags = Flag(int(facts.sentence_flags[row_of(texts, opening)]))
    assert present in flags and not (absent & flags), flags


def test_names_a_sentence_gives_are_recorded_lower_cased(built) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    row = row_of(texts, "Sadako Ogata")
    assert facts.names.words(facts.sentence_names.row(row)) == {"ogata", "un"}


def test_rare_words_weigh_more_than_common_ones_and_unknown_words_most(built) -> None:  # type: ignore[no-untyped-def]
    facts, _ = built
    (ogata,) = analyze(["Ogata"])[0]
    (people,) = analyze(["people"])[0]  # in every passage
    weights = facts.idf([ogata, people, "zanzibar"])
    assert facts.passages >= 2
    assert weights["zanzibar"] > weights[ogata] > weights[people]
    assert facts.indexed(ogata) and not facts.indexed("zanzibar")


@pytest.mark.parametrize(
    ("term", "mentioned"),
    [
        ("Japan", True),
        ("JAPANESE", True),
        ("Ogata", True),
        ("Commission", True),
        ("Austria", False),
        ("Niger", False),
    ],
)
def test_a_document_mentions_a_name_in_any_of_its_forms(built, term: str, mentioned: bool) -> None:  # type: ignore[no-untyped-def]
    facts, _ = built
    assert facts.document_mentions(0, term) is mentioned


def test_facts_survive_a_save_and_load(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    facts.save(tmp_path)
    loaded = Facts.load(tmp_path)
    assert loaded.problems(documents=1, chunks=facts.passages, sentences=len(texts)) == []
    assert loaded.terms == facts.terms and loaded.passages == facts.passages
    for row in range(len(texts)):
        assert loaded.sentence_words.row(row).tolist() == facts.sentence_words.row(row).tolist()
    assert np.array_equal(loaded.sentence_links, facts.sentence_links)
    assert np.array_equal(loaded.sentence_flags, facts.sentence_flags)


def test_the_written_forms_of_sentences_and_passages_tell_which_names_they_mention(built) -> None:  # type: ignore[no-untyped-def]
    facts, texts = built
    idea = row_of(texts, "It was a new idea")
    assert facts.form_ids("Japan") & facts.window_forms(idea, idea), "'Japanese' mentions Japan"
    assert not facts.form_ids("Ogata") & facts.window_forms(idea, idea)
    assert facts.form_ids("Ogata") & facts.window_forms(idea - 2, idea), "a window spans its sentences"
    assert facts.form_ids("Ogata") & set(facts.chunk_forms.row(0).tolist())
    assert facts.form_ids("Zanzibar") == frozenset()
