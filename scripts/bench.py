#!/usr/bin/env python3
"""Benchmark: index build time, and /ask and /search latency over real HTTP.

``python scripts/bench.py [--requests 300] [--smoke]`` builds the corpus into a temporary
index, starts uvicorn on 127.0.0.1 (a free port) as a child process, sends a bounded number
of sequential requests (concurrency 1) cycling through the evaluation questions, prints a
Markdown table, and stops the server it started (by PID). Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from service.config import ROOT, Settings
from service.evaluation import load_questions
from service.indexer import build_index
from service.localserver import running_service, wait_ready


def percentiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), q[94], q[98]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint (bounded)")
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI: 20 requests")
    args = parser.parse_args(argv)
    n = 20 if args.smoke else args.requests
    questions = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        t0 = time.perf_counter()
        manifest = build_index(Settings(index_dir=index_dir), progress=False)
        build_s = time.perf_counter() - t0
        with running_service(index_dir) as (url, server):
            ready_s = wait_ready(url, server)
            rows = []
            with httpx.Client(base_url=url, timeout=30) as client:
                for name, send in (
                    ("POST /ask", lambda q: client.post("/ask", json={"question": q, "top_k": 5})),
                    ("GET /search", lambda q: client.get("/search", params={"q": q, "top_k": 5})),
                ):
                    send("warm-up")
                    latencies, failures = [], 0
                    start = time.perf_counter()
                    for i in range(n):
                        t = time.perf_counter()
                        response = send(questions[i % len(questions)])
                        latencies.append((time.perf_counter() - t) * 1000)
                        failures += response.status_code != 200
                    elapsed = time.perf_counter() - start
                    p50, p95, p99 = percentiles(latencies)
                    rows.append((name, n, failures, n / elapsed, p50, p95, p99))

    counts = manifest["counts"]
    print(f"index build: {build_s:.1f} s for {counts['documents']} documents, {counts['chunks']} passages, "
          f"{counts['sentences']} sentences (embedding {manifest['embed_seconds']:.1f} s); "
          f"service ready {ready_s:.1f} s after start\n")
    print("| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, count, failures, rate, p50, p95, p99 in rows:
        print(f"| {name} | {count} | {failures} | {rate:.1f} | {p50:.1f} | {p95:.1f} | {p99:.1f} |")
    return 0 if all(r[2] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
