"""Building an index from the corpus folder: read, chunk, embed, write, publish atomically.

Run as ``hsqa-build-index`` or ``python scripts/build_index.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from service.analysis import analyze, build_bm25
from service.config import Settings
from service.errors import IndexUnavailable
from service.ingest.chunking import ChunkedDocument, Span, chunk_document
from service.ingest.corpus import CorpusReport, load_corpus
from service.ingest.embed_cache import EmbeddingCache, entry_key
from service.ingest.sentence_facts import build_facts
from service.manifest import FORMAT_VERSION, Changes, Counts, DocumentEntry, Manifest, ModelInfo
from service.models.embedding import Embedder, Encoder
from service.models.onnx_embedding import INT8_FILE, ONNX_DIR, OnnxEmbedder, exported_for
from service.models.onnx_embedding import export as export_onnx
from service.models.ray_encoder import BATCH_SIZE as RAY_BATCH_SIZE
from service.models.ray_encoder import LOCAL, RayUnavailable
from service.records import ChunkRecord, Document
from service.store import BUILDS, open_sentence_vectors, publish, read_manifest, write_build
from service.tables import ChunkTable
from service.vector_index import build_vector_index

log = logging.getLogger("hsqa.indexer")


def metadata_hash(doc: Document) -> str:
    meta = json.dumps(doc.metadata(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(meta.encode("utf-8")).hexdigest()


def embedding_signature(settings: Settings) -> dict[str, Any]:
    """Everything besides a document's text that changes its vectors, the index format
    included: a new chunker (a format bump) re-embeds, so cached vectors of old passage
    boundaries are never reused. The key of the embedding cache."""
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "chunking": settings.chunking.model_dump(),
        "embed_context": settings.embed_context,
    }


def build_signature(settings: Settings) -> dict[str, Any]:
    """Everything besides the texts that changes what an index holds: the vectors' signature
    and what BM25 reads (changing that rebuilds the index but re-embeds nothing)."""
    return {**embedding_signature(settings), "bm25_context_sentences": settings.bm25_context_sentences}


#: A document's content hashes: its stored text's and its catalogue entry's.
Hashes = tuple[str, str]


def content_hashes(entries: dict[str, DocumentEntry]) -> dict[str, Hashes]:
    return {d: (e.sha256, e.metadata_sha256) for d, e in entries.items()}


def document_changes(before: dict[str, Hashes], now: dict[str, Hashes]) -> dict[str, list[str]]:
    """Documents added, changed (text or metadata) and removed between two builds' content
    hashes: the one comparison of content hashes."""
    return {
        "added": sorted(set(now) - set(before)),
        "changed": sorted(d for d in now if d in before and before[d] != now[d]),
        "removed": sorted(set(before) - set(now)),
    }


def stale_reason(settings: Settings, documents: list[Document]) -> str | None:
    """Why the published index does not match the corpus and settings, or None if it does."""
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexUnavailable as exc:
        return str(exc)
    if manifest.signature != build_signature(settings):
        return "model, chunking or BM25 settings or the index format changed"
    now = {d.id: (d.sha256, metadata_hash(d)) for d in documents}
    changes = document_changes(content_hashes(manifest.documents), now)
    changed = sorted(d for ids in changes.values() for d in ids)
    return f"corpus changed ({', '.join(changed)})" if changed else None


def embedding_text(doc: Document, section: str | None, text: str, with_context: bool) -> str:
    """What the model reads for a passage: the cited text, optionally after its title and
    section, so that a passage about 'the Commission' still knows which document it is in."""
    if not with_context:
        return text
    head = doc.title if not section or section == doc.title else f"{doc.title} — {section}"
    return f"{head}\n{text}"


def lexical_text(doc: Document, sentences: list[Span], first: int, passage: str, before: int) -> str:
    """What BM25 reads for a passage: the ``before`` sentences that precede it in the document,
    then the passage (as embedded). The cited text is unchanged. A passage often starts in
    the middle of a speech, an interview or a list, and the sentence before it says who is
    speaking or what is listed (measured: BENCHMARKS.md, 'preceding sentences for BM25')."""
    context = " ".join(doc.text[s.start : s.end] for s in sentences[max(first - before, 0) : first])
    return f"{context}\n{passage}" if context else passage


def indexing_encoder(settings: Settings) -> Encoder:
    """onnxruntime on every core when the model has a verified ONNX export (made now if it
    or its int8 copy is missing: the same vectors, ~1.3x faster on passages), else torch."""
    if not settings.onnx:
        return Embedder(settings.model, settings.embed_batch_size)
    folder = exported_for(settings.index_dir, settings.model)
    if folder is None or not (folder / INT8_FILE).exists():
        torch_embedder = Embedder(settings.model, settings.embed_batch_size)
        if not export_onnx(torch_embedder, settings.index_dir / ONNX_DIR):
            return torch_embedder
        folder = settings.index_dir / ONNX_DIR
    return OnnxEmbedder(folder, threads=os.cpu_count() or 1)


def _remove_abandoned_builds(builds: Path) -> None:
    for tmp in builds.glob(".tmp-*"):
        pid = int(tmp.name.split("-")[1]) if tmp.name.split("-")[1].isdigit() else 0
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError, OverflowError):
            shutil.rmtree(tmp, ignore_errors=True)


def _changes(settings: Settings, per_doc: dict[str, DocumentEntry]) -> dict[str, list[str]]:
    """Documents added, changed and removed since the published index (all added if none)."""
    try:
        before = content_hashes(read_manifest(settings.index_dir).documents)
    except IndexUnavailable:
        before = {}
    return document_changes(before, content_hashes(per_doc))


#: How a build reads its corpus (settings, progress bars): the documents and what was skipped,
#: and each kept document's passages where the reader cut them too (a cluster), else None.
CorpusReader = Callable[[Settings, bool], tuple[CorpusReport, Sequence[ChunkedDocument] | None]]


def read_here(settings: Settings, progress: bool) -> tuple[CorpusReport, None]:
    """The plain build's reader: this process reads; ``chunk_corpus`` cuts."""
    return load_corpus(settings.corpus_dir, progress=progress), None


