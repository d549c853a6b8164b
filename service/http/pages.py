"""Server-rendered HTML: the search box at ``/`` and the document view at ``/view/{id}``.

Plain GET forms, so every result has a shareable URL and the page works without JavaScript.
Jinja2 autoescaping renders every piece of corpus text and every query as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from service.errors import IndexUnavailable, InvalidFilter
from service.http.api import answer_question, check_quote, compare_question, marked
from service.http.schemas import (
    QUESTION_MAX_CHARS,
    QUOTE_MAX_CHARS,
    TOP_K_MAX,
    AskRequest,
    CompareRequest,
    FilterSpec,
    QuoteRequest,
)
from service.records import Document
from service.runtime import Runtime

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["marked"] = marked
PAGE_TOP_K = 10

# No script, style, font or frame from anywhere else; this page may not be framed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}

# Pages are HTML, outside the JSON contract; the two that share a path with a JSON route
# (GET /compare and GET /quote beside the POSTs) are in the schema, so every method of a
# documented path is documented.
router = APIRouter(tags=["pages"])


@dataclass(frozen=True)
class Part:
    text: str
    mark: str | None = None
    inner: tuple[Part, ...] = ()


def split_marked(text: str, start: int, end: int, mark: str) -> list[Part]:
    """``text`` as unmarked / marked / unmarked parts (empty parts dropped)."""
    parts = [Part(text[:start]), Part(text[start:end], mark), Part(text[end:])]
    return [p for p in parts if p.text]


def _render(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def _parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _collection(rt: Runtime) -> list[dict[str, object]]:
    """The indexed documents, newest first: a first-time visitor's answer to 'what can I ask
    about here?' (empty when no index is loaded)."""
    if rt.searcher is None:
        return []
    index = rt.searcher.index
    counts = index.chunk_counts
    docs = sorted(index.documents.values(), key=lambda d: (d.date or "", d.title), reverse=True)
    return [{"doc": d, "passages": counts.get(d.id, 0)} for d in docs]


