"""Answering a question from a loaded index: rank passages, pick the answer sentence, or
abstain. Knows nothing of HTTP; the service and the evaluation script both call ``Searcher``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from service.analysis import analyze
from service.config import Settings
from service.models.answer_model import AnswerModel
from service.models.embedding import Encoder
from service.models.reranking import Reranker
from service.retrieval.answering import (
    Candidate,
    SentenceTable,
    candidate_features,
    context_start,
    quoted_span,
)
from service.retrieval.filters import Selection
from service.retrieval.lexical import bm25_scores, lookup_forms, missing_terms, salient_terms
from service.retrieval.ranking import by_best_answer, by_best_sentence, rrf, top_positive
from service.store import IndexData
from service.vector_index import search_vectors

Mode = Literal["hybrid", "dense", "bm25"]


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
    score: float  # calibrated probability that this is a right answer


AbstentionReason = Literal["unknown_terms", "off_topic", "unmet_type", "unlikely", "no_passages"]


@dataclass(frozen=True)
class Abstention:
    """Why there is no answer: names no passage mentions, refused outright (``unknown_terms``:
    for one document of a comparison, or for the index when ``abstain_on_unknown_terms`` is
    set), a question further from every top passage than the texts' own questions are
    (``off_topic``), a best answer that states no count, time, sum or share when the question
    asks for one, names no person, country, city or body it asks for, gives no day, title,
    given name or office holder it asks for, never names the person whose words it asks for
    or their topic, says nothing the question does not, negates nothing when it asks what is
    not so, states another year or number than the one it gives, or states the opposite of
    what it asks about (``unmet_type``), a best answer whose calibrated probability is under
    the threshold (``unlikely``; ``terms`` still lists the names no passage mentions), or
    nothing to answer from (``no_passages``)."""

    reason: AbstentionReason
    terms: tuple[str, ...] = ()
    score: float = 0.0  # the best candidate's calibrated probability, when there was one


@dataclass
class SearchResult:
    question: str
    hits: list[Hit]
    outcome: Answer | Abstention
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def answer(self) -> Answer | None:
        return self.outcome if isinstance(self.outcome, Answer) else None

    @property
    def unknown_terms(self) -> list[str]:
        """Names the corpus never mentions, when there is no answer; else empty."""
        o = self.outcome
        return list(o.terms) if isinstance(o, Abstention) else []

    @property
    def reason(self) -> AbstentionReason | None:
        """Why there is no answer (``Abstention``), or None when there is one."""
        o = self.outcome
        return o.reason if isinstance(o, Abstention) else None


class Stopwatch:
    """Milliseconds spent in each named stage, lap by lap."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = (now - self._last) * 1000
        self._last = now


