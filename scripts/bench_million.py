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
import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from service.config import ROOT, Settings
from service.runtime import load_encoder
from service.store import load_index, resolve_build
from service.vector_index import exact_neighbours, recall_at, summary
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


def anonymous_and_file_gib(pid: int) -> tuple[float, float]:
    """The part of a process's resident memory that is its own (heap, models) and the part
    that is pages of mapped files (the index), shared and reclaimable, in GiB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return tuple(int(status[k].split()[0]) / 2**20 for k in ("RssAnon", "RssFile"))  # type: ignore[return-value]


@contextmanager
def memory_limit(pid: int, gib: float | None) -> Iterator[None]:
    """Hold process ``pid`` to ``gib`` GiB of memory, page cache of its mapped files included:
    a cgroup v1 memory controller (root only). Under the limit the kernel evicts index pages it
    mapped instead of killing the process, which is what a replica with that much memory sees."""
    if gib is None:
        yield
        return
    group = Path(f"/sys/fs/cgroup/memory/hsqa-bench-{os.getpid()}")
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(int(gib * 2**30)))
        (group / "cgroup.procs").write_text(str(pid))
        yield
    finally:
        for task in (group / "cgroup.procs").read_text().split():
            Path("/sys/fs/cgroup/memory/cgroup.procs").write_text(task)
        group.rmdir()


def disk_gib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--requests", type=int, default=300, help="POST /ask at concurrency 1")
    parser.add_argument(
        "--memory-limit-gib", type=float, help="serve within this much memory (a cgroup; needs root)"
    )
    args = parser.parse_args(argv)
    questions = [q["question"] for name in QUESTION_SETS for q in load_questions(ROOT / "eval" / name)]
    build = resolve_build(args.index)
    manifest = json.loads((build / "manifest.json").read_text())
    with running_service(args.index) as (url, server), memory_limit(server.pid, args.memory_limit_gib):
        ready_s = wait_ready(url, server, timeout=300)
        after_start = memory_mib(server.pid)
        start_split = anonymous_and_file_gib(server.pid)
        drive(url, lambda c, i: c.post("/ask", json={"question": questions[i % len(questions)]}), 20, 1)
        run = drive(
            url,
            lambda c, i: c.post("/ask", json={"question": questions[(i + 20) % len(questions)]}),
            args.requests,
            1,
        )
        after_questions = memory_mib(server.pid)
        end_split = anonymous_and_file_gib(server.pid)
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
            summary(description),
        ],
        ["ready (process start to /ready 200)", f"{ready_s:.1f} s"],
        ["RSS / PSS after start", f"{after_start[0] / 1024:.2f} / {after_start[1] / 1024:.2f} GiB"],
        ["  of the RSS: own (anonymous) / mapped index files", "{:.2f} / {:.2f} GiB".format(*start_split)],
        [
            f"RSS / PSS after {args.requests + 20} questions",
            f"{after_questions[0] / 1024:.2f} / {after_questions[1] / 1024:.2f} GiB",
        ],
        ["  of the RSS: own (anonymous) / mapped index files", "{:.2f} / {:.2f} GiB".format(*end_split)],
        ["POST /ask p50 / p99, concurrency 1", f"{ms[49]:.1f} / {ms[98]:.1f} ms"],
        ["failures", str(len(run.failures))],
        [f"recall@10 of the vector stage ({len(questions)} questions)", f"{recall:.3f}"],
    ]
    limit = f", within a {args.memory_limit_gib:g} GiB memory limit" if args.memory_limit_gib else ""
    print(markdown_table(["measure", f"value{limit}"], rows))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
