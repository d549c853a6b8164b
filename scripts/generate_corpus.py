#!/usr/bin/env python3
"""Generate a large corpus of real-looking text, for measuring the whole pipeline at scale.

``python scripts/generate_corpus.py --passages 1000000 --out /tmp/million`` writes
``/tmp/million/corpus/`` (reports of 100 paragraphs with a ``catalog.toml``: title, author,
date, kind) and fills the embedding cache of ``/tmp/million/index/`` so that the build
(``hsqa-build-index --corpus /tmp/million/corpus --index /tmp/million/index --ray``) embeds
with the model only a sample of documents.

The text: every paragraph recombines 3 to 6 real sentences, drawn at random from the founding
texts in ``corpus/`` and the Wikipedia paragraphs of ``../shared/qa-data/`` (CC BY-SA 4.0),
cut into sentences by the indexer's own chunker so that it finds the same sentences again.

The vectors, and what is derived:
- every distinct sentence is embedded once with the real model; a sentence's vector is its
  text's, so sentence vectors are exactly what the model gives;
- a passage's vector is derived: the normalised mean of its sentences' vectors. The script
  measures how close that is to the model's own vector of the passage (as the indexer
  embeds it, title included) on a sample and prints the figures;
- the first ``--sample-documents`` documents get no cache entry: the build embeds them, with
  the real model, on Ray actors or in process.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from service.config import ROOT, Settings
from service.ingest.chunking import chunk_document, chunk_text
from service.ingest.corpus import load_corpus
from service.ingest.embed_cache import EmbeddingCache, entry_key
from service.ingest.indexer import embedding_signature, embedding_text, indexing_encoder, metadata_hash
from service.models.embedding import Encoder
from service.records import Document

QA_DATA = ROOT.parent / "shared" / "qa-data" / "squad2-8-articles.json"
PARAGRAPHS_PER_DOCUMENT = 100
#: Documents whose first 25 passages are embedded with the model too, to compare.
COMPARED_DOCUMENTS = 20
#: Passages the chunker makes of one generated paragraph, measured (for sizing the corpus).
PASSAGES_PER_PARAGRAPH = 1.1
AUTHORS = (
    "Commission on Human Security",
    "UN Trust Fund for Human Security",
    "Japan International Cooperation Agency",
    "Ministry of Foreign Affairs of Japan",
    "United Nations Development Programme",
    "Human Security Unit, OCHA",
    "Kobe University",
    "Institute for Peace Studies",
)
KINDS = ("report", "speech", "article", "proceedings")
TOPICS = (
    "freedom from fear",
    "freedom from want",
    "protection and empowerment",
    "refugees and displacement",
    "health security",
    "food security",
    "climate and disasters",
    "peacebuilding",
    "economic downturns",
    "dignity",
)


def sentence_pool(settings: Settings) -> list[str]:
    """Distinct sentences of the founding texts and the SQuAD paragraphs, as the chunker cuts
    them, that read as statements (no headings, no fragments, no questions)."""
    texts = [d.text for d in load_corpus(ROOT / "corpus").documents]
    if QA_DATA.exists():
        squad = json.loads(QA_DATA.read_text(encoding="utf-8"))
        texts += [p["context"] for a in squad["data"] for p in a["paragraphs"]]
    pool: dict[str, None] = {}
    for text in texts:
        for s in chunk_text(text, settings.chunking).sentences:
            sentence = " ".join(text[s.start : s.end].split())
            if 40 <= len(sentence) <= 400 and sentence[-1] in ".!" and len(sentence.split()) >= 6:
                pool[sentence] = None
    return list(pool)


def write_corpus(folder: Path, pool: list[str], documents: int, seed: int) -> None:
    """``documents`` reports of recombined sentences, with their catalogue."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = []
    for d in range(documents):
        topic = TOPICS[d % len(TOPICS)]
        title = f"Human security and {topic}: report {d + 1}"
        paragraphs = [
            " ".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))
            for _ in range(PARAGRAPHS_PER_DOCUMENT)
        ]
        name = f"report-{d + 1:06d}.txt"
        (folder / name).write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        catalog.append(
            f'["{name}"]\ntitle = "{title}"\nauthor = "{rng.choice(AUTHORS)}"\n'
            f'date = "{rng.randint(1994, 2025)}-{rng.randint(1, 12):02d}"\nkind = "{rng.choice(KINDS)}"\n'
        )
    (folder / "catalog.toml").write_text("\n".join(catalog), encoding="utf-8")


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def fill_cache(
    settings: Settings, docs: list[Document], encoder: Encoder, pool: list[str], sample_documents: int
) -> dict[str, float]:
    """Cache entries with real sentence vectors and derived passage vectors for every document
    past the first ``sample_documents``; returns how close derived is to real on a sample."""
    known = dict(zip(pool, encoder.encode(pool), strict=True))
    cache = EmbeddingCache(settings.index_dir)
    signature = embedding_signature(settings)
    derived_sample: list[np.ndarray] = []
    real_inputs: list[str] = []
    for i, doc in enumerate(docs):
        chunked = chunk_document(doc, settings.chunking)
        texts = [doc.text[s.start : s.end] for s in chunked.sentences]
        unseen = [t for t in dict.fromkeys(texts) if t not in known]
        if unseen:  # a heading, or a sentence the chunker joined differently
            known.update(zip(unseen, encoder.encode(unseen), strict=True))
        sentences = np.stack([known[t] for t in texts]).astype(np.float32)
        chunks = unit(
            np.stack([sentences[c.first_sentence : c.last_sentence].mean(axis=0) for c in chunked.chunks])
        )
        if i < sample_documents:
            continue  # the build embeds these with the model
        key = entry_key(signature, doc.sha256, metadata_hash(doc) if settings.embed_context else None)
        cache.put(key, chunks, sentences)
        if i < sample_documents + COMPARED_DOCUMENTS:  # the comparison sample
            for c, vector in list(zip(chunked.chunks, chunks, strict=True))[:25]:
                derived_sample.append(vector)
                real_inputs.append(
                    embedding_text(doc, c.section, doc.text[c.start : c.end], settings.embed_context)
                )
        if (i + 1) % 500 == 0:
            print(f"cache: {i + 1} of {len(docs)} documents", file=sys.stderr)
    real = encoder.encode(real_inputs)
    cosines = np.sum(real * np.stack(derived_sample), axis=1)
    return {
        "compared_passages": len(cosines),
        "mean_cosine": round(float(cosines.mean()), 4),
        "p05_cosine": round(float(np.percentile(cosines, 5)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000, help="about this many passages")
    parser.add_argument("--out", type=Path, required=True, help="folder for corpus/ and index/")
    parser.add_argument("--sample-documents", type=int, default=20, help="documents the build embeds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=int, help="use only the first N distinct sentences (smoke runs)")
    args = parser.parse_args(argv)
    corpus, index = args.out / "corpus", args.out / "index"
    if corpus.exists():
        parser.error(f"{corpus} exists; choose an empty --out")
    settings = Settings(corpus_dir=corpus, index_dir=index)
    started = time.perf_counter()
    pool = sentence_pool(settings)[: args.pool]
    documents = max(1, round(args.passages / (PARAGRAPHS_PER_DOCUMENT * PASSAGES_PER_PARAGRAPH)))
    write_corpus(corpus, pool, documents, args.seed)
    print(f"{documents} documents from {len(pool)} distinct sentences", file=sys.stderr)
    docs = load_corpus(corpus).documents
    closeness = fill_cache(settings, docs, indexing_encoder(settings), pool, args.sample_documents)
    print(
        json.dumps(
            {
                "documents": len(docs),
                "pool_sentences": len(pool),
                "sample_documents": args.sample_documents,
                "derived_vs_model": closeness,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
