"""Domain errors to HTTP codes, in one place, with one JSON shape for every error:
``{"status": int, "detail": "what went wrong and how to fix it", "errors": [...]}``.

No error body ever carries a stack trace or a file-system path.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import Settings
from service.errors import DocumentNotFound, IndexUnavailable, InvalidFilter
from service.http.schemas import ErrorBody
from service.retrieval.filters import DATE_FORMS

log = logging.getLogger("hsqa.http")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        404: "Unknown document or route.",
        413: "Request body too large.",
        422: "Invalid input; `detail` says which field and why.",
        503: "No index is loaded; `detail` says how to build one.",
    }.items()
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers


def error_response(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(status=status, detail=detail, errors=errors or [])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


#: Fields holding a date filter, and the forms they read (service.retrieval.filters).
DATE_FIELDS = ("from", "to", "date_from", "date_to")


def _field(loc: tuple[Any, ...] | list[Any], rename: dict[str, str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(rename.get(p, p) for p in parts)


def _readable(
    errors: list[dict[str, Any]], rename: dict[str, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """One sentence per problem, e.g. ``top_k: must be at most 20``, plus a JSON-safe list."""
    rename = rename or {}
    lines, clean = [], []
    for err in errors:
        field = _field(err.get("loc", ()), rename)
        kind = err.get("type", "")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if kind == "json_invalid":
            msg = f"request body is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
            field = ""
        elif kind == "missing" and not field:
            msg = 'request body is required: send JSON like {"question": "...", "top_k": 5}'
        elif kind == "string_pattern_mismatch" and field.split(".")[-1] in DATE_FIELDS:
            msg = f"{err.get('input')!r} is not a date; {DATE_FORMS}"
        elif kind == "model_attributes_type" or (kind == "dict_type" and not field):
            msg = 'request body must be a JSON object like {"question": "...", "top_k": 5}'
            field = ""
        lines.append(f"{field}: {msg}" if field else msg)
        clean.append({"field": field or None, "message": msg, "type": kind})
    return "; ".join(lines) or "invalid request", clean


def validation_error(exc: ValidationError, location: str, rename: dict[str, str] | None = None) -> ApiError:
    detail, errors = _readable([dict(e) for e in exc.errors(include_url=False, include_input=False)], rename)
    return ApiError(422, detail, errors)


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not they announce a length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body is larger than the limit of {self.max_bytes} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _readable([dict(e) for e in exc.errors()], {})
        return error_response(422, detail, errors)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not even text: bad input like malformed JSON.
            return error_response(422, "request body is not valid JSON (it is not UTF-8 text)")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path!r}; see /docs for the API"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; /compare and /quote
            # have a JSON route (POST) and a page (GET): name every method the path serves.
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not served at {request.url.path!r}; use {' or '.join(allowed)}"
        return error_response(exc.status_code, detail, headers=headers)

    @app.exception_handler(DocumentNotFound)
    async def _not_found(request: Request, exc: DocumentNotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(InvalidFilter)
    async def _invalid_filter(request: Request, exc: InvalidFilter) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return error_response(503, _without_paths(str(exc)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the operator's log has the details")


_PATH = re.compile(r"(?<![\w.])/[^\s;,'\"()]+")


def _without_paths(message: str) -> str:
    """Index errors name folders for the operator's log; clients get them without paths."""
    return _PATH.sub("<index folder>", message)
