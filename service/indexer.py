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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from service.chunking import chunk_text
from service.config import Settings
from service.corpus import Document, load_corpus
from service.embedding import Embedder
from service.errors import IndexUnavailable
from service.lexical import build_bm25
from service.store import BUILDS, FORMAT_VERSION, ChunkRecord, publish, read_manifest, write_build

log = logging.getLogger("hsqa.indexer")


def metadata_hash(doc: Document) -> str:
    meta = json.dumps(doc.metadata(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(meta.encode("utf-8")).hexdigest()


def build_signature(settings: Settings) -> dict[str, Any]:
    """Everything besides the texts that changes what an index holds."""
    return {
        "model": settings.model,
        "chunking": settings.chunking.model_dump(),
        "embed_context": settings.embed_context,
    }


def stale_reason(settings: Settings, documents: list[Document]) -> str | None:
    """Why the published index does not match the corpus and settings, or None if it does."""
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexUnavailable as exc:
        return str(exc)
    if manifest.get("signature") != build_signature(settings):
        return "model or chunking settings changed"
    built = {k: (v["sha256"], v["metadata_sha256"]) for k, v in manifest["documents"].items()}
    now = {d.id: (d.sha256, metadata_hash(d)) for d in documents}
    if built != now:
        changed = sorted(set(built.items()) ^ set(now.items()))
        return f"corpus changed ({', '.join(sorted({k for k, _ in changed}))})"
    return None


def embedding_text(doc: Document, section: str | None, text: str, with_context: bool) -> str:
    """What the model reads for a passage: the cited text, optionally after its title and
    section, so that a passage about 'the Commission' still knows which document it is in."""
    if not with_context:
        return text
    head = doc.title if not section or section == doc.title else f"{doc.title} — {section}"
    return f"{head}\n{text}"


def _remove_abandoned_builds(builds: Path) -> None:
    for tmp in builds.glob(".tmp-*"):
        pid = int(tmp.name.split("-")[1]) if tmp.name.split("-")[1].isdigit() else 0
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError, OverflowError):
            shutil.rmtree(tmp, ignore_errors=True)


def build_index(settings: Settings, embedder: Embedder | None = None, progress: bool = True) -> dict[str, Any]:
    """Build and publish an index; returns its manifest. Skipped files are in the manifest."""
    started = time.perf_counter()
    report = load_corpus(settings.corpus_dir)
    docs = report.documents
    if not docs:
        raise ValueError(
            f"no readable texts in {settings.corpus_dir} (skipped: {report.skipped or 'none'}); "
            "add .txt or .md files; the published index was left as it was"
        )
    embedder = embedder or Embedder(settings.model, settings.embed_batch_size)

    chunks: list[ChunkRecord] = []
    chunk_inputs: list[str] = []
    sentence_rows: list[tuple[int, int, int]] = []
    sentence_inputs: list[str] = []
    per_doc: dict[str, dict[str, Any]] = {}
    for ordinal, doc in enumerate(docs):
        chunked = chunk_text(doc.text, settings.chunking)
        base = len(sentence_rows)
        for sent in chunked.sentences:
            sentence_rows.append((ordinal, sent.start, sent.end))
            sentence_inputs.append(doc.text[sent.start : sent.end])
        for c in chunked.chunks:
            chunks.append(
                ChunkRecord(doc.id, c.section, c.start, c.end, base + c.first_sentence, base + c.last_sentence)
            )
            chunk_inputs.append(embedding_text(doc, c.section, doc.text[c.start : c.end], settings.embed_context))
        per_doc[doc.id] = {
            "file": doc.file,
            "sha256": doc.sha256,
            "metadata_sha256": metadata_hash(doc),
            "chunks": len(chunked.chunks),
            "sentences": len(chunked.sentences),
        }

    log.info("embedding %d passages and %d sentences from %d documents", len(chunks), len(sentence_rows), len(docs))
    embed_start = time.perf_counter()
    chunk_vectors = embedder.encode(chunk_inputs, progress=progress)
    sentence_vectors = embedder.encode(sentence_inputs, progress=progress)
    embed_seconds = time.perf_counter() - embed_start
    bm25 = build_bm25(chunk_inputs)

    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model": {"id": settings.model, "dimension": embedder.dimension, "max_seq_length": embedder.max_seq_length},
        "signature": build_signature(settings),
        "chunking": settings.chunking.model_dump(),
        "embed_context": settings.embed_context,
        "documents": per_doc,
        "skipped": report.skipped,
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sentence_rows)},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": None,
        "embed_seconds": round(embed_seconds, 3),
    }
    builds = settings.index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(builds)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = builds / f".tmp-{os.getpid()}-{build_id}"
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    try:
        write_build(
            tmp,
            manifest,
            docs,
            chunks,
            chunk_vectors,
            np.asarray(sentence_rows, dtype=np.int64).reshape(-1, 3),
            sentence_vectors,
            bm25,
        )
        final = builds / build_id
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(settings.index_dir, final)
    return manifest


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build the search index from the corpus folder.")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")
    parser.add_argument("--model", help="sentence-transformers model name or local path")
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is current")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    overrides = {k: v for k, v in {"corpus_dir": args.corpus, "index_dir": args.index, "model": args.model}.items() if v}
    settings = Settings(**overrides)
    if args.if_stale:
        reason = stale_reason(settings, load_corpus(settings.corpus_dir).documents)
        if reason is None:
            log.info("index at %s is current; nothing to do", settings.index_dir)
            return 0
        log.info("building index: %s", reason)
    try:
        manifest = build_index(settings, progress=not args.quiet)
    except (ValueError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 1
    counts = manifest["counts"]
    skipped = manifest["skipped"]
    print(
        f"indexed {counts['documents']} documents, {counts['chunks']} passages, {counts['sentences']} sentences "
        f"in {manifest['build_seconds']:.1f} s; skipped {len(skipped)}"
        + "".join(f"\n  skipped {name}: {why}" for name, why in skipped.items())
        + f"\npublished to {settings.index_dir}",
        file=sys.stderr,
    )
    return 0