def _message(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def _documents_choice(rt: Runtime) -> list[Document]:
    """The documents a search can be narrowed to, oldest first."""
    if rt.searcher is None:
        return []
    return sorted(rt.searcher.index.documents.values(), key=lambda d: (d.date is None, d.date or "", d.title))


NOT_LOADED = (
    "The search index is not loaded yet, so nothing can be searched. "
    "An operator can build it with `make index`."
)


@router.get("/", response_class=HTMLResponse, name="search_page", include_in_schema=False)
def search_page(
    request: Request, q: str = "", top_k: str | None = None, doc: str = "", to: str = ""
) -> HTMLResponse:
    """The search box with its filter row (document, years); the filters live in the URL."""
    rt: Runtime = request.app.state.runtime
    date_from = request.query_params.get("from", "")
    chosen = {"doc": doc, "from": date_from, "to": to}
    form: dict[str, Any] = {
        "max_chars": QUESTION_MAX_CHARS,
        "documents_choice": _documents_choice(rt),
        "chosen": chosen,
    }
    if not q.strip():
        notice = None if rt.searcher else f"The search index is not loaded: {rt.index_error}"
        return _render(request, "search.html", q="", notice=notice, collection=_collection(rt), **form)
    k = min(max(_parse_int(top_k) or PAGE_TOP_K, 1), TOP_K_MAX)
    try:
        filters = None
        if doc or date_from or to:
            filters = FilterSpec(
                documents=[doc] if doc else [], date_from=date_from or None, date_to=to or None
            )
    except ValidationError as exc:
        return _render(request, "search.html", 422, q=q, notice=f"The filter: {_message(exc)}.", **form)
    try:
        body = AskRequest(question=q, top_k=k, filters=filters)
    except ValidationError as exc:
        return _render(
            request,
            "search.html",
            422,
            q=q[:QUESTION_MAX_CHARS],
            notice=f"The question {_message(exc)}.",
            **form,
        )
    try:
        result = answer_question(request, body)
    except IndexUnavailable:
        return _render(request, "search.html", 503, q=q, notice=NOT_LOADED, **form)
    except InvalidFilter as exc:
        return _render(request, "search.html", 422, q=q, notice=f"The filter: {exc}.", **form)
    passages = []
    for i, p in enumerate(result.passages):
        parts = [Part(p.text)]
        if result.answer and result.answer.passage == i:
            rel = result.answer.start - p.citation.start
            parts = split_marked(p.text, rel, rel + len(result.answer.text), "answer")
        passages.append({"citation": p.citation, "parts": parts})
    answer_url = None
    if result.answer:
        c = result.passages[result.answer.passage].citation
        answer_url = marked(c.url, result.answer.start, result.answer.end)
    searcher = rt.require_searcher()
    return _render(
        request,
        "search.html",
        q=q,
        result=result,
        passages=passages,
        answer_url=answer_url,
        documents=len(searcher.index.documents),
        **form,
    )


def _page_request(
    request: Request,
    template: str,
    form: dict[str, Any],
    field: str,
    value: str,
    what: str,
    build: Callable[[str], BaseModel],
    run: Callable[[Request, Any], Any],
) -> Any:
    """The result of a page's one request, or the page itself saying why there is none: 422
    for bad input (the value kept in the form, cut to the limit) or a request the index cannot
    serve as asked (too many texts to compare), 503 without an index."""
    limit = form["max_chars"]
    try:
        body = build(value)
    except ValidationError as exc:
        notice = f"The {what} {_message(exc)}."
        return _render(request, template, 422, **{field: value[:limit]}, notice=notice, **form)
    try:
        return run(request, body)
    except IndexUnavailable:
        return _render(request, template, 503, **{field: value}, notice=NOT_LOADED, **form)
    except InvalidFilter as exc:
        return _render(request, template, 422, **{field: value}, notice=f"{exc}.", **form)


@router.get("/compare", response_class=HTMLResponse, name="compare_page")
def compare_page(request: Request, q: str = "") -> HTMLResponse:
    """One question put to every text: a column each, oldest first."""
    form: dict[str, Any] = {"max_chars": QUESTION_MAX_CHARS}
    if not q.strip():
        return _render(request, "compare.html", q="", **form)
    result = _page_request(
        request,
        "compare.html",
        form,
        "q",
        q,
        "question",
        lambda v: CompareRequest(question=v),
        compare_question,
    )
    if isinstance(result, HTMLResponse):
        return result
    return _render(request, "compare.html", q=q, result=result, **form)


@router.get("/quote", response_class=HTMLResponse, name="quote_page")
def quote_page(request: Request, text: str = "") -> HTMLResponse:
    """Where a quotation occurs: each match in its sentence, the matching words marked, and
    a link to the document with the match highlighted."""
    form: dict[str, Any] = {"max_chars": QUOTE_MAX_CHARS}
    if not text.strip():
        return _render(request, "quote.html", text="", **form)
    result = _page_request(
        request, "quote.html", form, "text", text, "quotation", lambda v: QuoteRequest(text=v), check_quote
    )
    if isinstance(result, HTMLResponse):
        return result
    matches = [
        {
            **m.model_dump(),
            "parts": split_marked(m.context, m.start - m.context_start, m.end - m.context_start, "quote"),
        }
        for m in result.matches
    ]
    return _render(request, "quote.html", text=text, result=result, matches=matches, **form)


@router.get("/view/{document_id}", response_class=HTMLResponse, name="view_document", include_in_schema=False)
def view_document(
    request: Request, document_id: str, start: str | None = None, end: str | None = None
) -> HTMLResponse:
    """The whole stored text, the cited range (``start``, ``end``) marked and scrolled to, and
    inside it the answer sentence (``as``, ``ae``) if given."""
    rt: Runtime = request.app.state.runtime
    if rt.searcher is None:
        return _render(
            request,
            "error.html",
            503,
            code=503,
            heading="Index not loaded",
            message="The search index is not loaded, so no document can be shown.",
        )
    doc = rt.searcher.index.documents.get(document_id)
    if doc is None:
        return _render(
            request,
            "error.html",
            404,
            code=404,
            heading="No such document",
            message=f"There is no document with the id “{document_id}” in this collection.",
        )
    s, e = _parse_int(start), _parse_int(end)
    notice = None
    parts: list[Part] = [Part(doc.text)]
    if s is not None and e is not None:
        if 0 <= s < e <= len(doc.text):
            passage = doc.text[s:e]
            a_s = _parse_int(request.query_params.get("as"))
            a_e = _parse_int(request.query_params.get("ae"))
            inner: tuple[Part, ...] = (Part(passage),)
            if a_s is not None and a_e is not None and s <= a_s < a_e <= e:
                inner = tuple(split_marked(passage, a_s - s, a_e - s, "answer"))
            parts = [
                p if p.mark is None else Part(p.text, "passage", inner)
                for p in split_marked(doc.text, s, e, "passage")
            ]
        else:
            notice = (
                "The cited range lies outside this document (the index may have been rebuilt); "
                "showing the whole text."
            )
    return _render(request, "document.html", doc=doc, parts=parts, notice=notice)
