"""The app factory: ``create_app(settings)`` wires the JSON API, the pages and the error
handlers; the model and index load once, in the lifespan, onto ``app.state.runtime``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from service.config import Settings
from service.http import admin, api, pages
from service.http.batching import EmbedQuestion, MicroBatcher, one_at_a_time
from service.http.errors import install_error_handlers
from service.http.shedding import LoadShedder
from service.http.telemetry import Metrics, Telemetry
from service.reload import Reloader
from service.runtime import Runtime


def _publish_index_gauges(metrics: Metrics, runtime: Runtime) -> None:
    metrics.ready.set(1 if runtime.searcher else 0)
    if runtime.searcher is None:
        return
    manifest = runtime.searcher.index.manifest
    metrics.documents.set(manifest.counts.documents)
    metrics.chunks.set(manifest.counts.chunks)
    metrics.built.set(datetime.fromisoformat(manifest.built_at).timestamp())


def question_encoder(app: FastAPI) -> Callable[[Sequence[str]], np.ndarray]:
    """One model call for a batch of questions, with the model of the runtime serving at that
    moment, counted in ``hsqa_question_batch_size``: what the plain server's batcher and a Ray
    Serve replica's ``@serve.batch`` both call."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        runtime: Runtime = app.state.runtime
        app.state.metrics.question_batch.observe(len(texts))
        return runtime.require_searcher().embedder.encode(texts)

    return encode


def question_embedder(app: FastAPI, settings: Settings) -> EmbedQuestion:
    """How /ask embeds a question: with those that arrive with it (``HSQA_BATCH_MAX_SIZE`` > 1),
    or alone."""
    encode = question_encoder(app)
    if settings.batch_max_size <= 1:
        return one_at_a_time(lambda text: encode([text])[0])
    return MicroBatcher(encode, settings.batch_max_size, settings.batch_max_wait_ms).embed


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, reading ``settings`` (default: from HSQA_* environment variables)."""
    settings = settings or Settings()
    metrics = Metrics()

    def swap(runtime: Runtime) -> None:
        app.state.runtime = runtime  # one reference: atomic for every request that follows
        _publish_index_gauges(metrics, runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # No local variable may hold the first Runtime: this frame lives as long as the app,
        # and would keep the first index in memory after every reload.
        app.state.reloader = Reloader(Runtime.start(settings), on_swap=swap)
        swap(app.state.reloader.runtime)
        watcher = None
        if settings.reload_poll_seconds > 0:
            watcher = asyncio.create_task(app.state.reloader.watch(settings.reload_poll_seconds))
        yield
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    # FastAPIOffline serves the /docs assets from the package instead of a CDN: no network here.
    app = FastAPIOffline(
        title="Human security QA",
        summary="Ask questions about human security; get cited passages and the answering sentence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.embed_question = question_embedder(app, settings)
    install_error_handlers(app, settings)
    # Shed before a body is read; telemetry, outermost, counts the 503s with the rest.
    app.add_middleware(LoadShedder, limit=settings.max_in_flight)
    app.add_middleware(Telemetry, metrics=metrics, log_questions=settings.log_questions)

    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
