"""Admin endpoints, off unless ``HSQA_ADMIN_TOKEN`` is set; each needs that token as a
bearer token, compared in constant time. The token is never logged or echoed."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from service.http.errors import ERROR_RESPONSES, ApiError
from service.reload import Reloader

router = APIRouter(prefix="/admin", tags=["admin"])

ADMIN_RESPONSES = {
    **ERROR_RESPONSES,
    401: {"model": ERROR_RESPONSES[404]["model"], "description": "Missing or wrong admin token."},
    409: {
        "model": ERROR_RESPONSES[404]["model"],
        "description": "The published index was refused; the old one still serves.",
    },
}


class ReloadResult(BaseModel):
    build: str
    documents: int
    chunks: int


def require_admin(request: Request, authorization: str | None) -> None:
    token = request.app.state.runtime.settings.admin_token
    if token is None:
        raise ApiError(404, "admin endpoints are disabled; set HSQA_ADMIN_TOKEN to enable them")
    scheme, _, supplied = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.encode(), expected):
        raise ApiError(
            401,
            "missing or wrong admin token: send `Authorization: Bearer <HSQA_ADMIN_TOKEN>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.post("/reload", response_model=ReloadResult, responses=ADMIN_RESPONSES)
def reload_index(request: Request, authorization: Annotated[str | None, Header()] = None) -> ReloadResult:
    """Load the index published at the configured folder and swap it in. Requests in flight
    finish on the old index. A broken index is refused (409) and the old one keeps serving."""
    require_admin(request, authorization)
    reloader: Reloader = request.app.state.reloader
    if not reloader.reload():
        raise ApiError(409, reloader.error or "the published index could not be loaded")
    manifest = reloader.runtime.require_searcher().index.manifest
    return ReloadResult(
        build=reloader.runtime.require_searcher().index.path.name,
        documents=manifest.counts.documents,
        chunks=manifest.counts.chunks,
    )
