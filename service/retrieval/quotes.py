"""Checking a quotation against the stored texts: where it occurs verbatim, where nearly, or
that it does not.

Candidates come from the index, not a scan: the passages BM25 ranks highest for the
quotation's words. Each candidate's neighbourhood is compared after normalising case,
whitespace, quotation marks, dashes and ellipses (``normalise``), keeping a map from
every normalised character back to its offset in the stored text, so a match is cited by the
same exact offsets as any passage. No exact match: rapidfuzz aligns the quotation with each
neighbourhood, and a close enough alignment is reported word by word, the words that differ
marked (difflib).
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from service.retrieval.lexical import bm25_scores
from service.retrieval.ranking import top_positive
from service.store import IndexData

#: How many passages, by BM25, are compared with a quotation.
CANDIDATE_PASSAGES = 12
#: The least similarity (0 to 1, rapidfuzz's partial ratio over the normalised text) for a
#: near-verbatim match: most words in order. A quotation with one word of ten changed scores
#: about 0.9; an unrelated sentence on the same subject below 0.7.
NEAR_SIMILARITY = 0.85
MAX_MATCHES = 5

# Quotation marks of every kind are left out (a quotation copied without the text's inner
# quotes, or with other ones, is still verbatim); an apostrophe inside a word is kept, as one
# straight apostrophe ("people's" is not "peoples", "it's" not "its"); every dash is a hyphen.
_APOSTROPHES = "'’′‛`"
_QUOTE_MARKS = _APOSTROPHES + '"‘‚“”„‟″«»‹›'
_FOLD = str.maketrans(dict.fromkeys(_QUOTE_MARKS, "") | dict.fromkeys("‐‑‒–—―−", "-") | {"\u00a0": " "})

Verdict = Literal["exact", "near", "not_found"]


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` case-folded, without quotation marks (curly or straight; an apostrophe inside
    a word stays, straight), every dash a hyphen, an ellipsis character three dots and every
    run of whitespace one space, none at either end; and for each character of the result
    (plus one past the end) the offset in ``text`` it came from."""
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space and out:
                out.append(" ")
                offsets.append(i)
            in_space = True
            continue
        if ch in _APOSTROPHES and _inside_word(text, i):
            folded = "'"
        else:
            folded = "..." if ch == "…" else ch.translate(_FOLD).casefold()
        if not folded:
            continue  # a quotation mark: as if it were not there
        in_space = False
        out.append(folded)
        offsets.extend([i] * len(folded))
    normal = "".join(out)
    if normal.endswith(" "):
        normal, offsets = normal[:-1], offsets[:-1]
    offsets.append(len(text))
    return normal, offsets


@dataclass(frozen=True)
class Difference:
    """One stretch where quotation and text differ: what the quotation says, what the text says."""

    quoted: str
    text: str


@dataclass(frozen=True)
class QuoteMatch:
    document_id: str
    start: int  # offsets of the matching text in the stored document
    end: int
    verdict: Literal["exact", "near"]
    similarity: float  # 1.0 for an exact match
    differences: tuple[Difference, ...] = ()
    sentence_start: int = 0  # the whole sentence(s) around the match
    sentence_end: int = 0


def _differences(quote: str, found: str) -> tuple[Difference, ...]:
    q, f = quote.split(), found.split()

    def key(word: str) -> str:  # a word, not the punctuation around it
        return word.strip(string.punctuation).casefold()

    ops = difflib.SequenceMatcher(a=[key(w) for w in q], b=[key(w) for w in f], autojunk=False)
    return tuple(
        Difference(" ".join(q[i1:i2]), " ".join(f[j1:j2]))
        for tag, i1, i2, j1, j2 in ops.get_opcodes()
        if tag != "equal"
    )


def _is_mark(text: str, i: int) -> bool:
    """A quotation mark (not an apostrophe inside a word) at ``text[i]``."""
    return text[i] in _QUOTE_MARKS and not (text[i] in _APOSTROPHES and _inside_word(text, i))


