"""The JSON API: a thin layer that validates input, calls the core and shapes the output."""

from __future__ import annotations

import time
from bisect import bisect_right
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
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
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    Health,
    Passage,
)
from service.retrieval.search import SearchResult
from service.runtime import Runtime
from service.store import IndexData

router = APIRouter()


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def citation_url(view_base: str, document_id: str, start: int, end: int) -> str:
    return f"{view_base}{quote(document_id, safe='')}?start={start}&end={end}#passage"


def view_base(request: Request) -> str:
    """The document view's URL up to the document id (route lookup is slow: once per request)."""
    return str(request.url_for("view_document", document_id="_")).removesuffix("_")


def to_response(request: Request, index: IndexData, result: SearchResult, started: float) -> AskResponse:
    passages = []
    base = view_base(request)
    for hit in result.hits:
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
    answer = None
    if result.answer is not None:
        a = result.answer
        doc = index.document_of(result.hits[a.passage].chunk)
        answer = Answer(
            text=doc.text[a.start : a.end],
            passage=a.passage,
            start=a.start,
            end=a.end,
            score=round(a.score, 6),
        )
    return AskResponse(
        question=result.question,
        answer=answer,
        unknown_terms=result.unknown_terms,
        passages=passages,
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def answer_question(request: Request, body: AskRequest) -> AskResponse:
    started = time.perf_counter()
    searcher = runtime(request).require_searcher()
    result = searcher.search(body.question, body.top_k)
    return to_response(request, searcher.index, result, started)


def rendered(response: AskResponse) -> Response:
    """JSON of a response that is an ``AskResponse`` by construction: FastAPI's second
    validation of a returned model would only add latency (~1 ms per /ask, measured)."""
    return Response(response.model_dump_json(), media_type="application/json")


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES, tags=["search"])
def ask(request: Request, body: AskRequest) -> Response:
    """Answer a question: ranked passages with citations, and the best answer sentence."""
    return rendered(answer_question(request, body))


@router.get("/search", response_model=AskResponse, responses=ERROR_RESPONSES, tags=["search"])
def search(
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
) -> Response:
    """The same as POST /ask, for links and browsers."""
    try:
        body = AskRequest(question=q, top_k=top_k)
    except ValidationError as exc:
        raise validation_error(exc, location="query", rename={"question": "q"}) from None
    return rendered(answer_question(request, body))


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
    """The answer model's name and the abstention threshold in force."""
    model = rt.answer_model
    if model is None:
        return None
    threshold = model.threshold if rt.settings.abstain_threshold is None else rt.settings.abstain_threshold
    return f"{model.name} (threshold {threshold:.3f})"


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
