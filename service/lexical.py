"""The BM25 side of retrieval: one English analyzer for indexing and querying alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
import re
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


_WORD = re.compile(r"\w+")


def salient_terms(question: str) -> list[str]:
    """Names and numbers in a question: capitalised words past the first, and words with a
    digit. A question about 'Kofi Annan' or 'the 2022 report' is about those things."""
    words = _WORD.findall(question)
    return [w for i, w in enumerate(words) if (i > 0 and w[0].isupper()) or any(c.isdigit() for c in w)]


def missing_terms(question: str, vocabulary: Callable[[str], bool]) -> list[str]:
    """The salient terms of ``question`` for which ``vocabulary`` knows no form (after
    stemming; singular and plural both tried, as Snowball leaves short plurals like 'SDGs')."""
    terms = salient_terms(question)
    if not terms:
        return []
    variants = [[t, t + "s", t[:-1] if t.lower().endswith("s") else t] for t in terms]
    analyzed = analyze([v for group in variants for v in group])
    missing = []
    for i, term in enumerate(terms):
        tokens = [tok for j in range(3) for tok in analyzed[3 * i + j]]
        if tokens and not any(vocabulary(tok) for tok in tokens):
            missing.append(term)
    return missing


_QUANTITY_QUESTION = re.compile(
    r"^\W*(how (many|much|often|long|large|big|old)|when\b|(in )?(what|which) (year|date|month|decade))", re.I
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|once|annual|yearly|century|decade)s?\b",
    re.I,
)


def wants_quantity(question: str) -> bool:
    """True for questions whose answer is a number or a date ('How many…', 'When…')."""
    return bool(_QUANTITY_QUESTION.search(question))


def states_quantity(sentence: str) -> bool:
    return bool(_NUMBER.search(sentence))


def overlap(query_tokens: set[str], text_tokens: frozenset[str]) -> float:
    """Share of the query's analyzed tokens that a text's analyzed tokens contain."""
    if not query_tokens:
        return 0.0
    return len(query_tokens & text_tokens) / len(query_tokens)
