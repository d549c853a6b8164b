"""The optional second stage: a cross-encoder reads the question together with each of the
first stage's best passages and orders them by its score.

A cross-encoder sees question and passage side by side, so it can tell 'who should be kept
apart after a war' from a passage that merely shares the words; it costs one model call per
candidate, which is why it only reorders the top ``rerank_candidates``. No reranker model ships
with the service (none can be downloaded here): the stage is off unless ``HSQA_RERANKER_MODEL``
names a local sentence-transformers CrossEncoder folder (or a name in the local HF cache).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import service.models.embedding  # noqa: F401 - sets the offline switches before transformers loads


class Reranker:
    """A loaded cross-encoder; inference only, so one instance serves all requests."""

    def __init__(self, model: str, max_length: int = 256, batch_size: int = 32) -> None:
        from sentence_transformers import CrossEncoder

        try:
            self.model = CrossEncoder(model, device="cpu", max_length=max_length, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise OSError(
                f"cannot load reranker model {model!r} without network ({exc.__class__.__name__}): "
                "set HSQA_RERANKER_MODEL to a local sentence-transformers CrossEncoder folder, "
                "or unset it to serve without the reranking stage"
            ) from exc
        self.model_id = model
        self.batch_size = batch_size

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """The model's relevance score of each passage for ``question`` (higher is better)."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        scores = self.model.predict(
            [(question, p) for p in passages], batch_size=self.batch_size, show_progress_bar=False
        )
        return np.asarray(scores, dtype=np.float32).reshape(len(passages), -1)[:, -1]
