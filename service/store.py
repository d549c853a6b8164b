"""The index on disk: a directory with a manifest beside the arrays it describes.

Layout of one build (``index/builds/<build id>/``)::

    manifest.json        format version, model, chunking, per-document hashes, counts
    documents.jsonl      line i: metadata and full stored text of document i
    chunks.jsonl         line i: document, section, offsets and sentence range of chunk i
    chunks.faiss         normalised chunk vectors; row i is chunk i (inner product = cosine):
                         exact or IVF by size, see ``service.vector_index`` and the
                         manifest's ``vector_index``
    sentences.npy        int64 rows (document ordinal, start, end), one per sentence
    sentence_vectors.npy float32 normalised sentence vectors, row-aligned with sentences.npy
    bm25/                bm25s index over the same chunks (line-aligned)
    facts/               word tables, document frequencies and sentence facts (``service.facts``)

``index/current`` is a symbolic link to the published build. Publishing writes a whole new
build directory first and then replaces the link with ``os.replace``, which is atomic: a
reader sees the old build or the new one, never a half-written one.

The vectors, sentence vectors, BM25 arrays and fact tables are read memory-mapped: loading costs little
however large the index, and worker processes share one copy through the page cache. A
build that was unlinked by a newer publish stays readable while a process still maps it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from service.errors import IndexUnavailable
from service.facts import Facts
from service.manifest import BUILD_HINT, MANIFEST, Manifest
from service.vector_index import read_vector_index, write_vector_index

CURRENT = "current"
BUILDS = "builds"


@dataclass(frozen=True)
class Document:
    """A text as stored: exactly as read, with its catalogue entry. Every citation is a pair
    of character offsets into ``text``."""

    id: str
    file: str
    title: str
    text: str
    author: str | None = None
    date: str | None = None
    kind: str = "text"
    url: str | None = None
    note: str | None = None
    pages: tuple[int, ...] | None = None  # start offset of each page, for PDFs

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "file": self.file,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "kind": self.kind,
            "url": self.url,
            "note": self.note,
        }


@dataclass(frozen=True)
class ChunkRecord:
    document_id: str
    section: str | None
    start: int
    end: int
    first_sentence: int  # global sentence row, inclusive
    last_sentence: int  # exclusive


@dataclass
class IndexData:
    """Everything one published build holds, loaded and cross-checked."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[ChunkRecord]
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
        ranges: dict[str, tuple[int, int]] = {}
        for i, c in enumerate(self.chunks):
            first = ranges.get(c.document_id, (i, i))[0]
            ranges[c.document_id] = (first, i + 1)
        return ranges

    @cached_property
    def chunk_counts(self) -> dict[str, int]:
        """Passages per document, counted once per loaded index (pages and /documents ask
        on every request). Read-only by convention."""
        counts = dict.fromkeys(self.documents, 0)
        for c in self.chunks:
            counts[c.document_id] += 1
        return counts


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def write_build(
    build_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[ChunkRecord],
    chunk_index: faiss.Index,
    sentences: np.ndarray,
    sentence_vectors: np.ndarray,
    bm25: bm25s.BM25,
    facts: Facts,
) -> None:
    """Write one complete build into ``build_dir`` (which must not exist yet)."""
    build_dir.mkdir(parents=True)
    _write_jsonl(
        build_dir / "documents.jsonl", [{**d.metadata(), "pages": d.pages, "text": d.text} for d in documents]
    )
    _write_jsonl(build_dir / "chunks.jsonl", [asdict(c) for c in chunks])
    write_vector_index(chunk_index, build_dir / "chunks.faiss")
    np.save(build_dir / "sentences.npy", sentences.astype(np.int64))
    np.save(build_dir / "sentence_vectors.npy", sentence_vectors.astype(np.float32))
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
        docs = [
            Document(**{**row, "pages": tuple(row["pages"]) if row.get("pages") else None})
            for row in _read_jsonl(build / "documents.jsonl")
        ]
        chunks = [ChunkRecord(**row) for row in _read_jsonl(build / "chunks.jsonl")]
        chunk_index = read_vector_index(build / "chunks.faiss", manifest.vector_index)
        sentences = np.load(build / "sentences.npy", mmap_mode="r")
        sentence_vectors = np.load(build / "sentence_vectors.npy", mmap_mode="r")
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=True, show_progress=False, verbosity=0)
        facts = Facts.load(build)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
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
        documents={d.id: d for d in docs},
        chunks=chunks,
        chunk_index=chunk_index,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        bm25=bm25,
        facts=facts,
        document_order=[d.id for d in docs],
    )
    # Derived tables, built here once so that no request builds (or waits on) them.
    _ = index.ordinal_of, index.chunk_ranges, index.chunk_counts
    return index