def read_on_ray(settings: Settings, progress: bool) -> tuple[CorpusReport, Sequence[ChunkedDocument]]:
    """``--ray``'s reader: Ray Data tasks read and cut the files (``service.ingest.ray_reading``)."""
    from service.ingest.ray_reading import read_corpus_on_ray

    return read_corpus_on_ray(settings.corpus_dir, settings.chunking, progress=progress)


@dataclass
class ChunkedCorpus:
    """The corpus cut into passages and sentences, with what BM25 reads of each passage."""

    chunks: list[ChunkRecord]
    sentences: np.ndarray  # (n, 3) int64: document ordinal, start, end
    bm25_inputs: list[str]
    per_doc: dict[str, DocumentEntry]
    spans: list[tuple[int, int, int, int]]  # per document: first and last+1 chunk, sentence

    def texts_to_embed(self, doc: Document, ordinal: int, with_context: bool) -> tuple[list[str], list[str]]:
        """What the model reads for one document: its passages (see ``embedding_text``), then
        its sentences."""
        c0, c1, s0, s1 = self.spans[ordinal]
        passages = [
            embedding_text(doc, c.section, doc.text[c.start : c.end], with_context)
            for c in self.chunks[c0:c1]
        ]
        return passages, [doc.text[start:end] for _, start, end in self.sentences[s0:s1].tolist()]


def chunk_corpus(
    docs: list[Document], settings: Settings, progress: bool, chunked: Sequence[ChunkedDocument] | None = None
) -> ChunkedCorpus:
    """The corpus's passages and sentences; ``chunked`` holds each document's, when they were
    cut elsewhere (on a cluster), else they are cut here."""
    chunks: list[ChunkRecord] = []
    sentence_rows: list[np.ndarray] = []
    bm25_inputs: list[str] = []
    per_doc: dict[str, DocumentEntry] = {}
    spans: list[tuple[int, int, int, int]] = []
    base = 0
    for ordinal, doc in enumerate(
        tqdm(docs, desc="chunking", unit="doc", disable=not progress or chunked is not None)
    ):
        cut = chunked[ordinal] if chunked is not None else chunk_document(doc, settings.chunking)
        sentence_rows.append(
            np.array([(ordinal, s.start, s.end) for s in cut.sentences], dtype=np.int64).reshape(-1, 3)
        )
        spans.append((len(chunks), len(chunks) + len(cut.chunks), base, base + len(cut.sentences)))
        for c in cut.chunks:
            chunks.append(
                ChunkRecord(
                    doc.id, c.section, c.start, c.end, base + c.first_sentence, base + c.last_sentence
                )
            )
            passage = embedding_text(doc, c.section, doc.text[c.start : c.end], settings.embed_context)
            bm25_inputs.append(
                lexical_text(doc, cut.sentences, c.first_sentence, passage, settings.bm25_context_sentences)
            )
        base += len(cut.sentences)
        per_doc[doc.id] = DocumentEntry(
            file=doc.file,
            sha256=doc.sha256,
            metadata_sha256=metadata_hash(doc),
            chunks=len(cut.chunks),
            sentences=len(cut.sentences),
        )
    sentences = np.concatenate(sentence_rows) if sentence_rows else np.zeros((0, 3), dtype=np.int64)
    return ChunkedCorpus(chunks, sentences, bm25_inputs, per_doc, spans)


