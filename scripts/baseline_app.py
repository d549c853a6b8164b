"""The field's default way to build this, as the benchmark's yardstick: sentence-transformers
(torch) + FAISS + FastAPI, dense search only, no BM25, no answer sentence.

It serves the same passages from the same index folder (``HSQA_INDEX_DIR``) so that
``scripts/bench.py`` can compare throughput side by side. Not part of the service.
Run: ``uvicorn --app-dir scripts baseline_app:app``.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sentence_transformers import SentenceTransformer

from service.models.embedding import resolve_model_path
from service.store import load_index, read_manifest, resolve_build

build = resolve_build(Path(os.environ["HSQA_INDEX_DIR"]))
model = SentenceTransformer(resolve_model_path(read_manifest(build).model.id))
index = faiss.read_index(str(build / "chunks.faiss"))
stored = load_index(build)  # for the passage texts only: the yardstick holds them as a list
passages = [stored.chunk_text(i) for i in range(len(stored.chunks))]

app = FastAPI()


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    top_k: int = Field(5, ge=1, le=20)


@app.post("/ask")
def ask(body: Question) -> dict[str, object]:
    vector = model.encode([body.question], normalize_embeddings=True)
    scores, ids = index.search(vector, body.top_k)
    return {
        "question": body.question,
        "passages": [
            {"text": passages[i], "score": float(s)} for s, i in zip(scores[0], ids[0], strict=True) if i >= 0
        ],
    }


@app.get("/ready")
def ready() -> dict[str, str]:
    return {"status": "ok"}
