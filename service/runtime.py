"""What a running service holds: the model, and the index it answers from (if any).

Loading happens at start-up (and on reload, see ``service.reload``); requests only read. A
missing or broken index does not stop the service: it stays up, says why on /health, and
answers 503 on searches."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from service.config import Settings
from service.errors import IndexUnavailable
from service.models.answer_model import BUNDLED, AnswerModel
from service.models.answer_reader import BUNDLED_READER
from service.models.embedding import Embedder, Encoder
from service.models.onnx_embedding import INT8_FILE, OnnxEmbedder, exported_for
from service.models.reranking import Reranker
from service.retrieval.search import Searcher
from service.store import load_index

log = logging.getLogger("hsqa.runtime")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    embedder: Encoder
    searcher: Searcher | None
    index_error: str | None
    reranker: Reranker | None = None
    answer_model: AnswerModel | None = None

    @classmethod
    def start(
        cls,
        settings: Settings,
        embedder: Encoder | None = None,
        reranker: Reranker | None = None,
        answer_model: AnswerModel | None = None,
    ) -> Runtime:
        """Load the models (unless given: ONNX when the index has a verified export, else
        torch; the reranker if one is set) and the published index. A reranker that is set
        but cannot be loaded stops the start: serving without the stage asked for would
        quietly change every ranking."""
        embedder = embedder or load_encoder(settings)
        if reranker is None and settings.reranker_model:
            reranker = Reranker(settings.reranker_model)
        answer_model = answer_model or AnswerModel.load(
            settings.answer_model or BUNDLED, settings.answer_reader or BUNDLED_READER
        )
        try:
            index = load_index(settings.index_dir, expected_model=settings.model)
        except IndexUnavailable as exc:
            log.error("serving without an index: %s", exc)
            return cls(settings, embedder, None, str(exc), reranker, answer_model)
        if index.manifest.model.dimension != embedder.dimension:
            error = (
                f"index vectors have dimension {index.manifest.model.dimension} but model "
                f"{settings.model!r} makes {embedder.dimension}; rebuild the index"
            )
            log.error("%s", error)
            return cls(settings, embedder, None, error, reranker, answer_model)
        searcher = Searcher(index, embedder, settings, answer_model, reranker)
        return cls(settings, embedder, searcher, None, reranker, answer_model)

    def require_searcher(self) -> Searcher:
        if self.searcher is None:
            raise IndexUnavailable(self.index_error or "no index loaded")
        return self.searcher


def load_encoder(settings: Settings) -> Encoder:
    folder = exported_for(settings.index_dir, settings.model) if settings.onnx else None
    if folder is not None:
        model_file = "model.onnx"
        if settings.query_int8:
            if (folder / INT8_FILE).exists():
                model_file = INT8_FILE
            else:
                log.warning(
                    "query_int8 is set but the export has no int8 copy; "
                    "rebuild the index (hsqa-build-index) to make one"
                )
        try:
            return OnnxEmbedder(folder, threads=settings.onnx_threads, model_file=model_file)
        except Exception as exc:  # noqa: BLE001 - a damaged export must not stop the service
            log.warning("cannot use the ONNX export (%s); questions are embedded with torch", exc)
    return Embedder(settings.model, settings.embed_batch_size)
