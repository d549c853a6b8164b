"""The BM25 side of retrieval: one English analyzer for indexing and querying alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Literal

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import STOPWORDS_EN_PLUS


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# An acronym's plural ('SDGs', 'NGOs', 'IDPs'): Snowball leaves 'sdgs', which would not match
# the 'SDG' of a question.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]+)s\b")


def analyze(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens of each text; an acronym's plural
    is its singular. Changing what this returns changes the index format (store.FORMAT_VERSION)."""
    tokens = bm25s.tokenize(
        [_ACRONYM_PLURAL.sub(r"\1", t) for t in texts],
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
        # A stop word is no name, capitalised or not ('the three As'): skip it.
        if analyzed[3 * i] and not any(vocabulary(tok) for tok in tokens):
            missing.append(term)
    return missing


_COUNT_QUESTION = re.compile(r"\bhow (many|much)\b", re.I)
_TIME_QUESTION = re.compile(r"^\W*(when\b|(in )?(what|which) (year|date|month|decade))", re.I)
_QUANTITY_QUESTION = re.compile(r"^\W*how (often|long|large|big|old)\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|once|annual|yearly|century|decade)s?\b",
    re.I,
)
_YEAR_OR_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)s?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b[a-z]+\d\w*|\b\d+(st|nd|rd|th)\b",  # and names or ordinals with digits: 'G8', '21st'
    re.I,
)

_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d)s?\b|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b|\b(century|decade)\b"
)
# A capitalised number word past a sentence's start is part of a name ('Delivering as One',
# 'Session One'), not a count.
_NAMED_NUMBER = re.compile(r"(?<=\S)(\W+)(One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b")
# A list item's number, '(2) The symposium…' or '3. Participants…', states nothing.
_LIST_MARKER = re.compile(r"^\W*\(?(\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s")

Quantity = Literal["count", "number", "time"]


def wants_quantity(question: str) -> Quantity | None:
    """What kind of number a question's answer must state: a count ('Roughly how many…',
    'How much…'), where a year or a date is not an answer; a time ('When…', 'In which
    year…'): a year, a month or a century; any number ('How often…', 'How long…'); or None."""
    if _COUNT_QUESTION.search(question):
        return "count"
    if _TIME_QUESTION.search(question):
        return "time"
    return "number" if _QUANTITY_QUESTION.search(question) else None


def states_quantity(sentence: str, kind: Quantity = "number") -> bool:
    """True if ``sentence`` states the kind of number ``wants_quantity`` asked for."""
    sentence = _LIST_MARKER.sub(" ", sentence)
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "count":
        sentence = _YEAR_OR_DATE.sub(" ", sentence)
        sentence = _NAMED_NUMBER.sub(" ", sentence)
    return bool(_NUMBER.search(sentence))


_DEFINE_QUESTION = re.compile(r"\bdefin(e|es|ed|ition|itions)\b", re.I)
_DEFINES = re.compile(r"\bdefin\w*|\bmeans\b(?! of)|\brefers? to\b|\b(understood|conceived( of)?) as\b", re.I)


def wants_definition(question: str) -> bool:
    """True for 'How does X define …?' or '… definition of …': the answer is a definition."""
    return bool(_DEFINE_QUESTION.search(question))


def gives_definition(sentence: str) -> bool:
    """True if ``sentence`` says what something means ('defines human security as …',
    'refers to …', 'is understood as …') rather than merely mentioning it."""
    return bool(_DEFINES.search(sentence))


_REFERS_BACK = re.compile(r"^\W*(he|she|they|his|her|their|it|its|this|these|such)\b", re.I)


def refers_back(sentence: str) -> bool:
    """True if ``sentence`` opens with a pronoun standing for something named before it ('She
    also identified…', 'This was an expression in…'): it needs its predecessor to be read."""
    return bool(_REFERS_BACK.match(sentence))


def idf_weights(retriever: bm25s.BM25, tokens: set[str]) -> dict[str, float]:
    """BM25's inverse document frequency of each analyzed token over the passages; a token no
    passage holds gets the highest weight. Rare words ('priorities') should count for more in
    word overlap than words on every page ('human', 'security')."""
    n = retriever.scores["num_docs"]
    indptr = retriever.scores["indptr"]
    weights = {}
    for token in tokens:
        tid = retriever.vocab_dict.get(token)  # bm25s's last id is the empty token, past indptr
        df = int(indptr[tid + 1] - indptr[tid]) if tid is not None and tid + 1 < len(indptr) else 0
        weights[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
    return weights


def overlap(query_weights: dict[str, float], text_tokens: frozenset[str]) -> float:
    """Share of the query's analyzed tokens, weighted, that a text's analyzed tokens contain."""
    total = sum(query_weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in query_weights.items() if t in text_tokens) / total
