"""The app factory: ``create_app(settings)`` wires the JSON API, the pages and the error
handlers; the model and index load once, in the lifespan, onto ``app.state.runtime``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from service import api, pages
from service.config import Settings
from service.http_errors import install_error_handlers
from service.runtime import Runtime

# Sent with every response; the pages add a strict Content-Security-Policy of their own.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, reading ``settings`` (default: from HSQA_* environment variables)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime.start(settings)
        yield

    # FastAPIOffline serves the /docs assets from the package instead of a CDN: no network here.
    app = FastAPIOffline(
        title="Human security QA",
        summary="Ask questions about human security; get cited passages and the answering sentence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app, settings)

    @app.middleware("http")
    async def common_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in COMMON_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
