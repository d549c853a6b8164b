"""Helpers shared by the tests: where the real corpus and the test data live, and how to read
a JSONL question set, a small index built without the model. Fixtures stay in
``conftest.py``; plain helpers live here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from service.analysis import analyze, build_bm25
from service.config import ROOT, ChunkingSettings
from service.ingest.chunking import chunk_text
from service.ingest.sentence_facts import build_facts
from service.manifest import Changes, Counts, Manifest, ModelInfo
from service.models.embedding import Encoder
from service.records import ChunkRecord, Document
from service.store import IndexData
from service.tables import ChunkTable

DIMENSION = 8  # of the random vectors of ``small_index``

#: A small text with what the answer stage must tell apart: a pronoun that refers back, a
#: paragraph break, a question, a three-word fragment, a colon that introduces a list, a
#: count, a year and a reason.
OGATA_TEXT = (
    "Sadako Ogata led the UN refugee agency for ten years. She said that people must be "
    "protected from sudden downturns.\n\n"
    "It was a new idea in Japanese foreign policy. Why did people need it? They spoke twice.\n\n"
    "The Commission named three priorities:\n"
    "protection, empowerment and solidarity.\n\n"
    "Fifty experts met in 1994 because the crisis of people demanded it."
)
DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = ROOT / "corpus"
OWN_SET = ROOT / "eval" / "questions.jsonl"  # the project's own evaluation set


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def small_index(text: str, title: str = "A small text", overlap_sentences: int = 0) -> IndexData:
    """An index of one document built without the model: the real chunker, analyzer, BM25 and
    fact tables, with random unit vectors (seeded) in place of embeddings. For unit tests of
    what answering computes from an index's texts and tables."""
    doc = Document(id="small", file="small.txt", title=title, text=text)
    chunked = chunk_text(
        text, ChunkingSettings(target_chars=150, max_chars=400, overlap_sentences=overlap_sentences)
    )
    sentences = np.array([(0, s.start, s.end) for s in chunked.sentences], dtype=np.int64).reshape(-1, 3)
    chunks = [
        ChunkRecord(doc.id, c.section, c.start, c.end, c.first_sentence, c.last_sentence)
        for c in chunked.chunks
    ]
    tokens = analyze([text[c.start : c.end] for c in chunks])
    rng = np.random.default_rng(0)

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, DIMENSION)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    chunk_index = faiss.IndexFlatIP(DIMENSION)
    chunk_index.add(unit(len(chunks)))
    manifest = Manifest(
        model=ModelInfo(id="random", dimension=DIMENSION, max_seq_length=0),
        signature={},
        chunking={},
        embed_context=False,
        documents={},
        skipped={},
        changes=Changes(),
        counts=Counts(documents=1, chunks=len(chunks), sentences=len(sentences)),
        vector_index={},
        built_at="2026-01-01T00:00:00+00:00",
        build_seconds=0.0,
        embed_seconds=0.0,
        embed_runtime="none",
    )
    return IndexData(
        path=Path("."),
        manifest=manifest,
        documents={doc.id: doc},
        chunks=ChunkTable.of(chunks, [doc.id]),
        chunk_index=chunk_index,
        sentences=sentences,
        sentence_vectors=unit(len(sentences)),
        bm25=build_bm25(tokens),
        facts=build_facts([doc], sentences, chunks, tokens),
        document_order=[doc.id],
    )


class RememberingEncoder:
    """An encoder that embeds each distinct question once. The evaluation tests ask the same
    questions of several variants of a searcher; embedding is most of each search's time, and
    a question's vector does not depend on the variant. Passages go to the wrapped encoder."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.model_id, self.dimension = encoder.model_id, encoder.dimension
        self.max_seq_length, self.runtime = encoder.max_seq_length, encoder.runtime
        self.vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.encoder.encode(texts, progress)

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self.vectors:
            self.vectors[text] = self.encoder.encode_query(text)
            self.vectors[text].flags.writeable = False
        return self.vectors[text]
