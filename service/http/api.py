"""The JSON API: a thin layer that validates input, calls the core and shapes the output."""

from __future__ import annotations

import time
from bisect import bisect_right
from typing import Annotated
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError

from service.errors import DocumentNotFound, IndexUnavailable
from service.http.errors import ERROR_RESPONSES, validation_error
from service.http.schemas import (
    QUESTION_SCHEMA,
    TOP_K_DEFAULT,
    TOP_K_MAX,
    Answer,
    AskRequest,
    AskResponse,
    Citation,
    CompareRequest,
    CompareResponse,
    Difference,
    DocumentAnswer,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    FilterSpec,
    FilterSummary,
    Health,
    Passage,
    QuoteMatch,
    QuoteRequest,
    QuoteResponse,
)
from service.retrieval.compare import compare as compare_documents
from service.retrieval.filters import DATE_PATTERN, Selection, select
from service.retrieval.quotes import QuoteChecker
from service.retrieval.search import Abstention, Hit
from service.retrieval.search import Answer as CoreAnswer
from service.runtime import Runtime
from service.store import IndexData

router = APIRouter()
#: A date filter as a query parameter: as in the JSON body, or empty (a plain form sends it so).
OPTIONAL_DATE = f"^({DATE_PATTERN.strip('^$')})?$"


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def citation_url(view_base: str, document_id: str, start: int, end: int) -> str:
    return f"{view_base}{quote(document_id, safe='')}?start={start}&end={end}#passage"


def marked(url: str, start: int, end: int) -> str:
    """A citation URL that also highlights [start, end) (an answer, a quotation) inside the
    cited range: the document view reads ``as`` and ``ae``."""
    return url.replace("#passage", f"&as={start}&ae={end}#passage")


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def view_base(request: Request) -> str:
    """The document view's URL up to the document id (route lookup is slow: once per request)."""
    return str(request.url_for("view_document", document_id="_")).removesuffix("_")


def to_passages(request: Request, index: IndexData, hits: list[Hit]) -> list[Passage]:
    passages = []
    base = view_base(request)
    for hit in hits:
        chunk = index.chunks[hit.chunk]
        doc = index.documents[chunk.document_id]
        passages.append(
            Passage(
                text=doc.text[chunk.start : chunk.end],
                score=round(hit.score, 6),
                citation=Citation(
                    document_id=doc.id,
                    title=doc.title,
                    source=doc.author,
                    date=doc.date,
                    section=chunk.section,
                    start=chunk.start,
                    end=chunk.end,
                    page=bisect_right(doc.pages, chunk.start) if doc.pages else None,
                    url=citation_url(base, doc.id, chunk.start, chunk.end),
                ),
            )
        )
    return passages


def to_answer(index: IndexData, hits: list[Hit], outcome: CoreAnswer | Abstention) -> Answer | None:
    if not isinstance(outcome, CoreAnswer):
        return None
    doc = index.document_of(hits[outcome.passage].chunk)
    return Answer(
        text=doc.text[outcome.start : outcome.end],
        passage=outcome.passage,
        start=outcome.start,
        end=outcome.end,
        score=round(outcome.score, 6),
    )


def summarise(selection: Selection) -> FilterSummary:
    message = None
    if not len(selection.chunks):
        message = "No document matches these filters, so there is nothing to search"
        if selection.undated_left_out:
            message += f" ({selection.undated_left_out} undated document(s) were left out by the date filter)"
        message += "; widen or remove a filter."
    return FilterSummary(
        documents=list(selection.documents),
        passages=len(selection.chunks),
        undated_left_out=selection.undated_left_out,
        message=message,
    )


def answer_question(
    request: Request, body: AskRequest, qvec: np.ndarray | None = None, started: float | None = None
) -> AskResponse:
    """The answer to ``body``; ``qvec``, the question's vector if it was embedded already (and
    ``started``, when that began)."""
    started = started or time.perf_counter()
    searcher = runtime(request).require_searcher()
    index = searcher.index
    filters = body.filters.core() if body.filters else None
    selection = select(index, filters) if filters is not None and not filters.empty else None
    result = searcher.search(body.question, body.top_k, selection=selection, qvec=qvec)
    return AskResponse(
        question=result.question,
        answer=to_answer(index, result.hits, result.outcome),
        unknown_terms=result.unknown_terms,
        reason=result.reason,
        passages=to_passages(request, index, result.hits),
        filters=summarise(selection) if selection is not None else None,
        took_ms=elapsed_ms(started),
    )


def rendered(response: AskResponse) -> Response:
    """JSON of a response that is an ``AskResponse`` by construction: FastAPI's second
    validation of a returned model would only add latency (~1 ms per /ask, measured)."""
    return Response(response.model_dump_json(), media_type="application/json")


