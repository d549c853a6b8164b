"""The index on disk: a directory with a manifest beside the arrays it describes.

Layout of one build (``index/builds/<build id>/``)::

    manifest.json        format version, model, chunking, per-document hashes, counts
    documents.sqlite     row i: catalogue entry and full stored text of document i
    chunks.npy           row i: document, section, offsets and sentence range of passage i
    sections.json        the section titles ``chunks.npy`` refers to
    chunks.faiss         normalised chunk vectors; row i is chunk i (inner product = cosine):
                         exact or approximate (HNSW, IVF) by size, see ``service.vector_index`` and the
                         manifest's ``vector_index``
    sentences.npy        int64 rows (document ordinal, start, end), one per sentence
    sentence_vectors.npy float32 normalised sentence vectors, row-aligned with sentences.npy
    bm25/                bm25s index over the same chunks (line-aligned)
    facts/               word tables, document frequencies and sentence facts (``service.facts``)

``index/current`` is a symbolic link to the published build. Publishing writes a whole new
build directory first and then replaces the link with ``os.replace``, which is atomic: a
reader sees the old build or the new one, never a half-written one.

Passages, vectors, sentence vectors, BM25 arrays and fact tables are read memory-mapped, and
texts are read from SQLite when a question needs them (``service.tables``): loading costs little
however large the index, and worker processes share one copy through the page cache. A
build that was unlinked by a newer publish stays readable while a process still maps it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import faiss
import numpy as np

from service.errors import IndexUnavailable
from service.facts import Facts
from service.manifest import BUILD_HINT, MANIFEST, Manifest
from service.records import Document
from service.tables import DOCUMENTS_FILE, ChunkTable, DocumentStore, mapped_rows, write_documents
from service.vector_index import read_vector_index, write_vector_index

CURRENT = "current"
BUILDS = "builds"


@dataclass
class IndexData:
    """Everything one published build holds, loaded and cross-checked."""

    path: Path
    manifest: Manifest
    documents: Mapping[str, Document]  # a DocumentStore once loaded: texts read on demand
    chunks: ChunkTable
    chunk_index: faiss.Index
    sentences: np.ndarray  # (n, 3) int64: document ordinal, start, end
    sentence_vectors: np.ndarray  # (n, dim) float32
    bm25: bm25s.BM25
    facts: Facts
    document_order: list[str]

    def chunk_text(self, i: int) -> str:
        c = self.chunks[i]
        return self.documents[c.document_id].text[c.start : c.end]

    def document_of(self, chunk: int) -> Document:
        """The document passage ``chunk`` comes from."""
        return self.documents[self.chunks[chunk].document_id]

    def sentence_text(self, row: int) -> str:
        ordinal, start, end = self.sentences[row].tolist()
        return self.documents[self.document_order[ordinal]].text[start:end]

    @cached_property
    def ordinal_of(self) -> dict[str, int]:
        """Each document's position in the build (the first column of ``sentences``)."""
        return {d: i for i, d in enumerate(self.document_order)}

    @cached_property
    def chunk_ranges(self) -> dict[str, tuple[int, int]]:
        """Each document's passages [first, last): a build stores them contiguously."""
        return self.chunks.document_ranges()

    @cached_property
    def chunk_counts(self) -> dict[str, int]:
        """Passages per document, counted once per loaded index (pages and /documents ask
        on every request). Read-only by convention."""
        ranges = self.chunk_ranges
        return {d: ranges[d][1] - ranges[d][0] if d in ranges else 0 for d in self.documents}


SENTENCE_VECTORS = "sentence_vectors.npy"


def open_sentence_vectors(build_dir: Path, rows: int, dim: int) -> np.memmap:
    """The build's sentence vectors file, created at its full size and mapped for writing: a
    builder fills it in place instead of holding every vector in memory."""
    return np.lib.format.open_memmap(
        build_dir / SENTENCE_VECTORS, mode="w+", dtype=np.float32, shape=(rows, dim)
    )