def fill_vectors(
    corpus: ChunkedCorpus,
    docs: list[Document],
    settings: Settings,
    embedder: Encoder,
    cache: EmbeddingCache,
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    full: bool,
    progress: bool,
) -> tuple[list[int], float]:
    """Write every document's vectors into ``chunk_vectors`` and ``sentence_vectors``: from the
    cache where it holds them (unless ``full``), else embedded, all missing documents in one
    encoder call (a cluster starts its workers once). Returns the embedded documents' ordinals
    and the seconds embedding took."""
    signature = embedding_signature(settings)
    keys = [
        entry_key(
            signature, d.sha256, corpus.per_doc[d.id].metadata_sha256 if settings.embed_context else None
        )
        for d in docs
    ]
    missing = []
    for i, key in enumerate(keys):
        c0, c1, s0, s1 = corpus.spans[i]
        hit = None if full else cache.get(key)
        if hit is not None and (len(hit[0]), len(hit[1])) == (c1 - c0, s1 - s0):
            chunk_vectors[c0:c1], sentence_vectors[s0:s1] = hit
        else:
            missing.append(i)
    log.info(
        "embedding %d of %d documents (%d reused from the cache)",
        len(missing),
        len(docs),
        len(docs) - len(missing),
    )
    started = time.perf_counter()
    texts = [corpus.texts_to_embed(docs[i], i, settings.embed_context) for i in missing]
    passages = [t for passages, _ in texts for t in passages]
    embedded = embedder.encode(passages + [t for _, sentences in texts for t in sentences], progress=progress)
    seconds = time.perf_counter() - started
    new_chunks, new_sentences = embedded[: len(passages)], embedded[len(passages) :]
    c_at = s_at = 0
    for i in missing:
        c0, c1, s0, s1 = corpus.spans[i]
        chunk_vectors[c0:c1] = new_chunks[c_at : c_at + c1 - c0]
        sentence_vectors[s0:s1] = new_sentences[s_at : s_at + s1 - s0]
        cache.put(keys[i], chunk_vectors[c0:c1], sentence_vectors[s0:s1])
        c_at, s_at = c_at + c1 - c0, s_at + s1 - s0
    return missing, seconds


