"""Choosing the answer: candidate sentences from the top passages, the features a learned
model scores them by, and the decision to answer or abstain.

A candidate is one statement of a top passage (no heading, byline or question), quoted with
the sentences before it back to the one that resolves the pronoun it opens with ('He pointed
out …'), or with the next one when it ends in a colon or announces what follows ('… two major
reasons for this.'). Each candidate gets a row of ``FEATURES``, all computed from what the
index already holds (sentence and passage vectors, BM25 statistics, the texts): nothing here
calls the embedding model.
``service.models.answer_model.AnswerModel`` turns the rows into the probability that a candidate
answers the question, and that into a calibrated probability that the best candidate is a
right answer; below the model's threshold the service abstains.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from service.analysis import analyze
from service.cues import numbers_in, states_count, states_number, states_time, without_numbers
from service.facts import Flag
from service.models.answer_model import FEATURES, QUESTION_TYPES
from service.retrieval.lexical import overlap, salient_terms
from service.store import IndexData

_WH = re.compile(
    r"\b(?P<who>who|whom|whose)\b|\b(?P<when>when)\b|\b(?P<where>where)\b|\b(?P<why>why)\b"
    r"|\bhow (?P<count>many|much)\b|\b(?P<how>how)\b|\b(?P<what>what|which)\b",
    re.I,
)
_DEFINE_QUESTION = re.compile(r"\bdefin(e|es|ed|ition|itions)\b|\bwhat does .+ mean\b", re.I)
_COUNT_QUESTION = re.compile(
    r"\b(what|which) (percentage|proportion|share|amount|sum|number|budget|figure|fraction)\b"
    # 'the total value of Japan's ODA' is a sum; 'the value of human security' need not be
    r"|\bwhat (was|is|were|are) the ((total |annual )?(budget|cost|number|size)|total value)\b",
    re.I,
)
_TIME_QUESTION = re.compile(r"\b(what|which|in what) (year|date|month|decade|century)\b", re.I)
# 'When' that opens a clause ('When a cell is infected, what …'), not a question: no
# auxiliary verb follows it.
_WHEN_CLAUSE = re.compile(
    r"when\b(?!\s+(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|might|must)\b)",
    re.I,
)
_YES_NO = re.compile(r"^\W*(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b", re.I)
# A query typed as keywords, with no question word, asks for what its head noun names: 'start
# date of the ilo project', 'kurusu kaoru year of birth', 'attendance at the 2010 symposium',
# 'mae hong son project budget'. Not such a noun after a word that makes it a when or a how
# often ('a country hit by cyclones every year', 'stories in a single year'), nor one in a
# compound ('the ten-year plan').
_KEYWORD_HEADS = (
    ("count", re.compile(r"(?<![\w-])(number|count|attendance|turnout|toll|budget|cost)(?![\w-])", re.I)),
    ("when", re.compile(r"(?<![\w-])(date|year|month|day|decade|century)(?![\w-])", re.I)),
)
_NOT_ASKED = re.compile(r"\b(every|each|this|that|per|a|an|single|next|last|same|one)\s+$", re.I)


def question_type(question: str) -> str:
    """The kind of answer a question asks for, from its wording: one of ``QUESTION_TYPES``
    (the first question word decides: 'Who decided when …' asks who; a 'when' that opens a
    clause does not: 'When a cell is infected, what …' asks what; with none, a count's or a
    time's noun: ``keyword_type``)."""
    if _DEFINE_QUESTION.search(question):
        return "define"
    if _TIME_QUESTION.search(question):
        return "when"
    matches = list(_WH.finditer(question))
    if matches and len(matches) > 1 and _WHEN_CLAUSE.match(question, matches[0].start()):
        matches = matches[1:]  # 'When B cells begin to replicate, what do …' asks what
    if matches:
        kind = next(name for name, value in matches[0].groupdict().items() if value)
        return "count" if kind == "what" and _COUNT_QUESTION.search(question) else kind
    if _YES_NO.match(question):
        return "yesno"
    return keyword_type(question) or "other"


def keyword_type(query: str) -> str | None:
    """'count' or 'when' when ``query``, typed as keywords, names what it asks for by a head
    noun ('kurusu kaoru year of birth'), else None. Read only for a query with no question word
    (``question_type``)."""
    for kind, head in _KEYWORD_HEADS:
        if any(not _NOT_ASKED.search(query, 0, m.start()) for m in head.finditer(query)):
            return kind
    return None


@dataclass(frozen=True)
class SentenceInfo:
    """What answer scoring needs of a sentence that does not depend on the question (stored
    at build time: ``service.ingest.sentence_facts``)."""

    words: frozenset[str]  # analyzed words
    borrowed: frozenset[str]  # analyzed words of the sentences it refers back to
    head: int  # the sentence it refers back to (itself if it does not)
    start_row: int  # where its quoted span starts: itself, or the sentence it refers back to
    end_row: int  # where it ends: itself, or the next sentence, which its colon or announcement introduces
    statement: bool  # four words or more, not a question: a heading, a byline or a question never answers
    capitalised: frozenset[str]  # lower-cased capitalised words past its start
    gives_reason: bool
    gives_definition: bool
    states_count: bool
    states_time: bool
    states_number: bool


@dataclass(frozen=True)
class Candidate:
    passage: int  # rank of its passage among the hits
    row: int  # its sentence row
    start: int  # character offsets of the quoted span in the document
    end: int


class SentenceTable:
    """A read-only view of the facts an index stores about its sentences, passages and
    documents (``IndexData.facts``). Holds no state that requests change."""

    def __init__(self, index: IndexData, quote_context: bool = True, statements_only: bool = True) -> None:
        self.index = index
        self.facts = index.facts
        self.statements_only = statements_only  # off only to measure what the rule earns
        # Quote a sentence from the one that resolves the pronoun it opens with, and with the
        # line a colon introduces (off only to measure what that earns).
        self.quote_context = quote_context

    def chunk_words(self, chunk: int) -> frozenset[str]:
        """A passage's analyzed words."""
        return self.facts.terms.words(self.facts.chunk_words.row(chunk))

    def words(self, row: int) -> frozenset[str]:
        """A sentence's analyzed words."""
        return self.facts.terms.words(self.facts.sentence_words.row(row))

    def same_document(self, a: int, b: int) -> bool:
        n = len(self.index.sentences)
        return (
            0 <= a < n and 0 <= b < n and int(self.index.sentences[a][0]) == int(self.index.sentences[b][0])
        )

    def is_candidate(self, row: int) -> bool:
        """A statement (or any sentence, when the rule is off for a measurement)."""
        return not self.statements_only or bool(int(self.facts.sentence_flags[row]) & Flag.STATEMENT)

    def links(self, row: int) -> tuple[int, int, int]:
        """Sentence ``row``'s head (the sentence its pronoun refers back to) and the first and
        last rows of its quoted span; all ``row`` itself when quoting context is off."""
        if not self.quote_context:
            return row, row, row
        head, start_row, end_row = (int(x) for x in self.facts.sentence_links[row])
        return head, start_row, end_row

    def get(self, row: int, words: Callable[[int], frozenset[str]] | None = None) -> SentenceInfo:
        """Sentence ``row``'s facts; ``words`` reads a sentence's words (a caller scoring many
        sentences passes one that remembers them for the length of its call)."""
        words = words or self.words
        facts = self.facts
        head, start_row, end_row = self.links(row)
        borrowed: frozenset[str] = frozenset().union(*(words(r) for r in range(head, row)))
        flags = Flag(int(facts.sentence_flags[row]))
        return SentenceInfo(
            words=words(row),
            borrowed=borrowed,
            head=head,
            start_row=start_row,
            end_row=end_row,
            statement=Flag.STATEMENT in flags,
            capitalised=facts.names.words(facts.sentence_names.row(row)),
            gives_reason=Flag.GIVES_REASON in flags,
            gives_definition=Flag.GIVES_DEFINITION in flags,
            states_count=Flag.STATES_COUNT in flags,
            states_time=Flag.STATES_TIME in flags,
            states_number=Flag.STATES_NUMBER in flags,
        )

    def document_mentions(self, document_id: str, term: str) -> bool:
        """True if the document (or its catalogue entry) holds ``term`` in some written form."""
        return self.facts.document_mentions(self.index.ordinal_of[document_id], term)


#: How many sentences before an answer may name who is speaking in it: 'Mr. Misran, ASEAN
#: Deputy Secretary-General, made a keynote speech …' introduces what 'He pointed out that …'
#: says one or two sentences later (``service.asked.names.names_speaker``).
SPEAKER_SENTENCES = 2


def context_start(table: SentenceTable, candidate: Candidate) -> int:
    """Where the text that may name a candidate's speaker starts, in its document: at the
    ``SPEAKER_SENTENCES`` sentences before it (fewer at the document's start), or its own
    quoted start if that comes first."""
    first = candidate.row
    while first > candidate.row - SPEAKER_SENTENCES and table.same_document(first - 1, candidate.row):
        first -= 1
    return min(int(table.index.sentences[first][1]), candidate.start)


def quoted_span(
    table: SentenceTable,
    candidates: list[Candidate],
    probabilities: np.ndarray,
    ranked: np.ndarray,
    passage_end: int,
    ratio: float,
) -> tuple[int, int]:
    """The document offsets to quote for the best candidate (``ranked``: the candidates, most
    likely first): its own span, or through the runner-up's when that is the statement right
    after it, ends inside the best one's passage (``passage_end``) and is rated at least
    ``ratio`` times as likely. The model often cannot
    tell such a pair apart, and for good reason: the first leads in and the second says what was
    asked ('For most people today, a feeling of insecurity arises more from worries about daily
    life …' / 'Job security, income security, health security, …'). Quoting both gives the
    reader the answer at the cost of one sentence. (A runner-up opening with a pronoun that the
    best one resolves already quotes it, and is left alone: BENCHMARKS.md.)"""
    best = candidates[int(ranked[0])]
    if len(ranked) < 2:
        return best.start, best.end
    runner_up = candidates[int(ranked[1])]
    follows = table.links(runner_up.row)[1] == table.links(best.row)[2] + 1  # starts where best's ends
    if (
        follows
        and table.same_document(best.row, runner_up.row)
        and runner_up.end <= passage_end
        and probabilities[ranked[1]] >= ratio * probabilities[ranked[0]]
    ):
        return best.start, runner_up.end
    return best.start, best.end


def candidate_features(
    table: SentenceTable,
    question: str,
    qvec: np.ndarray,
    passages: list[tuple[int, float]],
    unknown: list[str],
) -> tuple[list[Candidate], np.ndarray]:
    """The candidates of the given passages ((chunk, cosine) pairs, best first) and their
    feature rows, one per candidate, in ``FEATURES`` order; ``unknown`` holds the question's
    names no passage mentions (``lexical.missing_terms``). A sentence shared by two
    overlapping passages is a candidate once, in the higher-ranked one."""
    index = table.index
    rows: list[int] = []
    ranks: list[int] = []
    seen: set[int] = set()
    for rank, (chunk_id, _) in enumerate(passages):
        chunk = index.chunks[chunk_id]
        for row in range(chunk.first_sentence, chunk.last_sentence):
            if row not in seen and table.is_candidate(row):
                seen.add(row)
                rows.append(row)
                ranks.append(rank)
    if not rows:
        return [], np.zeros((0, len(FEATURES)), dtype=np.float32)

    n_sent = len(index.sentences)
    around = sorted({r + d for r in rows for d in (-1, 0, 1) if 0 <= r + d < n_sent})
    sims_around = dict(zip(around, (index.sentence_vectors[around] @ qvec).tolist(), strict=True))
    # Words of sentences and passages, read once each for the length of this call.
    sentence_words: dict[int, frozenset[str]] = {}
    passage_words: dict[int, frozenset[str]] = {}
    mentioned: dict[tuple[str, str], bool] = {}

    def words(row: int) -> frozenset[str]:
        if row not in sentence_words:
            sentence_words[row] = table.words(row)
        return sentence_words[row]

    def in_document(document_id: str, term: str) -> bool:
        if (document_id, term) not in mentioned:
            mentioned[document_id, term] = table.document_mentions(document_id, term)
        return mentioned[document_id, term]

    infos = [table.get(r, words) for r in rows]
    for info in infos:
        if info.head not in sims_around:
            sims_around[info.head] = float(index.sentence_vectors[info.head] @ qvec)

    query_tokens = set(analyze([question])[0])
    weights = index.facts.idf(query_tokens)
    total_weight = sum(weights.values())
    names = list(dict.fromkeys(salient_terms(question)))
    question_words = {w.lower() for w in re.findall(r"\w+", question)}
    asks = question_type(question)
    stated = numbers_in(question)

    def answer_cues(row: int, info: SentenceInfo) -> tuple[bool, bool, bool]:
        """Whether the sentence states a count, a time, a number, the question's own numbers
        aside ('How many of the 17 goals …' is not answered by '17 goals')."""
        if stated and (info.states_count or info.states_time or info.states_number):
            text = without_numbers(index.sentence_text(row), stated)
            return states_count(text), states_time(text), states_number(text)
        return info.states_count, info.states_time, info.states_number

    sims = np.array([sims_around[r] for r in rows], dtype=np.float64)
    overlaps = np.array([overlap(weights, info.words) for info in infos])
    order = np.argsort(-sims, kind="stable")
    sim_rank = np.empty(len(rows), dtype=np.int64)
    sim_rank[order] = np.arange(len(rows))
    best_row_of_passage: dict[int, int] = {}
    for r, rank, sim in zip(rows, ranks, sims.tolist(), strict=True):
        best = best_row_of_passage.get(rank)
        if best is None or sim > sims_around[best]:
            best_row_of_passage[rank] = r
    top_cos = passages[0][1]

    def neighbour(row: int, step: int) -> tuple[float, float]:
        other = row + step
        if not table.same_document(row, other):
            return 0.0, 0.0
        return sims_around.get(other, 0.0), overlap(weights, words(other))

    candidates: list[Candidate] = []
    matrix = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
    facts = index.facts
    name_ids = [facts.form_ids(t) for t in names]  # the forms under which a text holds each name
    passage_forms: dict[int, set[int]] = {}
    for i, (row, rank, info) in enumerate(zip(rows, ranks, infos, strict=True)):
        chunk_id, cosine = passages[rank]
        chunk = index.chunks[chunk_id]
        start_row = max(info.start_row, chunk.first_sentence)
        end_row = min(info.end_row, chunk.last_sentence - 1)
        candidates.append(
            Candidate(rank, row, int(index.sentences[start_row][1]), int(index.sentences[end_row][2]))
        )
        prev_sim, prev_overlap = neighbour(row, -1)
        next_sim, next_overlap = neighbour(row, +1)
        window = info.words | info.borrowed
        window_rows = [r for r in (row - 1, row + 1) if table.same_document(row, r)]
        for r in window_rows:
            window |= words(r)
        missing = [weights[t] for t in weights if t not in window]
        if chunk_id not in passage_words:
            passage_words[chunk_id] = table.chunk_words(chunk_id)
        missing_passage = [weights[t] for t in weights if t not in passage_words[chunk_id]]
        unmatched_window = unmatched_doc = unmatched_passage = 0.0
        if names:
            lo, hi = min([row, *window_rows]), max([row, *window_rows])
            window_forms = facts.window_forms(lo, hi)
            if chunk_id not in passage_forms:
                passage_forms[chunk_id] = set(facts.chunk_forms.row(chunk_id).tolist())
            unmatched_window = sum(not (ids & window_forms) for ids in name_ids) / len(names)
            unmatched_doc = sum(not in_document(chunk.document_id, t) for t in names) / len(names)
            unmatched_passage = sum(not (ids & passage_forms[chunk_id]) for ids in name_ids) / len(names)
        span = chunk.last_sentence - chunk.first_sentence
        says_count, says_time, says_number = answer_cues(row, info)
        values = {
            "sim": sims[i],
            "prev_sim": prev_sim,
            "next_sim": next_sim,
            "sim_gap": sims[order[0]] - sims[i],
            "sim_rank": sim_rank[i],
            "offset_from_best": max(-3, min(3, row - best_row_of_passage[rank])),
            "overlap": overlaps[i],
            "prev_overlap": prev_overlap,
            "next_overlap": next_overlap,
            "overlap_gap": overlaps.max() - overlaps[i],
            "novel_share": len(info.words - query_tokens) / max(1, len(info.words)),
            "position": (row - chunk.first_sentence) / max(1, span - 1),
            "passage_cos": cosine,
            "passage_rank": rank,
            "passage_cos_gap": top_cos - cosine,
            "new_names": len(info.capitalised - question_words),
            "gives_reason": info.gives_reason,
            "gives_definition": info.gives_definition,
            "states_count": says_count,
            "states_time": says_time,
            "states_number": says_number,
            "refers_back": info.head != row,
            "context_sim": sims_around[info.head],
            "context_overlap": overlap(weights, info.words | info.borrowed),
            "names": len(names),
            "names_unmatched_document": unmatched_doc,
            "names_unmatched_passage": unmatched_passage,
            "names_unknown": len(unknown) / len(names) if names else 0.0,
            "names_unmatched_window": unmatched_window,
            "missing_window": sum(missing) / total_weight if total_weight else 0.0,
            "missing_idf_window": max(missing, default=0.0),
            "missing_idf_passage": max(missing_passage, default=0.0),
            **{f"asks_{kind}": asks == kind for kind in QUESTION_TYPES if kind != "other"},
        }
        matrix[i] = [float(values[name]) for name in FEATURES]
    return candidates, matrix
