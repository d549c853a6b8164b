"""The fast query path gives the same vectors as sentence-transformers, and the service uses
it when the index carries a verified export (torch otherwise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from service.config import ROOT, Settings
from service.embedding import Embedder
from service.evaluation import load_questions
from service.onnx_embedding import OnnxEmbedder, exported_for
from service.runtime import Runtime
from service.store import load_index


def test_onnx_vectors_match_torch(built_index: Path, embedder: Embedder) -> None:
    folder = exported_for(built_index, embedder.model_id)
    assert folder is not None, "building the index should have exported a verified ONNX model"
    index = load_index(built_index)
    texts = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]
    texts += [index.chunk_text(i) for i in range(0, len(index.chunks), 10)]
    onnx = OnnxEmbedder(folder).encode(texts)
    torch = embedder.encode(texts)
    assert onnx.shape == torch.shape
    assert float(np.min(np.sum(onnx * torch, axis=1))) >= 0.9999


def test_the_service_embeds_questions_with_onnx(client: TestClient) -> None:
    assert client.get("/health").json()["query_encoder"] == "onnx"


def test_without_the_export_it_falls_back_to_torch(settings: Settings, tmp_path: Path) -> None:
    assert Runtime.start(settings.model_copy(update={"onnx": False})).embedder.runtime == "torch"
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "onnx.json").write_text('{"model": "other/model", "min_probe_cosine": 1.0}')
    assert exported_for(tmp_path, settings.model) is None
