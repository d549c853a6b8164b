"""Pure ranking functions: the best k of a score array, reciprocal rank fusion, passages by
their best sentence, and the top passages reordered by their best answer. Arrays in, arrays
out; no model, no index object, so each is tested on a few numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores, best first (ties by index, for stable results: also
    among the scores tied with the ``k``-th, which a partition alone picks in no set order)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = scores[np.argpartition(-scores, k - 1)[:k]].min()
    chosen = np.concatenate([np.flatnonzero(scores > kth), np.flatnonzero(scores == kth)])[:k]
    return chosen[np.lexsort((chosen, -scores[chosen]))]


def top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """``top`` among the positive scores only: a BM25 ranking holds the passages that share a
    word with the question. Skipping the rest halved the work at 1M passages (14 → 7 ms a
    question; BENCHMARKS.md, eleventh session)."""
    positive = np.flatnonzero(scores > 0)
    return positive[top(scores[positive], k)]


def rrf(rankings: Sequence[tuple[np.ndarray, float]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of weighted rankings (each an array of ids, best first): each id
    scores the sum of ``weight / (k + rank)`` (rank from 1) over the rankings that hold it.
    Returns (id, score) pairs, best first, ties by id."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, i in enumerate(ids.tolist()):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def by_best_sentence(
    ids: np.ndarray, bounds: np.ndarray, sentence_vectors: np.ndarray, qvec: np.ndarray
) -> np.ndarray:
    """The passages ``ids`` ranked by their best sentence's cosine to the question, best
    first (ties by id); ``bounds[i]`` holds passage i's sentence rows [first, last). A passage
    with one sentence that answers outranks one that is broadly on topic."""
    ids = np.unique(ids)
    first, last = bounds[ids].T
    counts = last - first
    offsets = np.cumsum(counts) - counts
    rows = np.arange(counts.sum()) + np.repeat(first - offsets, counts)
    best = np.full(len(ids), -np.inf, dtype=np.float32)
    if len(rows):
        best[counts > 0] = np.maximum.reduceat(sentence_vectors[rows] @ qvec, offsets[counts > 0])
    return ids[np.lexsort((ids, -best))]


def by_best_answer(n: int, passage_of: Sequence[int], probabilities: np.ndarray) -> list[int]:
    """The order of ``n`` ranked passages once those holding answer candidates are sorted by
    their best candidate's probability (``passage_of[j]`` is candidate j's passage); passages
    with no candidate keep their place after them. Ties keep the first ranking's order."""
    best: dict[int, float] = {}
    for passage, p in zip(passage_of, probabilities.tolist(), strict=True):
        best[passage] = max(best.get(passage, -1.0), p)
    ranked = sorted(best, key=lambda r: (-best[r], r))
    return ranked + [r for r in range(n) if r not in best]
