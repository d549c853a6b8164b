"""One question put to each document on its own: how texts define or frame the same thing.

Each document gets the same ranking, answer and abstention as a question filtered to it
(``Searcher.rank`` over its passages, ``Searcher.answer`` scoped to it: a name the document
never mentions means it cannot answer, as a name no passage mentions does for the whole
index), so an answer here is one the service would give for that document alone, and an
abstention means the text does not address the question. Documents come in date order, undated ones last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.errors import InvalidFilter
from service.retrieval.filters import Filters, document_span, select
from service.retrieval.search import Abstention, Answer, Hit, Searcher

#: Most documents one comparison reads. Each costs a ranking and an answer (~20 ms here), so
#: "all documents" of a large collection (9,091 in the 1M-passage run) would take minutes:
#: such a comparison is refused with how to narrow it instead.
MAX_DOCUMENTS = 100


@dataclass(frozen=True)
class DocumentAnswer:
    document_id: str
    hits: list[Hit]  # the document's top passages, best first
    outcome: Answer | Abstention


def by_date(searcher: Searcher, document_ids: Sequence[str]) -> list[str]:
    """Document ids oldest first, undated last (then in index order)."""
    index = searcher.index

    def key(doc_id: str) -> tuple[bool, str, int]:
        span = document_span(index.documents[doc_id])
        return span is None, span[0].isoformat() if span else "", index.ordinal_of[doc_id]

    return sorted(dict.fromkeys(document_ids), key=key)


def compare(
    searcher: Searcher, question: str, document_ids: Sequence[str] | None = None
) -> list[DocumentAnswer]:
    """Each chosen document's (all, when none are given) best answer to ``question``, or why
    it has none, in date order."""
    index = searcher.index
    # An unknown id is refused here, with the valid ones listed.
    select(index, Filters(documents=tuple(document_ids or ())))
    chosen = by_date(searcher, document_ids or index.document_order)
    if len(chosen) > MAX_DOCUMENTS:
        raise InvalidFilter(
            f"this index holds {len(chosen):,} documents and a comparison reads at most "
            f"{MAX_DOCUMENTS}; name the ones to compare in `documents` (GET /documents lists them)"
        )
    qvec = searcher.embedder.encode_query(question)
    answers = []
    for doc_id in chosen:
        selection = select(index, Filters(documents=(doc_id,)))
        hits = searcher.rank(question, qvec, searcher.settings.answer_passages, selection=selection)
        hits, outcome = searcher.answer(question, qvec, hits, document_id=doc_id)
        answers.append(DocumentAnswer(doc_id, hits, outcome))
    return answers
