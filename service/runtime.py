"""What a running service holds: the model, and the index it answers from (if any).

Loading happens at start-up (and on reload, see ``service.reload``); requests only read. A
missing or broken index does not stop the service: it stays up, says why on /health, and
answers 503 on searches."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from service.config import Settings
from service.embedding import Embedder
from service.errors import IndexUnavailable
from service.search import Searcher
from service.store import load_index

log = logging.getLogger("hsqa.runtime")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    embedder: Embedder
    searcher: Searcher | None
    index_error: str | None

    @classmethod
    def start(cls, settings: Settings, embedder: Embedder | None = None) -> Runtime:
        """Load the model (unless given) and the published index."""
        embedder = embedder or Embedder(settings.model, settings.embed_batch_size)
        try:
            index = load_index(settings.index_dir, expected_model=settings.model)
        except IndexUnavailable as exc:
            log.error("serving without an index: %s", exc)
            return cls(settings, embedder, None, str(exc))
        if index.manifest["model"]["dimension"] != embedder.dimension:
            error = (
                f"index vectors have dimension {index.manifest['model']['dimension']} but model "
                f"{settings.model!r} makes {embedder.dimension}; rebuild the index"
            )
            log.error("%s", error)
            return cls(settings, embedder, None, error)
        return cls(settings, embedder, Searcher(index, embedder, settings), None)

    def require_searcher(self) -> Searcher:
        if self.searcher is None:
            raise IndexUnavailable(self.index_error or "no index loaded")
        return self.searcher
