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

``--filters 20000,100000,300000`` instead measures, in this process, the dense stage of a
filtered question: for a filter allowing about that many passages (whole documents drawn at
random), the time of scoring them exactly, of searching the index with a selector (its search
widened by the share left out), and of what the service does (``search_vectors``: whichever of
the two compares fewer vectors), with the recall@10 of each against exact scoring.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from service.config import ROOT, Settings
from service.runtime import load_encoder
from service.store import load_index, resolve_build
from service.vector_index import (
    exact_among,
    exact_neighbours,
    recall_at,
    restricted_search,
    scored_exactly,
    search_selected,
    search_vectors,
    summary,
)
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


def shared_at_10(found: list[np.ndarray], truth: list[np.ndarray]) -> float:
    """The mean share of each question's true ten that ``found`` holds."""
    return float(
        np.mean([len(set(a.tolist()) & set(b.tolist())) / 10 for a, b in zip(found, truth, strict=True)])
    )


def filtered_search(index_dir: Path, questions: list[str], sizes: list[int]) -> str:
    """The dense stage of filtered questions, one row per filter size (see the module's doc)."""
    index = load_index(index_dir)
    ann: Any = index.chunk_index
    queries = np.ascontiguousarray(load_encoder(Settings(index_dir=index_dir)).encode(questions), np.float32)
    ranges = list(index.chunks.document_ranges().values())
    order = np.random.default_rng(0).permutation(len(ranges))
    faiss.omp_set_num_threads(1)  # one question at a time, as a request is served

    ways = {
        "exact": lambda q, allowed: exact_among(ann, q, 50, allowed)[1],
        "selector": lambda q, allowed: search_selected(
            ann, q, 50, allowed, restricted_search(ann, len(allowed))[0]
        )[1],
        "served": lambda q, allowed: search_vectors(ann, q, 50, allowed)[1],
    }
    rows = []
    for size in sizes:
        picked, total = [], 0
        for d in order:
            first, last = ranges[d]
            picked.append(np.arange(first, last))
            total += last - first
            if total >= size:
                break
        allowed = np.sort(np.concatenate(picked)).astype(np.int64)
        found, ms = {}, {}
        for name, way in ways.items():
            started = time.perf_counter()
            found[name] = [way(q, allowed)[:10] for q in queries]
            ms[name] = (time.perf_counter() - started) / len(queries) * 1000
        compared = restricted_search(ann, len(allowed))[1]
        served = (
            "exact" if scored_exactly(len(allowed), compared, Settings().exact_max_passages) else "selector"
        )
        rows.append(
            [
                f"{len(allowed):,} ({len(allowed) / ann.ntotal:.1%})",
                f"{ms['exact']:.1f}",
                f"{ms['selector']:.1f} ({shared_at_10(found['selector'], found['exact']):.3f})",
                f"{served}: {ms['served']:.1f} ({shared_at_10(found['served'], found['exact']):.3f})",
            ]
        )
    header = ["allowed passages", "exact ms", "selector ms (recall@10)", "served: ms (recall@10)"]
    return f"{summary(index.manifest.vector_index)}, {len(queries)} questions\n\n" + markdown_table(
        header, rows
    )


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
    parser.add_argument(
        "--filters", help="comma-separated filter sizes: measure filtered dense search instead (in process)"
    )
    args = parser.parse_args(argv)
    questions = [q["question"] for name in QUESTION_SETS for q in load_questions(ROOT / "eval" / name)]
    if args.filters:
        sizes = [int(size) for size in args.filters.split(",")]
        print(filtered_search(args.index, questions[:100], sizes))
        return 0
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
