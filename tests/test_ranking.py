"""The pure ranking functions, on a few numbers: no model, no index."""

from __future__ import annotations

import numpy as np

from service.retrieval.ranking import by_best_answer, by_best_sentence, rrf, top, top_positive


def test_top_returns_the_best_k_best_first_and_breaks_ties_by_index() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.0], dtype=np.float32)
    assert top(scores, 3).tolist() == [1, 3, 2]
    assert top(scores, 10).tolist() == [1, 3, 2, 0, 4]
    assert top(scores, 0).tolist() == []


def test_scores_tied_with_the_last_place_are_taken_by_index() -> None:
    # 100 scores from 0 to 4, more than ten of them 4: the best ten are the first ten 4s (a
    # partition alone picked 55 and 60 over 33 and 53).
    scores = np.random.default_rng(0).integers(0, 5, 100).astype(np.float32)
    assert top(scores, 10).tolist() == np.flatnonzero(scores == 4)[:10].tolist()
    assert top(np.array([0.2, 0.5, 0.5, 0.9, 0.5]), 3).tolist() == [3, 1, 2]


def test_a_bm25_ranking_holds_only_passages_that_share_a_word_with_the_question() -> None:
    scores = np.array([0.0, 2.0, 0.0, 1.0, 2.0])
    assert top_positive(scores, 10).tolist() == [1, 4, 3]
    assert top_positive(scores, 2).tolist() == [1, 4]
    assert top_positive(np.zeros(4), 3).tolist() == []


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf([(np.array([7, 8]), 1.0), (np.array([8, 9]), 0.5)], k=10)
    assert [i for i, _ in fused] == [8, 7, 9]
    scores = dict(fused)
    assert scores[8] == 1.0 / 12 + 0.5 / 11
    assert scores[7] == 1.0 / 11 and scores[9] == 0.5 / 12


def test_rrf_breaks_ties_by_id() -> None:
    assert [i for i, _ in rrf([(np.array([5]), 1.0), (np.array([3]), 1.0)], k=1)] == [3, 5]


def test_passages_rank_by_their_best_sentence() -> None:
    # Passage 0 holds sentences 0-1, passage 1 sentence 2, passage 2 sentences 3-4.
    bounds = np.array([[0, 2], [2, 3], [3, 5]])
    vectors = np.array([[1, 0], [0.2, 0.98], [0.6, 0.8], [0, 1], [0.9, 0.44]], dtype=np.float32)
    question = np.array([0.0, 1.0], dtype=np.float32)
    assert by_best_sentence(np.array([0, 1, 2, 2]), bounds, vectors, question).tolist() == [2, 0, 1]


def test_a_passage_without_sentences_ranks_last() -> None:
    bounds = np.array([[0, 1], [1, 1]])
    vectors = np.array([[1.0, 0.0]], dtype=np.float32)
    assert by_best_sentence(np.array([1, 0]), bounds, vectors, np.array([1.0, 0.0])).tolist() == [0, 1]


def test_the_top_passages_are_reordered_by_their_best_answer() -> None:
    # Candidates in passages 0, 0, 1, 2 of four ranked passages; passage 3 has none.
    order = by_best_answer(4, [0, 0, 1, 2], np.array([0.1, 0.2, 0.7, 0.2]))
    assert order == [1, 0, 2, 3]  # 0 and 2 tie at 0.2: the first ranking decides
