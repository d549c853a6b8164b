"""The BM25 side of retrieval: one English analyzer for indexing and querying alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import STOPWORDS_EN_PLUS


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def analyze(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens of each text."""
    tokens = bm25s.tokenize(
        list(texts),
        lower=True,
        stopwords=list(STOPWORDS_EN_PLUS),
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


def build_bm25(texts: Sequence[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index(analyze(texts), show_progress=False)
    return retriever


def bm25_scores(retriever: bm25s.BM25, query: str) -> np.ndarray:
    """BM25 score of every chunk for ``query`` (zeros when no query word is indexed)."""
    tokens = [t for t in analyze([query])[0] if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)
