"""The question-independent facts the answer stage reads of every sentence, passage and
document (``service.facts``), computed once per build so that no request computes or caches
them.

A sentence opening with a pronoun ('He pointed out …') refers back to the sentence before it,
or, when that one opens with a pronoun too, to the one before that (``CONTEXT_SENTENCES``),
and is quoted from there, so that the quote says who or what is meant: 'It was entitled »The
Responsibility to Protect«' comes with 'Their final report was presented in September 2001.'
and the sentence naming the commission. A sentence ending in a colon is quoted with the line
it introduces, which is what answers, and so is one that announces what follows ('… there
might be two major reasons for this.', '… from the following four perspectives.').
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from service.analysis import analyze, written_forms
from service.cues import (
    capitalised_words,
    gives_definition,
    gives_reason,
    states_count,
    states_number,
    states_time,
)
from service.facts import Facts, Flag, Ragged, Vocabulary
from service.records import ChunkRecord, Document

# How far back a sentence opening with a pronoun ('She also identified…') looks for what it means.
CONTEXT_SENTENCES = 2
# A 'sentence' of fewer words is a heading or a byline ('Professor KURUSU Kaoru').
STATEMENT_MIN_WORDS = 4
# A sentence opening with a pronoun for something named just before it ('She also identified…').
_REFERS_BACK = re.compile(r"^\W*(he|she|they|his|her|their|it|its|this|these|such)\b", re.I)

# A sentence that announces what the next one says: 'there might be two major reasons for
# this.', '… from the following four perspectives.' (not '… in the following year.', nor '…
# for the following 380 years.')
_TIMES = r"(years|months|weeks|days|hours|decades|centuries|seasons|generations)\b"
_ANNOUNCES = re.compile(
    rf"(\bthe following((\s+[\w-]+){{0,2}}\s+(?!{_TIMES})[\w-]+s)?|\bas follows|\breasons? for (this|that|it)"
    r"|\bfor (these|the following)( \w+)? reasons)\W*$",
    re.I,
)

_CUES = (
    (gives_reason, Flag.GIVES_REASON),
    (gives_definition, Flag.GIVES_DEFINITION),
    (states_count, Flag.STATES_COUNT),
    (states_time, Flag.STATES_TIME),
    (states_number, Flag.STATES_NUMBER),
)


def is_statement(sentence: str) -> bool:
    """Four words or more, and not a question: a heading, a byline or a question never answers."""
    return len(sentence.split()) >= STATEMENT_MIN_WORDS and not sentence.rstrip("\"'”’») ").endswith("?")


def flags(sentence: str) -> int:
    value = Flag.STATEMENT if is_statement(sentence) else Flag(0)
    for cue, flag in _CUES:
        if cue(sentence):
            value |= flag
    return int(value)


def sentence_links(documents: Sequence[Document], sentences: np.ndarray) -> np.ndarray:
    """Per sentence row: the row it refers back to (itself if none) and the first and last
    row of the span to quote for it."""
    n = len(sentences)
    rows = sentences.tolist()

    def gap_before(row: int) -> str | None:
        """The text between sentences ``row - 1`` and ``row``; None across documents."""
        if not (0 < row < n) or rows[row - 1][0] != rows[row][0]:
            return None
        ordinal, start, _ = rows[row]
        return documents[ordinal].text[rows[row - 1][2] : start]

    def text(row: int) -> str:
        ordinal, start, end = rows[row]
        return documents[ordinal].text[start:end]

    def refers_back(row: int) -> bool:
        gap = gap_before(row)
        return gap is not None and gap.count("\n") < 2 and bool(_REFERS_BACK.match(text(row)[:40]))

    links = np.empty((n, 3), dtype=np.int32)
    for row in range(n):
        head = row
        while head > row - CONTEXT_SENTENCES and refers_back(head):
            head -= 1
        first = head  # the sentence that names who or what is meant
        last = row
        sentence = text(row).rstrip()
        colon = sentence.endswith(":")
        if (colon or _ANNOUNCES.search(sentence)) and gap_before(row + 1) is not None:
            last = row + 1  # what it introduces ('two major reasons for this.') is what answers
            if colon:
                first = row  # the list it introduces, without what it refers back to
        links[row] = (head, first, last)
    return links


def build_facts(
    documents: Sequence[Document],
    sentences: np.ndarray,
    chunks: Sequence[ChunkRecord],
    bm25_tokens: Sequence[Sequence[str]],
) -> Facts:
    """The facts of a build: ``sentences`` are its (document ordinal, start, end) rows,
    ``bm25_tokens`` the analyzed text BM25 indexed for each passage (for document frequencies)."""
    by_id = {d.id: d for d in documents}
    sentence_texts = [documents[o].text[s:e] for o, s, e in sentences.tolist()]
    chunk_texts = [by_id[c.document_id].text[c.start : c.end] for c in chunks]
    sentence_tokens = analyze(sentence_texts)
    chunk_tokens = analyze(chunk_texts)

    terms = Vocabulary(
        tuple(
            sorted({t for group in (bm25_tokens, sentence_tokens, chunk_tokens) for ts in group for t in ts})
        )
    )
    frequency = np.zeros(len(terms.strings), dtype=np.int32)
    for tokens in bm25_tokens:
        frequency[terms.numbered(tokens)] += 1

    sentence_names = [capitalised_words(t) for t in sentence_texts]
    names = Vocabulary(tuple(sorted(set().union(*sentence_names))))

    document_forms = []
    for doc in documents:
        about = (doc.title, doc.author, doc.date, doc.note)
        document_forms.append(written_forms("\n".join([doc.text, *(x for x in about if x)])))
    forms = Vocabulary(tuple(sorted(frozenset().union(*document_forms))))
    rows = sentences.tolist()
    gaps = [
        documents[o].text[e : rows[r + 1][1]] if r + 1 < len(rows) and rows[r + 1][0] == o else ""
        for r, (o, _, e) in enumerate(rows)
    ]

    return Facts(
        terms=terms,
        document_frequency=frequency,
        passages=len(chunks),
        sentence_words=Ragged.of(terms.numbered(t) for t in sentence_tokens),
        chunk_words=Ragged.of(terms.numbered(t) for t in chunk_tokens),
        names=names,
        sentence_names=Ragged.of(names.numbered(n) for n in sentence_names),
        forms=forms,
        document_forms=Ragged.of(forms.numbered(f) for f in document_forms),
        sentence_forms=Ragged.of(forms.numbered(written_forms(t)) for t in sentence_texts),
        gap_forms=Ragged.of(forms.numbered(written_forms(g)) for g in gaps),
        chunk_forms=Ragged.of(forms.numbered(written_forms(t)) for t in chunk_texts),
        sentence_links=sentence_links(documents, sentences),
        sentence_flags=np.array([flags(t) for t in sentence_texts], dtype=np.uint8),
    )
