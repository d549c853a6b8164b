#!/usr/bin/env python3
"""The whole pipeline at scale: serve a large built index and measure what a user feels.

``python scripts/bench_million.py --index /tmp/million/index`` (an index of the corpus that
``scripts/generate_corpus.py`` writes, built with ``hsqa-build-index``) starts the service on
127.0.0.1 as a child process and prints one Markdown table:

- ready: seconds from starting the process to ``/ready`` answering 200;
- resident memory of the server after start and after the questions (RSS, and PSS: shared
  pages of the memory-mapped index split between the processes that map them);
- POST /ask p50 / p99 at concurrency 1 over the evaluation questions (answer stage included);
- recall@10 of the vector stage: the index's approximate search against exact search over the
  same vectors, for the same questions embedded by the service's encoder;
- size on disk, passages, sentences.

The server is stopped by PID; nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import faiss
import numpy as np

from service.config import ROOT, Settings
from service.runtime import load_encoder
from service.store import load_index, resolve_build
from service.vector_index import exact_neighbours, recall_at
from tooling.evaluation import load_questions, markdown_table
from tooling.localserver import drive, memory_mib, running_service, wait_ready

QUESTION_SETS = ("questions.jsonl", "dev.jsonl", "dev-2.jsonl")


def vector_recall(index_dir: Path, questions: list[str]) -> tuple[float, dict[str, object]]:
    """Recall@10 of the index's vector search against exact search, on these questions."""
    index = load_index(index_dir)
    queries = load_encoder(Settings(index_dir=index_dir)).encode(questions)
    vectors = index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal)
    truth = exact_neighbours(vectors, np.ascontiguousarray(queries, dtype=np.float32))
    return recall_at(index.chunk_index, queries, truth), index.manifest.vector_index


def disk_gib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--requests", type=int, default=300, help="POST /ask at concurrency 1")
    args = parser.parse_args(argv)
    questions = [q["question"] for name in QUESTION_SETS for q in load_questions(ROOT / "eval" / name)]
    build = resolve_build(args.index)
    manifest = json.loads((build / "manifest.json").read_text())
    with running_service(args.index) as (url, server):
        ready_s = wait_ready(url, server, timeout=300)
        after_start = memory_mib(server.pid)
        drive(url, lambda c, i: c.post("/ask", json={"question": questions[i % len(questions)]}), 20, 1)
        run = drive(
            url,
            lambda c, i: c.post("/ask", json={"question": questions[(i + 20) % len(questions)]}),
            args.requests,
            1,
        )
        after_questions = memory_mib(server.pid)
    ms = statistics.quantiles(run.latencies_ms, n=100, method="inclusive")
    faiss.omp_set_num_threads(2)
    recall, description = vector_recall(args.index, questions)
    counts = manifest["counts"]
    rows = [
        [
            "passages / sentences / documents",
            f"{counts['chunks']:,} / {counts['sentences']:,} / {counts['documents']:,}",
        ],
        ["index on disk", f"{disk_gib(build):.2f} GiB"],
        [
            "vector index",
            " ".join(f"{k} {description.get(k, '-')}" for k in ("kind", "nlist", "nprobe")),
        ],
        ["ready (process start to /ready 200)", f"{ready_s:.1f} s"],
        ["RSS / PSS after start", f"{after_start[0] / 1024:.2f} / {after_start[1] / 1024:.2f} GiB"],
        [
            f"RSS / PSS after {args.requests + 20} questions",
            f"{after_questions[0] / 1024:.2f} / {after_questions[1] / 1024:.2f} GiB",
        ],
        ["POST /ask p50 / p99, concurrency 1", f"{ms[49]:.1f} / {ms[98]:.1f} ms"],
        ["failures", str(len(run.failures))],
        [f"recall@10 of the vector stage ({len(questions)} questions)", f"{recall:.3f}"],
    ]
    print(markdown_table(["measure", "value"], rows))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
