"""The one English analyzer of the index: BM25 indexes passages with it, the answer stage
compares words with it, and a question is read with it. Changing what ``analyze`` returns
changes the index format (``service.manifest.FORMAT_VERSION``). Also the one rule for the
written forms of a name ('Japanese' → 'Japan'), used when the index records which names each
document mentions and when a question's names are looked up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import Stemmer
from bm25s.tokenization import STOPWORDS_EN_PLUS

STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# An acronym's plural ('SDGs', 'NGOs', 'IDPs'): Snowball leaves 'sdgs', which would not match
# the 'SDG' of a question.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]+)s\b")


def analyze(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens of each text; an acronym's plural
    is its singular. Changing what this returns changes the index format (manifest.FORMAT_VERSION)."""
    tokens = bm25s.tokenize(
        [_ACRONYM_PLURAL.sub(r"\1", t) for t in texts],
        lower=True,
        stopwords=list(STOPWORDS_EN_PLUS),
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


def build_bm25(tokens: Sequence[Sequence[str]]) -> bm25s.BM25:
    """A BM25 index over passages given as their ``analyze`` tokens."""
    retriever = bm25s.BM25()
    retriever.index([list(t) for t in tokens], show_progress=False)
    return retriever


WORD = re.compile(r"\w+")

# Endings that turn a name into its people, language or plural ('Japanese', 'Canadian',
# 'Nigerians') or that a country's name ends in ('Canada'): a question's word and a text's
# match when they are one stem once such an ending is taken off either. A shared prefix would
# not do: 'Austria' is not 'Australia', nor 'Niger' 'Nigeria', nor 'Unit' 'United'.
_NAME_ENDINGS = ("ese", "ian", "ans", "an", "ish", "es", "s", "i", "a")
_MIN_STEM = 4


def name_forms(word: str) -> frozenset[str]:
    """A word (lower-cased) and its stems without one name ending each."""
    w = word.lower()
    return frozenset(
        {w} | {w[: -len(e)] for e in _NAME_ENDINGS if w.endswith(e) and len(w) - len(e) >= _MIN_STEM}
    )


def written_forms(text: str) -> frozenset[str]:
    """The words of a text in their written forms (lower-cased, not stemmed: Snowball makes
    'United' and 'Unit' one word) with each one's ``name_forms``. A text mentions a term when
    the term's ``name_forms`` meet these (``facts.Facts.form_ids``)."""
    return frozenset(f for w in set(WORD.findall(text)) for f in name_forms(w))
