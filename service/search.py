"""Answering a question from a loaded index: rank passages, pick the answer sentence, or
abstain. Knows nothing of HTTP; the service and the evaluation script both call ``Searcher``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from service.answer_rules import gives_definition, refers_back, states_quantity, wants_definition, wants_quantity
from service.config import Settings
from service.embedding import Encoder
from service.lexical import (
    TextWords,
    analyze,
    bm25_scores,
    idf_weights,
    missing_terms,
    overlap,
    unmentioned_terms,
)
from service.reranking import Reranker
from service.store import IndexData

Mode = Literal["hybrid", "dense", "bm25"]
SENTENCE_WORDS_CACHED = 200_000
DOCUMENT_WORDS_CACHED = 1_000
# A 'sentence' of fewer words is a heading, a byline or a name ('Professor KURUSU Kaoru'): it
# may be the passage's best match to the question but never answers it.
ANSWER_MIN_WORDS = 4
# How far back a sentence opening with a pronoun ('She also identified…') looks for what it
# means, and how much of that sentence's closeness to the question it may take on (chosen on
# the tuning half: 0.25 to 0.75 all pick the Ogata priorities sentence and lose nothing).
CONTEXT_SENTENCES = 2
CONTEXT_SIMILARITY_SHARE = 0.5


@dataclass(frozen=True)
class Hit:
    chunk: int
    score: float  # the ranking score: the reranker's if one is set, else cosine (dense) or fused
    cosine: float  # cosine similarity of question and passage, whatever the mode


@dataclass(frozen=True)
class Answer:
    passage: int  # index into SearchResult.hits
    start: int  # character offsets into the document's stored text
    end: int
    score: float


@dataclass(frozen=True)
class _Sentence:
    """A sentence as answer scoring sees it. One that opens with a pronoun ('He pointed out …
    four perspectives') borrows the words of the sentences it refers back to, up to its head
    (the first that does not, ``CONTEXT_SENTENCES`` back at most), so a question naming
    'Dr. Tsunekawa' one sentence earlier finds it; when its direct predecessor is that head,
    the answer quotes both (start_row), so the reader knows who 'he' is. One that ends in a
    colon ('He highlighted the following points:') quotes the sentence it introduces instead:
    the list is what answers."""

    words: frozenset[str]  # analyzed words, for overlap with the question
    can_answer: bool  # False for a heading, a byline or a question
    borrowed: frozenset[str]  # words of the sentences it refers back to
    start_row: int  # where its answer span starts: itself, or its predecessor
    end_row: int  # where it ends: itself, or the next sentence when it ends in a colon
    head: int  # the sentence it refers back to (itself if it does not)


@dataclass
class SearchResult:
    question: str
    hits: list[Hit]
    answer: Answer | None
    unknown_terms: list[str] = field(default_factory=list)  # names the corpus never mentions
    unmatched_terms: list[str] = field(default_factory=list)  # names the best answer's text never mentions
    timings_ms: dict[str, float] = field(default_factory=dict)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores, best first (ties by index, for stable results)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def rrf(rankings: list[tuple[np.ndarray, float]], k: int) -> dict[int, float]:
    """Reciprocal rank fusion of weighted rankings (each an array of ids, best first)."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, i in enumerate(ids.tolist()):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank + 1)
    return fused


class Searcher:
    """One index and one model, shared read-only by all requests (no per-request state)."""

    def __init__(
        self, index: IndexData, embedder: Encoder, settings: Settings, reranker: Reranker | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker
        # What answer scoring needs of each sentence, filled as sentences are first scored;
        # bounded so a huge index cannot grow it without limit. Dies with this index.
        self._sentences: dict[int, _Sentence] = {}
        self._document_words: dict[str, TextWords] = {}  # likewise, per document, for names
        # Each passage's sentence rows [first, last), as an array for the best-sentence ranking.
        self._sentence_bounds = np.array(
            [(c.first_sentence, c.last_sentence) for c in index.chunks], dtype=np.int64
        ).reshape(-1, 2)

    def _sentence(self, row: int) -> _Sentence:
        """What answer scoring needs of a sentence that does not depend on the question."""
        info = self._sentences.get(row)
        if info is None:
            text = self.index.sentence_text(row)
            borrowed: frozenset[str] = frozenset()
            head = row
            while head > row - CONTEXT_SENTENCES and self._refers_back(head):
                head -= 1
                borrowed |= self._words(head)
            start_row = head if head == row - 1 else row  # its predecessor names who is meant
            end_row = row
            if text.rstrip().endswith(":") and self._gap_before(row + 1) is not None:
                start_row, end_row = row, row + 1  # what it introduces matters more
            # A heading or a byline ('Professor KURUSU Kaoru') may be the closest match but
            # never answers; nor does a question the text asks ('Does human security make a
            # difference in national foreign policies?').
            can_answer = len(text.split()) >= ANSWER_MIN_WORDS and not text.rstrip("\"'”’») ").endswith("?")
            info = _Sentence(self._words(row), can_answer, borrowed, start_row, end_row, head)
            if len(self._sentences) < SENTENCE_WORDS_CACHED:
                self._sentences[row] = info
        return info

    def _words(self, row: int) -> frozenset[str]:
        """A sentence's analyzed words, from its cached record when there is one (not through
        ``_sentence``: that would recurse down a chain of sentences that refer back)."""
        known = self._sentences.get(row)
        return known.words if known else frozenset(analyze([self.index.sentence_text(row)])[0])

    def _refers_back(self, row: int) -> bool:
        """True if sentence ``row`` opens with a pronoun for something in the sentence before
        it, in the same paragraph (no blank line between)."""
        gap = self._gap_before(row)
        return gap is not None and gap.count("\n") < 2 and refers_back(self.index.sentence_text(row)[:40])

    def _gap_before(self, row: int) -> str | None:
        """The text between sentence ``row - 1`` and sentence ``row``; None if they are not
        in the same document."""
        if row <= 0 or row >= len(self.index.sentences):
            return None
        ordinal, start, _ = self.index.sentences[row].tolist()
        prev_ordinal, _, prev_end = self.index.sentences[row - 1].tolist()
        if ordinal != prev_ordinal:
            return None
        return self.index.documents[self.index.document_order[ordinal]].text[prev_end:start]

    def search(self, question: str, top_k: int, mode: Mode | None = None) -> SearchResult:
        mode = mode or self.settings.retrieval_mode
        s = self.settings
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        qvec = self.embedder.encode_query(question)
        t1 = time.perf_counter()
        timings["embed"] = (t1 - t0) * 1000

        n = len(self.index.chunks)
        depth = min(max(s.candidates, top_k), n)
        dense_scores, dense_ids = self.index.chunk_index.search(qvec[None, :], depth)
        dense_ids = dense_ids[0][dense_ids[0] >= 0]
        cosine = dict(zip(dense_ids.tolist(), dense_scores[0].tolist(), strict=False))
        t2 = time.perf_counter()
        timings["dense"] = (t2 - t1) * 1000

        if mode == "dense":
            ranked = [(i, cosine[i]) for i in dense_ids.tolist()]
            t3 = t4 = t2
        else:
            lexical = bm25_scores(self.index.bm25, question)
            bm25_ids = _top(lexical, depth)
            bm25_ids = bm25_ids[lexical[bm25_ids] > 0]
            t3 = time.perf_counter()
            if mode == "bm25":
                ranked = [(i, float(lexical[i])) for i in bm25_ids.tolist()]
            elif s.fusion == "rrf":
                rankings = [(dense_ids, s.dense_weight), (bm25_ids, 1 - s.dense_weight)]
                if s.sentence_weight:
                    rankings.append((self._by_best_sentence(qvec, dense_ids, bm25_ids), s.sentence_weight))
                fused = rrf(rankings, s.rrf_k)
                ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
            else:
                ranked = self._weighted(qvec, dense_ids, cosine, bm25_ids, lexical)
            t4 = time.perf_counter()
            timings["bm25"] = (t3 - t2) * 1000
            timings["fusion"] = (t4 - t3) * 1000

        if self.reranker is not None:
            ranked = self._rerank(self.reranker, question, ranked, max(s.rerank_candidates, top_k))
            t5 = time.perf_counter()
            timings["rerank"] = (t5 - t4) * 1000
            t4 = t5
        hits = [
            Hit(chunk=int(i), score=float(score), cosine=self._cosine(qvec, i, cosine))
            for i, score in ranked[:top_k]
        ]
        answer, unknown, unmatched = self._answer(question, qvec, hits)
        timings["answer"] = (time.perf_counter() - t4) * 1000
        return SearchResult(
            question=question,
            hits=hits,
            answer=answer,
            unknown_terms=unknown,
            unmatched_terms=unmatched,
            timings_ms=timings,
        )

    def _rerank(
        self, reranker: Reranker, question: str, ranked: list[tuple[int, float]], n: int
    ) -> list[tuple[int, float]]:
        """The first ``n`` candidates in the reranker's order, scored by it; the rest after."""
        head = ranked[:n]
        scores = reranker.scores(question, [self.index.chunk_text(i) for i, _ in head]).tolist()
        order = sorted(range(len(head)), key=lambda j: (-scores[j], j))
        return [(head[j][0], scores[j]) for j in order] + ranked[n:]

    def _by_best_sentence(self, qvec: np.ndarray, *candidates: np.ndarray) -> np.ndarray:
        """The candidate passages ranked by their best sentence's cosine to the question: a
        passage with one sentence that answers outranks one that is broadly on topic (on the
        tuning half this third ranking lifts MRR@10 from 0.746 to 0.808; see BENCHMARKS.md)."""
        ids = np.unique(np.concatenate(candidates))
        first, last = self._sentence_bounds[ids].T
        counts = last - first
        rows = np.arange(counts.sum()) + np.repeat(first - (np.cumsum(counts) - counts), counts)
        best = np.full(len(ids), -np.inf, dtype=np.float32)
        if len(rows):
            starts = (np.cumsum(counts) - counts)[counts > 0]
            best[counts > 0] = np.maximum.reduceat(self.index.sentence_vectors[rows] @ qvec, starts)
        return ids[np.lexsort((ids, -best))]

    def _cosine(self, qvec: np.ndarray, i: int, known: dict[int, float]) -> float:
        """Cosine of chunk ``i``; a BM25-only candidate outside the dense top is scored exactly."""
        cos = known.get(i)
        if cos is None:
            cos = float(self.index.chunk_index.reconstruct(int(i)) @ qvec)
        return float(cos)

    def _weighted(
        self,
        qvec: np.ndarray,
        dense_ids: np.ndarray,
        cosine: dict[int, float],
        bm25_ids: np.ndarray,
        lexical: np.ndarray,
    ) -> list[tuple[int, float]]:
        """Convex combination of cosine and max-normalised BM25 scores."""
        w = self.settings.dense_weight
        top_bm25 = float(lexical[bm25_ids[0]]) if len(bm25_ids) else 1.0
        ids = set(dense_ids.tolist()) | set(bm25_ids.tolist())
        scored = [
            (i, w * self._cosine(qvec, i, cosine) + (1 - w) * float(lexical[i]) / (top_bm25 or 1.0))
            for i in ids
        ]
        return sorted(scored, key=lambda kv: (-kv[1], kv[0]))

    def _answer(
        self, question: str, qvec: np.ndarray, hits: list[Hit]
    ) -> tuple[Answer | None, list[str], list[str]]:
        """The sentence of the top passages that best answers the question, or None when the
        evidence is weak; with it, the question's names the corpus never mentions and those
        the best sentence's document never mentions (either is a reason for None).

        A sentence scores its own cosine, plus a share of its passage's (a sentence in a passage
        about the question's subject beats an equally close one elsewhere), plus its IDF-weighted
        share of the question's words (rare words like 'priorities' count most); one that opens
        with a pronoun also scores with what it refers back to (see ``_Sentence``). A 'how many'
        question needs a sentence stating a count, a 'when' question one stating a time; a
        sentence under four words (a byline, a heading) or a question never answers. A 'define'
        question prefers a sentence that defines ('defines … as', 'refers to') when the top
        passages hold one: the answer is the best of those, else the best of all.

        The best sentence is no answer when its document (text, title, author, date, note)
        never mentions a name or number of the question: a sentence on the Commission's
        definition does not say how China defines human security, nor one on 1999 who joined
        in 2010, however close it reads (abstention on the evaluation set 0.69 → 0.88)."""
        s = self.settings
        unknown = missing_terms(question, lambda t: t in self.index.bm25.vocab_dict)
        if unknown:
            return None, unknown, []
        needs_number = wants_quantity(question)
        needs_definition = wants_definition(question)
        query_weights = idf_weights(self.index.bm25, set(analyze([question])[0]))
        best: Answer | None = None
        best_definition: Answer | None = None
        seen: set[int] = set()
        total = 1 + s.answer_passage_weight + s.answer_lexical_weight
        for rank, hit in enumerate(hits[: s.answer_passages]):
            chunk = self.index.chunks[hit.chunk]
            rows = [r for r in range(chunk.first_sentence, chunk.last_sentence) if r not in seen]
            if not rows:
                continue
            seen.update(rows)
            sims = self.index.sentence_vectors[rows] @ qvec
            for row, sim in zip(rows, sims.tolist(), strict=True):
                info = self._sentence(row)
                if not info.can_answer:
                    continue
                if needs_number and not states_quantity(self.index.sentence_text(row), needs_number):
                    continue
                if info.head != row:  # 'She also identified…' shares in the closeness of whom 'she' means
                    head_sim = float(self.index.sentence_vectors[info.head] @ qvec)
                    sim = max(sim, CONTEXT_SIMILARITY_SHARE * head_sim + (1 - CONTEXT_SIMILARITY_SHARE) * sim)
                lexical = overlap(query_weights, info.words | info.borrowed)
                score = (sim + s.answer_passage_weight * hit.cosine + s.answer_lexical_weight * lexical) / total
                better = best is None or score > best.score
                better_definition = (
                    needs_definition
                    and (best_definition is None or score > best_definition.score)
                    and gives_definition(self.index.sentence_text(row))
                )
                if better or better_definition:
                    # The answer stays inside its passage.
                    start_row = max(info.start_row, chunk.first_sentence)
                    end_row = min(info.end_row, chunk.last_sentence - 1)
                    start = int(self.index.sentences[start_row][1])
                    end = int(self.index.sentences[end_row][2])
                    answer = Answer(passage=rank, start=start, end=end, score=score)
                    best = answer if better else best
                    best_definition = answer if better_definition else best_definition
        if best_definition is not None and best_definition.score >= s.abstain_threshold:
            best = best_definition  # a weak definition does not turn an answer into none
        if best is None or best.score < s.abstain_threshold:
            return None, [], []
        document = self.index.chunks[hits[best.passage].chunk].document_id
        unmatched = unmentioned_terms(question, self._words_of(document))
        if unmatched:
            return None, [], unmatched
        return best, [], []

    def _words_of(self, document_id: str) -> TextWords:
        """The written words of a document and its catalogue entry, cached like sentences."""
        words = self._document_words.get(document_id)
        if words is None:
            doc = self.index.documents[document_id]
            about = (doc.title, doc.author, doc.date, doc.note)
            words = TextWords.of("\n".join([doc.text, *(x for x in about if x)]))
            if len(self._document_words) < DOCUMENT_WORDS_CACHED:
                self._document_words[document_id] = words
        return words