def _balance_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the quotation mark that closes (or opens) one inside [start, end), so a match
    ending in 'freedom from “fear' cites 'freedom from “fear”'."""
    if sum(_is_mark(text, i) for i in range(start, end)) % 2:
        if end < len(text) and _is_mark(text, end):
            return start, end + 1
        if start > 0 and _is_mark(text, start - 1):
            return start - 1, end
    return start, end


def _to_word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of ``text`` without whitespace at its ends, then widened to whole words."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def _whole_words(window: str, at: int, length: int) -> bool:
    """True if ``window[at:at + length]`` neither starts nor ends inside a word: 'security'
    is not verbatim in 'insecurity'."""
    before = at == 0 or not (window[at - 1].isalnum() and window[at].isalnum())
    last = at + length - 1
    after = last + 1 >= len(window) or not (window[last].isalnum() and window[last + 1].isalnum())
    return before and after


class QuoteChecker:
    """Finds a quotation in one loaded index (read-only; shared by all requests)."""

    def __init__(self, index: IndexData) -> None:
        self.index = index

    def check(self, quotation: str) -> tuple[Verdict, list[QuoteMatch]]:
        """The verdict and the matches, exact ones first, at most ``MAX_MATCHES``."""
        index = self.index
        quote, _ = normalise(quotation)
        if not quote:
            return "not_found", []
        scores = bm25_scores(index.bm25, quotation)
        candidates = top_positive(scores, CANDIDATE_PASSAGES).tolist()
        exact: dict[tuple[str, int], QuoteMatch] = {}
        near: dict[tuple[str, int], QuoteMatch] = {}
        for chunk_id in candidates:
            chunk = index.chunks[chunk_id]
            text = index.documents[chunk.document_id].text
            lo = max(0, chunk.start - len(quotation))
            hi = min(len(text), chunk.end + len(quotation))
            window, offsets = normalise(text[lo:hi])
            at = window.find(quote)
            while at >= 0:
                if _whole_words(window, at, len(quote)):
                    start, end = _balance_quotes(
                        text, lo + offsets[at], lo + offsets[at + len(quote) - 1] + 1
                    )
                    exact.setdefault((chunk.document_id, start), self._match(chunk.document_id, start, end))
                at = window.find(quote, at + 1)
            if exact:
                continue
            aligned = fuzz.partial_ratio_alignment(quote, window)
            # A window shorter than the quotation aligns inside it and would score 100.
            similarity = (aligned.score / 100) * min(1.0, len(window) / len(quote)) if aligned else 0.0
            if aligned is None or similarity < NEAR_SIMILARITY:
                continue
            start, end = lo + offsets[aligned.dest_start], lo + offsets[max(aligned.dest_end - 1, 0)] + 1
            start, end = _balance_quotes(text, *_to_word_bounds(text, start, end))
            found = text[start:end]
            near.setdefault(
                (chunk.document_id, start),
                self._match(
                    chunk.document_id,
                    start,
                    end,
                    verdict="near",
                    similarity=round(similarity, 3),
                    differences=_differences(quote, normalise(found)[0]),
                ),
            )
        if exact:
            return "exact", sorted(exact.values(), key=lambda m: (m.document_id, m.start))[:MAX_MATCHES]
        if near:
            ranked = sorted(near.values(), key=lambda m: (-m.similarity, m.document_id, m.start))
            return "near", ranked[:MAX_MATCHES]
        return "not_found", []

    def _match(
        self,
        document_id: str,
        start: int,
        end: int,
        verdict: Literal["exact", "near"] = "exact",
        similarity: float = 1.0,
        differences: tuple[Difference, ...] = (),
    ) -> QuoteMatch:
        s_start, s_end = self._sentence_around(document_id, start, end)
        return QuoteMatch(document_id, start, end, verdict, similarity, differences, s_start, s_end)

    def _sentence_around(self, document_id: str, start: int, end: int) -> tuple[int, int]:
        """From the start of the sentence holding ``start`` to the end of the one holding ``end``."""
        index = self.index
        ordinal = index.ordinal_of[document_id]
        rows = index.sentences
        first, last = np.searchsorted(rows[:, 0], [ordinal, ordinal + 1])
        starts = rows[first:last, 1]
        ends = rows[first:last, 2]
        i = max(int(np.searchsorted(starts, start, side="right")) - 1, 0)
        j = min(int(np.searchsorted(starts, end, side="left")), len(starts)) - 1
        if len(starts) == 0:
            return start, end
        j = max(j, i)
        return min(int(starts[i]), start), max(int(ends[j]), end)