async def answered(request: Request, body: AskRequest) -> Response:
    """The rendered answer, the question embedded with the questions that arrive with it
    (``app.state.embed_question``, see ``service.http.batching``) and the rest of the work in
    a worker thread."""
    started = time.perf_counter()
    runtime(request).require_searcher()  # no index: 503 before any model work
    qvec = await request.app.state.embed_question(body.question)
    return rendered(await run_in_threadpool(answer_question, request, body, qvec, started))


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES, tags=["search"])
async def ask(request: Request, body: AskRequest) -> Response:
    """Answer a question: ranked passages with citations, and the best answer sentence."""
    return await answered(request, body)


@router.get("/search", response_model=AskResponse, responses=ERROR_RESPONSES, tags=["search"])
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            description="The question, 1 to 1,000 characters, not only whitespace.",
            json_schema_extra=QUESTION_SCHEMA,
        ),
    ],
    top_k: Annotated[
        int, Query(description=f"How many passages, 1 to {TOP_K_MAX}.", ge=1, le=TOP_K_MAX)
    ] = TOP_K_DEFAULT,
    doc: Annotated[list[str] | None, Query(description="Only this document id (repeatable).")] = None,
    kind: Annotated[list[str] | None, Query(description="Only documents of this kind (repeatable).")] = None,
    source: Annotated[
        str | None, Query(description="Only documents whose author or publisher contains this.")
    ] = None,
    date_from: Annotated[
        str | None,
        Query(
            alias="from",
            pattern=OPTIONAL_DATE,
            description="Only documents dated on or after: YYYY, YYYY-MM or YYYY-MM-DD.",
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            alias="to",
            pattern=OPTIONAL_DATE,
            description="Only documents dated on or before: YYYY, YYYY-MM or YYYY-MM-DD.",
        ),
    ] = None,
) -> Response:
    """The same as POST /ask, for links and browsers; filters as query parameters (an empty
    one, as a plain HTML form sends it, is no filter)."""
    try:
        filters = None
        documents, kinds = [d for d in doc or [] if d], [k for k in kind or [] if k]
        if documents or kinds or source or date_from or date_to:
            filters = FilterSpec(
                documents=documents,
                kinds=kinds,
                source=source or None,
                date_from=date_from or None,
                date_to=date_to or None,
            )
        body = AskRequest(question=q, top_k=top_k, filters=filters)
    except ValidationError as exc:
        raise validation_error(exc, location="query", rename={"question": "q"}) from None
    return await answered(request, body)


def compare_question(request: Request, body: CompareRequest) -> CompareResponse:
    started = time.perf_counter()
    searcher = runtime(request).require_searcher()
    index = searcher.index
    answers = compare_documents(searcher, body.question, body.documents)
    rows = []
    for entry in answers:
        doc = index.documents[entry.document_id]
        outcome = entry.outcome
        rows.append(
            DocumentAnswer(
                document_id=doc.id,
                title=doc.title,
                source=doc.author,
                date=doc.date,
                answer=to_answer(index, entry.hits, outcome),
                reason=outcome.reason if isinstance(outcome, Abstention) else None,
                passages=to_passages(request, index, entry.hits),
            )
        )
    return CompareResponse(question=body.question, documents=rows, took_ms=elapsed_ms(started))


@router.post("/compare", response_model=CompareResponse, responses=ERROR_RESPONSES, tags=["search"])
def compare_route(request: Request, body: CompareRequest) -> CompareResponse:
    """Put one question to each document (all, or the chosen ones): its best answer with its
    citation, or null where the document does not address it; oldest document first."""
    return compare_question(request, body)


def check_quote(request: Request, body: QuoteRequest) -> QuoteResponse:
    started = time.perf_counter()
    index = runtime(request).require_searcher().index
    verdict, found = QuoteChecker(index).check(body.text)
    base = view_base(request)
    matches = []
    for m in found:
        doc = index.documents[m.document_id]
        url = citation_url(base, doc.id, m.sentence_start, m.sentence_end)
        matches.append(
            QuoteMatch(
                document_id=doc.id,
                title=doc.title,
                start=m.start,
                end=m.end,
                similarity=m.similarity,
                found=doc.text[m.start : m.end],
                differences=[Difference(quoted=d.quoted, text=d.text) for d in m.differences],
                context=doc.text[m.sentence_start : m.sentence_end],
                context_start=m.sentence_start,
                url=marked(url, m.start, m.end),
            )
        )
    return QuoteResponse(
        text=body.text,
        verdict=verdict,
        matches=matches,
        took_ms=elapsed_ms(started),
    )


@router.post("/quote", response_model=QuoteResponse, responses=ERROR_RESPONSES, tags=["search"])
def quote_route(request: Request, body: QuoteRequest) -> QuoteResponse:
    """Where a quotation occurs in the texts: verbatim (after normalising case, whitespace,
    quotes, dashes and ellipses), nearly verbatim (the differing words marked), or not at all."""
    return check_quote(request, body)


