"""Swapping in a newly published index while the service runs, without a failed request.

Requests take the current ``Runtime`` once and finish on it; a reload builds a complete new
``Runtime`` beside it (same model, new index) and then replaces one reference, so requests in
flight finish on the old index and new ones use the new index. The old index is freed when
its last request ends. A build that cannot be loaded is refused: the old index stays and
``error`` says why (on /health).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from service.errors import IndexUnavailable
from service.runtime import Runtime
from service.store import resolve_build

log = logging.getLogger("hsqa.reload")


class Reloader:
    def __init__(self, runtime: Runtime, on_swap: Callable[[Runtime], None]) -> None:
        self.runtime = runtime
        self.error: str | None = None
        self._on_swap = on_swap
        self._lock = threading.Lock()
        self._refused: Path | None = None  # a broken build is reported once, not retried

    def published(self) -> Path | None:
        try:
            return resolve_build(self.runtime.settings.index_dir)
        except IndexUnavailable:
            return None

    def loaded(self) -> Path | None:
        searcher = self.runtime.searcher
        return searcher.index.path if searcher else None

    def reload(self) -> bool:
        """Load the published index and swap it in; False (old index kept) if it is unusable."""
        with self._lock:
            target = self.published()
            current = self.runtime
            fresh = Runtime.start(
                current.settings,
                embedder=current.embedder,
                reranker=current.reranker,
                answer_model=current.answer_model,
            )
            if fresh.searcher is None:
                self.error = f"kept the previous index: {fresh.index_error}"
                self._refused = target
                log.error("reload refused: %s", fresh.index_error)
                return False
            self.runtime = fresh
            self.error = None
            self._refused = None
            self._on_swap(fresh)
            log.info("reloaded index %s", fresh.searcher.index.path.name)
            return True

    def stale(self) -> bool:
        published = self.published()
        return published is not None and published != self.loaded() and published != self._refused

    async def watch(self, interval: float) -> None:
        """Poll the published build every ``interval`` seconds and reload when it changes."""
        while True:
            await asyncio.sleep(interval)
            if self.stale():
                await asyncio.to_thread(self.reload)
