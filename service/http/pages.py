"""Server-rendered HTML: the search box at ``/`` and the document view at ``/view/{id}``.

Plain GET forms, so every result has a shareable URL and the page works without JavaScript.
Jinja2 autoescaping renders every piece of corpus text and every query as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from service.errors import IndexUnavailable
from service.http.api import answer_question
from service.http.schemas import QUESTION_MAX_CHARS, TOP_K_MAX, AskRequest
from service.runtime import Runtime

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
PAGE_TOP_K = 10

# No script, style, font or frame from anywhere else; this page may not be framed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


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


@router.get("/", response_class=HTMLResponse, name="search_page")
def search_page(request: Request, q: str = "", top_k: str | None = None) -> HTMLResponse:
    rt: Runtime = request.app.state.runtime
    if not q.strip():
        notice = None if rt.searcher else f"The search index is not loaded: {rt.index_error}"
        return _render(
            request,
            "search.html",
            q="",
            max_chars=QUESTION_MAX_CHARS,
            notice=notice,
            collection=_collection(rt),
        )
    k = min(max(_parse_int(top_k) or PAGE_TOP_K, 1), TOP_K_MAX)
    try:
        body = AskRequest(question=q, top_k=k)
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return _render(
            request,
            "search.html",
            422,
            q=q[:QUESTION_MAX_CHARS],
            max_chars=QUESTION_MAX_CHARS,
            notice=f"The question {message}.",
        )
    try:
        result = answer_question(request, body)
    except IndexUnavailable:
        return _render(
            request,
            "search.html",
            503,
            q=q,
            max_chars=QUESTION_MAX_CHARS,
            notice="The search index is not loaded yet, so nothing can be searched. "
            "An operator can build it with `make index`.",
        )
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
        answer_url = c.url.replace("#passage", f"&as={result.answer.start}&ae={result.answer.end}#passage")
    searcher = rt.require_searcher()
    return _render(
        request,
        "search.html",
        q=q,
        max_chars=QUESTION_MAX_CHARS,
        result=result,
        passages=passages,
        answer_url=answer_url,
        documents=len(searcher.index.documents),
    )


@router.get("/view/{document_id}", response_class=HTMLResponse, name="view_document")
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
