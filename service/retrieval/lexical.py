"""Words and names for retrieval: BM25 scores of a question, IDF-weighted word overlap for
the answer stage, and the names a question uses that no passage, or no word of a given text,
mentions. The analyzer itself (``service.analysis``) is shared with index building."""

from __future__ import annotations

from collections.abc import Callable

import bm25s
import numpy as np

from service.analysis import STOPWORDS, WORD, analyze, name_forms


def bm25_scores(retriever: bm25s.BM25, query: str) -> np.ndarray:
    """BM25 score of every chunk for ``query`` (zeros when no query word is indexed)."""
    tokens = [t for t in analyze([query])[0] if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)


# A title before a name says nothing of whom the text means: it may say 'Mrs. Ogata',
# 'Professor Sen' or neither.
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "professor"})


def salient_terms(question: str) -> list[str]:
    """Names and numbers in a question: capitalised words past the first, and words with a
    digit. A question about 'Kofi Annan' or 'the 2022 report' is about those things. A title
    ('Professor') is no name, nor is a stop word, capitalised or not ('the three As')."""
    words = WORD.findall(question)
    return [
        w
        for i, w in enumerate(words)
        if ((i > 0 and w[0].isupper()) or any(c.isdigit() for c in w))
        and w.lower() not in _TITLES
        and w.lower() not in STOPWORDS
    ]


def lookup_forms(term: str) -> list[str]:
    """The forms under which a corpus may hold a question's name: as written, its plural, its
    stems without a people's or plural ending (``name_forms``), and those stems as a country's
    name ('Cambodian' → 'Cambodia', 'African' → 'Africa'). One rule with ``Facts.form_ids``."""
    stems = sorted(name_forms(term) - {term.lower()})
    return [term, term + "s", *stems, *(stem + "a" for stem in stems)]


def missing_terms(question: str, vocabulary: Callable[[str], bool]) -> list[str]:
    """The salient terms of ``question`` for which ``vocabulary`` (analyzed tokens) knows no
    form of ``lookup_forms``."""
    terms = salient_terms(question)
    if not terms:
        return []
    forms = [lookup_forms(t) for t in terms]
    analyzed = analyze([f for group in forms for f in group])
    missing, at = [], 0
    for term, group in zip(terms, forms, strict=True):
        tokens = [tok for tokens in analyzed[at : at + len(group)] for tok in tokens]
        # A word the analyzer drops entirely (a single letter) cannot be looked up: skip it.
        if analyzed[at] and not any(vocabulary(tok) for tok in tokens):
            missing.append(term)
        at += len(group)
    return missing


def overlap(query_weights: dict[str, float], text_tokens: frozenset[str]) -> float:
    """Share of the query's analyzed tokens, weighted, that a text's analyzed tokens contain."""
    total = sum(query_weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in query_weights.items() if t in text_tokens) / total