def _summary(index: IndexData, doc_id: str, chunk_counts: dict[str, int]) -> DocumentSummary:
    meta = index.documents[doc_id].metadata()
    return DocumentSummary(**meta, chunks=chunk_counts[doc_id])


@router.get("/documents", response_model=DocumentList, responses=ERROR_RESPONSES, tags=["documents"])
def list_documents(request: Request) -> DocumentList:
    """Every indexed document with its metadata and number of passages."""
    index = runtime(request).require_searcher().index
    counts = index.chunk_counts
    return DocumentList(documents=[_summary(index, d, counts) for d in index.document_order])


@router.get(
    "/documents/{document_id}", response_model=DocumentDetail, responses=ERROR_RESPONSES, tags=["documents"]
)
def get_document(request: Request, document_id: str) -> DocumentDetail:
    """One document's metadata and its full stored text: ``text[start:end]`` of any citation
    is the cited passage."""
    index = runtime(request).require_searcher().index
    if document_id not in index.documents:
        raise DocumentNotFound(f"no document with id {document_id!r}; GET /documents lists the ids")
    summary = _summary(index, document_id, index.chunk_counts)
    return DocumentDetail(**summary.model_dump(), text=index.documents[document_id].text)


@router.get("/health", response_model=Health, tags=["operations"])
def health(request: Request) -> Health:
    """Liveness, with what is loaded. Status is 'degraded' (still 200) without an index."""
    rt = runtime(request)
    if rt.searcher is None:
        return Health(
            status="degraded",
            documents=0,
            chunks=0,
            model=rt.settings.model,
            answer_model=describe(rt),
            index_built_at=None,
            index_error=rt.index_error,
        )
    manifest = rt.searcher.index.manifest
    return Health(
        status="ok",
        documents=manifest.counts.documents,
        chunks=manifest.counts.chunks,
        model=manifest.model.id,
        query_encoder=rt.embedder.runtime,
        reranker=rt.reranker.model_id if rt.reranker else None,
        answer_model=describe(rt),
        index_built_at=manifest.built_at,
        reload_error=request.app.state.reloader.error,
    )


def describe(rt: Runtime) -> str | None:
    """The answer model's name, the abstention threshold in force, whether it refuses an answer
    that lacks the count or time (and the sum, share, person, place, body, speaker, day, title,
    given name or office holder) asked for, or that says nothing the question does not, negates
    nothing asked about what is not so, states another year or number than the one given or
    states the opposite of what is asked about, and the reader it consults."""
    model = rt.answer_model
    if model is None:
        return None
    threshold = model.threshold_for(rt.settings.abstain_threshold)
    refusal = ""
    if model.refuses_unmet_type_at(threshold):
        kinds, tagger = ["count", "time"], ""
        if model.names is not None:
            kinds += ["sum", "share"] if model.refuse_unmet_amount else []
            kinds += ["person", "place", "body"] if model.refuse_unmet_name else []
            kinds += ["speaker"] if model.refuse_unmet_speaker else []
            kinds += ["day", "title", "given name", "office holder"] if model.refuse_unmet_detail else []
            tagger = f" (tagged by {model.names.name})"
        refusal = f", refusing an answer without the {', '.join(kinds[:-1])} or {kinds[-1]} asked for{tagger}"
        states = [
            "says nothing the question does not",
            *(["negates nothing asked about what is not so"] if model.refuse_unmet_negation else []),
            *(
                ["states another year or number than the one given"]
                if model.names is not None and model.refuse_unmet_number
                else []
            ),
            *(["states the opposite of what is asked about"] if model.refuse_unmet_opposite else []),
        ]
        if states:
            last = states.pop()
            refusal += " or that " + (f"{', '.join(states)} or {last}" if states else last)
    if model.refuses_off_topic_at(threshold):
        refusal += (
            f", refusing as off-topic a question no top passage comes within {model.topic_floor:.3f} of"
        )
    reader = f", reading the best {model.read_top} with {model.reader.name}" if model.reader else ""
    return f"{model.name} (threshold {threshold:.3f}{refusal}{reader})"


@router.get("/ready", response_model=Health, responses=ERROR_RESPONSES, tags=["operations"])
def ready(request: Request) -> Health:
    """Readiness: 200 once an index is loaded and searches are served, 503 until then
    (unlike /health, which answers 200 whenever the process is alive)."""
    if runtime(request).searcher is None:
        raise IndexUnavailable(runtime(request).index_error or "no index loaded")
    return health(request)


@router.get("/metrics", tags=["operations"], response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics: request counts and latency histograms per route, index size and
    build time, readiness."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