class Searcher:
    """One index and one model, shared read-only by all requests (no per-request state)."""

    def __init__(
        self,
        index: IndexData,
        embedder: Encoder,
        settings: Settings,
        answer_model: AnswerModel,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.answer_model = answer_model
        self.reranker = reranker
        # What answer scoring needs of each sentence, stored at build time (read-only).
        self.sentences = SentenceTable(index)
        # Each passage's sentence rows [first, last), as an array for the best-sentence ranking.
        self._sentence_bounds = index.chunks.sentence_bounds()

    def search(
        self,
        question: str,
        top_k: int,
        mode: Mode | None = None,
        selection: Selection | None = None,
        qvec: np.ndarray | None = None,
    ) -> SearchResult:
        """Rank passages for ``question`` (among the ``selection`` a filter allows, if one is
        given) and choose the answer from the top ones. ``qvec``: the question's vector, when
        the caller embedded it already (the server batches concurrent questions)."""
        watch = Stopwatch()
        if qvec is None:
            qvec = self.embedder.encode_query(question)
        watch.lap("embed")
        # The answer stage reads the top ``answer_passages`` whatever top_k is: asking for one
        # passage must not change which answer is found (its passage then comes first).
        hits = self.rank(question, qvec, max(top_k, self.settings.answer_passages), mode, watch, selection)
        hits, outcome = self.answer(question, qvec, hits)
        if isinstance(outcome, Answer) and outcome.passage >= top_k:
            # Only with a reranker, whose order is final: answer from the passages returned.
            hits, outcome = self.answer(question, qvec, hits[:top_k])
        watch.lap("answer")
        return SearchResult(question=question, hits=hits[:top_k], outcome=outcome, timings_ms=watch.timings)

    def rank(
        self,
        question: str,
        qvec: np.ndarray,
        top_k: int,
        mode: Mode | None = None,
        watch: Stopwatch | None = None,
        selection: Selection | None = None,
    ) -> list[Hit]:
        """The ``top_k`` passages for a question (and its vector), best first; only passages of
        ``selection`` when one is given (filtering comes before ranking)."""
        mode = mode or self.settings.retrieval_mode
        s = self.settings
        watch = watch or Stopwatch()
        allowed = len(self.index.chunks) if selection is None else len(selection.chunks)
        depth = min(max(s.candidates, top_k), allowed)
        if depth == 0:
            return []
        dense_scores, dense_ids = search_vectors(
            self.index.chunk_index,
            qvec,
            depth,
            allowed=None if selection is None else selection.chunks,
            exact_max=s.exact_max_passages,
        )
        cosine = dict(zip(dense_ids.tolist(), dense_scores.tolist(), strict=True))
        watch.lap("dense")

        if mode == "dense":
            ranked = [(i, cosine[i]) for i in dense_ids.tolist()]
        else:
            lexical = bm25_scores(self.index.bm25, question)
            if selection is None:
                bm25_ids = top_positive(lexical, depth)
            else:
                bm25_ids = selection.chunks[top_positive(lexical[selection.chunks], depth)]
            watch.lap("bm25")
            if mode == "bm25":
                ranked = [(i, float(lexical[i])) for i in bm25_ids.tolist()]
            else:
                rankings = [(dense_ids, s.dense_weight), (bm25_ids, 1 - s.dense_weight)]
                if s.sentence_weight:
                    pool = np.concatenate([dense_ids, bm25_ids])
                    by_sentence = by_best_sentence(
                        pool, self._sentence_bounds, self.index.sentence_vectors, qvec
                    )
                    rankings.append((by_sentence, s.sentence_weight))
                ranked = rrf(rankings, s.rrf_k)
            watch.lap("fusion")

        if self.reranker is not None:
            ranked = self._rerank(self.reranker, question, ranked, max(s.rerank_candidates, top_k))
            watch.lap("rerank")
        return [
            Hit(chunk=int(i), score=float(score), cosine=self._cosine(qvec, i, cosine))
            for i, score in ranked[:top_k]
        ]

    def _rerank(
        self, reranker: Reranker, question: str, ranked: list[tuple[int, float]], n: int
    ) -> list[tuple[int, float]]:
        """The first ``n`` candidates in the reranker's order, scored by it; the rest after."""
        head = ranked[:n]
        scores = reranker.scores(question, [self.index.chunk_text(i) for i, _ in head]).tolist()
        order = sorted(range(len(head)), key=lambda j: (-scores[j], j))
        return [(head[j][0], scores[j]) for j in order] + ranked[n:]

    def _cosine(self, qvec: np.ndarray, i: int, known: dict[int, float]) -> float:
        """Cosine of chunk ``i``; a BM25-only candidate outside the dense top is scored exactly."""
        cos = known.get(i)
        if cos is None:
            cos = float(self.index.chunk_index.reconstruct(int(i)) @ qvec)
        return float(cos)

    def unknown_terms(self, question: str) -> list[str]:
        """The question's names and numbers no passage of the index mentions."""
        return missing_terms(question, self.index.facts.indexed)

    def candidates(
        self, question: str, qvec: np.ndarray, hits: list[Hit], unknown: list[str]
    ) -> tuple[list[Candidate], np.ndarray]:
        """The answer candidates of the top ``answer_passages`` hits and their feature rows
        (``unknown``: the question's ``unknown_terms``, computed once by the caller)."""
        passages = [(h.chunk, h.cosine) for h in hits[: self.settings.answer_passages]]
        return candidate_features(self.sentences, question, qvec, passages, unknown)

    def unmentioned_terms(self, question: str, document_id: str) -> list[str]:
        """The question's names and numbers one document never mentions under any of the forms
        ``unknown_terms`` looks up for the whole index ('NGO' is found as 'NGOs')."""
        return [
            term
            for term in salient_terms(question)
            if analyze([term])[0]  # a word the analyzer drops (a single letter) cannot be looked up
            and not any(self.sentences.document_mentions(document_id, form) for form in lookup_forms(term))
        ]

    def answer(
        self, question: str, qvec: np.ndarray, hits: list[Hit], document_id: str | None = None
    ) -> tuple[list[Hit], Answer | Abstention]:
        """The candidate the answer model rates most likely to answer, with its calibrated
        probability, or why there is none; and the hits with the top ``answer_passages``
        reordered by their best candidate's probability unless a reranker ordered them
        (validation MRR@10 0.957 → 0.971, BENCHMARKS.md). ``service.retrieval.answering`` holds the
        candidates and their features. With ``document_id`` the question is put to that one
        document: names it never mentions mean it cannot answer (``unknown_terms``). For the
        whole index, names no passage mentions are one of the answer model's features, not a
        rule (unless ``abstain_on_unknown_terms``): a question that describes ('the Cambridge
        economist') may name what the texts never do and still be answered."""
        s = self.settings
        unknown = self.unknown_terms(question)
        if document_id is not None or s.abstain_on_unknown_terms:
            absent = unknown if document_id is None else self.unmentioned_terms(question, document_id)
            if absent:
                return hits, Abstention("unknown_terms", tuple(absent))
        candidates, matrix = self.candidates(question, qvec, hits, unknown)
        if not candidates:
            return hits, Abstention("no_passages")
        index = self.index

        def text_of(i: int) -> str:
            c = candidates[i]  # its passage number indexes the hits as ranked, not as shown
            return index.document_of(hits[c.passage].chunk).text[c.start : c.end]

        def context_of(i: int) -> str:
            c = candidates[i]
            return index.document_of(hits[c.passage].chunk).text[context_start(self.sentences, c) : c.end]

        probabilities = self.answer_model.candidate_probabilities(matrix, question, text_of)
        # A reranker's order is final: it read every passage whole.
        order = list(range(len(hits)))
        if self.reranker is None:
            order = by_best_answer(len(hits), [c.passage for c in candidates], probabilities)
        shown = [hits[i] for i in order]
        ranked = np.argsort(-probabilities, kind="stable")  # most likely first; ties keep their order
        best = candidates[int(ranked[0])]
        score = self.answer_model.answer_probability(probabilities, matrix)
        threshold = self.answer_model.threshold_for(s.abstain_threshold)
        if self.answer_model.is_off_topic(matrix, threshold):
            return shown, Abstention("off_topic", tuple(unknown), score=score)
        if self.answer_model.leaves_type_unmet(
            probabilities, matrix, threshold, question, text_of, context_of
        ):
            return shown, Abstention("unmet_type", tuple(unknown), score=score)
        if score < threshold:
            return shown, Abstention("unlikely", tuple(unknown), score=score)
        start, end = quoted_span(
            self.sentences,
            candidates,
            probabilities,
            ranked,
            index.chunks[hits[best.passage].chunk].end,
            s.answer_with_next,
        )
        return shown, Answer(passage=order.index(best.passage), start=start, end=end, score=score)