def write_build(
    build_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: ChunkTable,
    chunk_index: faiss.Index,
    sentences: np.ndarray,
    sentence_vectors: np.memmap,
    bm25: bm25s.BM25,
    facts: Facts,
) -> None:
    """Write one complete build into ``build_dir``, where ``open_sentence_vectors`` made the
    sentence vectors file the builder filled (``sentence_vectors``: flushed here)."""
    write_documents(build_dir / DOCUMENTS_FILE, documents)
    chunks.save(build_dir)
    write_vector_index(chunk_index, build_dir / "chunks.faiss")
    np.save(build_dir / "sentences.npy", sentences.astype(np.int64))
    sentence_vectors.flush()
    bm25.save(str(build_dir / "bm25"), show_progress=False)
    facts.save(build_dir)
    # The manifest goes last: a build without one is incomplete and never loaded.
    manifest.write(build_dir)


def publish(index_dir: Path, build_dir: Path) -> Path:
    """Atomically point ``index_dir/current`` at ``build_dir``; drop older builds."""
    link = index_dir / CURRENT
    tmp_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(Path(BUILDS) / build_dir.name, tmp_link)
    os.replace(tmp_link, link)
    for old in (index_dir / BUILDS).iterdir():
        if old.name != build_dir.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return link


def resolve_build(index_dir: Path) -> Path:
    """The build directory an index path refers to: ``current`` or the folder itself."""
    if (index_dir / MANIFEST).exists():
        return index_dir
    current = index_dir / CURRENT
    if current.exists():
        return current.resolve()
    raise IndexUnavailable(f"no index at {index_dir}; {BUILD_HINT}")


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the build an index path refers to (``current`` or the folder itself)."""
    return Manifest.read(resolve_build(index_dir))


def load_index(index_dir: Path, expected_model: str | None = None) -> IndexData:
    """Load and cross-check a published build; refuse anything inconsistent."""
    build = resolve_build(index_dir)
    manifest = read_manifest(index_dir)
    model = manifest.model.id
    if expected_model is not None and model != expected_model:
        raise IndexUnavailable(
            f"index at {build} was built with model {model!r} but the service is configured "
            f"for {expected_model!r}; set HSQA_MODEL={model} or rebuild the index"
        )
    try:
        docs = DocumentStore(build / DOCUMENTS_FILE)
        chunks = ChunkTable.load(build, list(docs))
        chunk_index = read_vector_index(build / "chunks.faiss", manifest.vector_index)
        sentences = mapped_rows(build / "sentences.npy")
        sentence_vectors = mapped_rows(build / SENTENCE_VECTORS)
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=True, show_progress=False, verbosity=0)
        facts = Facts.load(build)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, sqlite3.Error) as exc:
        raise IndexUnavailable(f"index at {build} is damaged ({exc}); {BUILD_HINT}") from exc
    counts = manifest.counts
    dim = manifest.model.dimension
    problems = facts.problems(counts.documents, counts.chunks, counts.sentences)
    if len(docs) != counts.documents:
        problems.append(f"{len(docs)} documents, manifest says {counts.documents}")
    if len(chunks) != counts.chunks or chunk_index.ntotal != len(chunks):
        problems.append(
            f"{len(chunks)} chunks and {chunk_index.ntotal} vectors, manifest says {counts.chunks}"
        )
    if chunk_index.d != dim or sentence_vectors.shape[1:] != (dim,):
        problems.append(f"vector dimension differs from the manifest's {dim}")
    if len(sentences) != counts.sentences or len(sentence_vectors) != len(sentences):
        problems.append(f"{len(sentences)} sentences, {len(sentence_vectors)} sentence vectors")
    if problems:
        raise IndexUnavailable(f"index at {build} is inconsistent: {'; '.join(problems)}; {BUILD_HINT}")
    index = IndexData(
        path=build,
        manifest=manifest,
        documents=docs,
        chunks=chunks,
        chunk_index=chunk_index,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        bm25=bm25,
        facts=facts,
        document_order=list(docs),
    )
    # Derived tables, built here once so that no request builds (or waits on) them.
    _ = index.ordinal_of, index.chunk_ranges, index.chunk_counts
    return index
