"""Answer candidates and their features, computed from an index's texts and tables: no model
(``tests.support.small_index`` puts random vectors where embeddings would be)."""

from __future__ import annotations

import numpy as np
import pytest

from service.models.answer_model import FEATURES
from service.retrieval.answering import Candidate, SentenceTable, candidate_features, question_type
from service.store import IndexData
from tests.support import DIMENSION, OGATA_TEXT, small_index


@pytest.fixture(scope="module")
def index() -> IndexData:
    return small_index(OGATA_TEXT, title="Ogata and the Commission")


def features(
    index: IndexData, question: str, unknown: list[str] | None = None
) -> tuple[list[Candidate], list[dict[str, float]]]:
    qvec = np.ones(DIMENSION, dtype=np.float32) / np.sqrt(DIMENSION)
    passages = [(i, 0.5 - 0.1 * i) for i in range(len(index.chunks))]
    candidates, matrix = candidate_features(SentenceTable(index), question, qvec, passages, unknown or [])
    return candidates, [dict(zip(FEATURES, row.tolist(), strict=True)) for row in matrix]


def quoted(index: IndexData, c: Candidate) -> str:
    return index.documents["small"].text[c.start : c.end]


def test_only_statements_are_candidates(index: IndexData) -> None:
    spans = [quoted(index, c) for c in features(index, "Who led the refugee agency?")[0]]
    assert not any(s.startswith(("Why did people", "They spoke twice")) for s in spans), spans
    assert any(s.startswith("Sadako Ogata led") for s in spans)


def test_a_candidate_opening_with_a_pronoun_is_quoted_from_the_sentence_it_refers_to(
    index: IndexData,
) -> None:
    spans = [quoted(index, c) for c in features(index, "What did she say?")[0]]
    assert "Sadako Ogata led the UN refugee agency for ten years. She said that people" in " ".join(spans)
    assert not any(s.startswith("She said") for s in spans)


def test_a_candidate_ending_in_a_colon_is_quoted_with_the_line_it_introduces(index: IndexData) -> None:
    spans = [quoted(index, c) for c in features(index, "What priorities did the Commission name?")[0]]
    assert "The Commission named three priorities:\nprotection, empowerment and solidarity." in spans


def test_word_overlap_is_the_weighted_share_of_the_question_words_a_sentence_holds(index: IndexData) -> None:
    candidates, rows = features(index, "Which experts met because of the crisis?")
    by_text = {quoted(index, c): r for c, r in zip(candidates, rows, strict=True)}
    fifty = by_text["Fifty experts met in 1994 because the crisis of people demanded it."]
    assert fifty["overlap"] == pytest.approx(1.0) and fifty["overlap_gap"] == 0
    assert all(r["overlap"] < 1 for t, r in by_text.items() if not t.startswith("Fifty"))


def test_a_name_the_document_never_mentions_is_counted_against_every_candidate(index: IndexData) -> None:
    _, known = features(index, "What did Ogata say about Japanese policy?")
    _, unknown = features(index, "What did Ogata say about Australia?", unknown=["Australia"])
    assert all(r["names_unmatched_document"] == 0 for r in known)
    assert all(r["names_unmatched_document"] == 0.5 and r["names_unknown"] == 0.5 for r in unknown)


def test_what_a_sentence_states_comes_from_the_stored_cues(index: IndexData) -> None:
    candidates, rows = features(index, "When did the experts meet?")
    row = next(r for c, r in zip(candidates, rows, strict=True) if quoted(index, c).startswith("Fifty"))
    assert (row["states_time"], row["states_count"], row["gives_reason"], row["gives_definition"]) == (
        1,
        1,
        1,
        0,
    )


def test_a_number_the_question_states_is_not_what_it_asks_for(index: IndexData) -> None:
    # 'Fifty experts met in 1994 …': asked about 1994, the sentence still states a count (fifty)
    # but no other time; asked about fifty experts, it still states a time.
    def cues(question: str) -> tuple[float, float]:
        candidates, rows = features(index, question)
        row = next(r for c, r in zip(candidates, rows, strict=True) if quoted(index, c).startswith("Fifty"))
        return row["states_time"], row["states_count"]

    assert cues("When did the experts meet?") == (1, 1)
    assert cues("How many experts met in 1994?") == (0, 1)
    assert cues("When did the 50 experts meet?") == (1, 1)  # 'Fifty' is a word, not the digits


def test_a_sentence_two_passages_share_is_one_candidate_in_the_higher_ranked_passage() -> None:
    shared = small_index(OGATA_TEXT, overlap_sentences=1)
    assert len({c.first_sentence for c in shared.chunks}) > 1
    candidates, _ = features(shared, "Who led the refugee agency?")
    rows = [c.row for c in candidates]
    assert len(rows) == len(set(rows))
    first_passage = shared.chunks[0]
    assert all(
        c.passage == 0
        for c in candidates
        if first_passage.first_sentence <= c.row < first_passage.last_sentence
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did Japan pledge to the trust fund?", "count"),
        ("What percentage of the budget went to the fund?", "count"),
        ("What share of the beneficiaries were migrants?", "count"),
        ("What was the total budget of the symposium?", "count"),
        ("What was the total value of Japan's ODA in 2005?", "count"),
        ("What is the value of human security for Japan?", "what"),
        ("Who decided how many would come?", "who"),
        ("how many people attended", "count"),
        ("In what year did Sen win the prize?", "when"),
        ("When was the Commission founded?", "when"),
        ("When B cells begin to replicate, what do their offspring become?", "what"),
        ("When a cell is infected it is trapped in what vesicle", "what"),
        ("Who chaired the Network after Canada?", "who"),
        ("What does human security mean?", "define"),
        ("How is freedom from fear defined?", "define"),
        ("Why did Canada act in Kosovo?", "why"),
        ("Which country took over the chair?", "what"),
        ("Is human security a new idea?", "yesno"),
        # Typed as keywords: the head noun names what is asked, unless a word before makes
        # it a when or a how often.
        ("jica budget", "count"),
        ("attendance at the 2010 symposium", "count"),
        ("kurusu kaoru year of birth", "when"),
        ("start date of the ilo project", "when"),
        ("aid for a country hit by cyclones every year", "other"),
        ("the ten-year plan of jica", "other"),
        ("jica human security approaches", "other"),
    ],
)
def test_the_question_says_what_kind_of_answer_it_wants(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_every_candidate_of_a_question_carries_its_kind(index: IndexData) -> None:
    _, rows = features(index, "How many experts met?")
    assert rows and all(r["asks_count"] == 1 and r["asks_who"] == 0 for r in rows)