def build_index(
    settings: Settings,
    embedder: Encoder | None = None,
    progress: bool = True,
    full: bool = False,
    reader: CorpusReader = read_here,
) -> Manifest:
    """Build and publish an index; returns its manifest (with what changed and what was
    skipped). Only documents whose text, metadata or build settings changed are embedded
    again, unless ``full``."""
    started = time.perf_counter()
    report, chunked = reader(settings, progress)
    docs = report.documents
    if not docs:
        raise ValueError(
            f"no readable texts in {settings.corpus_dir} (skipped: {report.skipped or 'none'}); "
            "add .txt or .md files; the published index was left as it was"
        )
    embedder = embedder or indexing_encoder(settings)
    signature = build_signature(settings)
    cache = EmbeddingCache(settings.index_dir)
    corpus = chunk_corpus(docs, settings, progress, chunked)
    dim = embedder.dimension
    builds = settings.index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(builds)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = builds / f".tmp-{os.getpid()}-{build_id}"
    tmp.mkdir()
    try:
        chunk_vectors = np.empty((len(corpus.chunks), dim), dtype=np.float32)
        # Sentence vectors go straight into the build's file: at millions of sentences they
        # would not fit in memory twice (as cache entries and as one array).
        sentence_vectors = open_sentence_vectors(tmp, len(corpus.sentences), dim)
        missing, embed_seconds = fill_vectors(
            corpus, docs, settings, embedder, cache, chunk_vectors, sentence_vectors, full, progress
        )
        bm25_tokens = analyze(corpus.bm25_inputs)
        corpus.bm25_inputs.clear()
        bm25 = build_bm25(bm25_tokens)
        facts = build_facts(docs, corpus.sentences, corpus.chunks, bm25_tokens)
        del bm25_tokens
        chunk_index, vector_index = build_vector_index(chunk_vectors, settings)
        manifest = Manifest(
            model=ModelInfo(id=settings.model, dimension=dim, max_seq_length=embedder.max_seq_length),
            signature=signature,
            chunking=settings.chunking.model_dump(),
            embed_context=settings.embed_context,
            documents=corpus.per_doc,
            skipped=report.skipped,
            changes=Changes(**_changes(settings, corpus.per_doc), embedded=[docs[i].id for i in missing]),
            counts=Counts(documents=len(docs), chunks=len(corpus.chunks), sentences=len(corpus.sentences)),
            vector_index=vector_index,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            embed_seconds=round(embed_seconds, 3),
            embed_runtime=embedder.runtime,
        )
        write_build(
            tmp,
            manifest,
            docs,
            ChunkTable.of(corpus.chunks, [d.id for d in docs]),
            chunk_index,
            corpus.sentences,
            sentence_vectors,
            bm25,
            facts,
        )
        final = builds / build_id
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(settings.index_dir, final)
    cache.prune()
    if (
        settings.onnx
        and isinstance(embedder, Embedder)
        and exported_for(settings.index_dir, settings.model) is None
    ):
        export_onnx(embedder, settings.index_dir / ONNX_DIR)
    return manifest


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build the search index from the corpus folder.")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")
    parser.add_argument("--model", help="sentence-transformers model name or local path")
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is current")
    parser.add_argument("--full", action="store_true", help="re-embed every document, ignoring the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    cluster = parser.add_argument_group("Ray (pip install 'hsqa[cluster]')")
    cluster.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        metavar="ADDRESS",
        help="read, chunk and embed on Ray Data tasks and actors: no ADDRESS starts a local Ray "
        "for this build; 'auto' joins the cluster this node belongs to; or host:port of its head. "
        "Corpus and index must be on a path every node sees",
    )
    cluster.add_argument("--ray-gpus", type=int, default=0, metavar="N", help="N actors with one GPU each")
    cluster.add_argument("--ray-actors", type=int, metavar="N", help="CPU actors (default: one per CPU)")
    cluster.add_argument(
        "--ray-batch-size", type=int, default=RAY_BATCH_SIZE, metavar="N", help="texts per actor call"
    )
    return parser.parse_args(argv)


def ray_encoder(settings: Settings, args: argparse.Namespace) -> Encoder:
    """The Ray-backed encoder for ``--ray``: CPU actors run the verified ONNX export (made here
    first, as a plain build would), so the vectors are the plain build's."""
    from service.models.ray_encoder import RayEncoder

    local = indexing_encoder(settings)
    return RayEncoder(
        settings.model,
        local.dimension,
        local.max_seq_length,
        exported_for(settings.index_dir, settings.model),
        address=args.ray,
        actors=args.ray_actors,
        gpus=args.ray_gpus,
        batch_size=args.ray_batch_size,
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    overrides = {
        k: v
        for k, v in {"corpus_dir": args.corpus, "index_dir": args.index, "model": args.model}.items()
        if v
    }
    settings = Settings(**overrides)
    if args.if_stale:
        reason = stale_reason(settings, load_corpus(settings.corpus_dir).documents)
        if reason is None:
            log.info("index at %s is current; nothing to do", settings.index_dir)
            return 0
        log.info("building index: %s", reason)
    try:
        embedder = ray_encoder(settings, args) if args.ray else None
        reader = read_on_ray if args.ray else read_here
        manifest = build_index(settings, embedder, progress=not args.quiet, full=args.full, reader=reader)
    except (ValueError, FileNotFoundError, RayUnavailable) as exc:
        log.error("%s", exc)
        return 1
    counts, skipped, ch = manifest.counts, manifest.skipped, manifest.changes
    print(
        f"indexed {counts.documents} documents, {counts.chunks} passages, {counts.sentences} sentences "
        f"in {manifest.build_seconds:.1f} s; added {len(ch.added)}, changed {len(ch.changed)}, "
        f"removed {len(ch.removed)}, skipped {len(skipped)}; embedded {len(ch.embedded)}"
        + "".join(f"\n  skipped {name}: {why}" for name, why in skipped.items())
        + f"\npublished to {settings.index_dir}",
        file=sys.stderr,
    )
    return 0
