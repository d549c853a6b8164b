#!/usr/bin/env python3
"""Bounded load test against a service this script starts on 127.0.0.1.

``python scripts/load.py [--clients 16] [--requests 10000] [--max-seconds 600]`` builds the
corpus into a temporary index, starts uvicorn (one worker) as a child process, and runs
``--clients`` threads sending a mix of POST /ask, GET /search, GET / (the page) and
GET /documents/{id} until ``--requests`` are done or ``--max-seconds`` pass, whichever comes
first. It prints requests, failures, latency p50/p95/p99 and the server's resident memory
after start, after 1,000 requests and at the end, then stops the server by PID.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from service.config import ROOT, Settings
from service.ingest.indexer import build_index
from tooling.evaluation import load_questions
from tooling.localserver import memory_mib, running_service, wait_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    questions = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(Settings(index_dir=index_dir), progress=False)
        with running_service(index_dir) as (url, server):
            wait_ready(url, server)
            with httpx.Client(base_url=url) as c:
                doc_ids = [d["id"] for d in c.get("/documents").json()["documents"]]
            rss = {"after start": memory_mib(server.pid)[0]}
            lock = threading.Lock()
            counter = itertools.count()
            latencies: list[float] = []
            failures: list[str] = []
            deadline = time.monotonic() + args.max_seconds

            def worker(seed: int) -> None:
                with httpx.Client(base_url=url, timeout=30) as c:
                    while time.monotonic() < deadline:
                        n = next(counter)
                        if n >= args.requests:
                            return
                        q = questions[(n + seed) % len(questions)]
                        kind = n % 4
                        t = time.perf_counter()
                        try:
                            if kind == 0:
                                r = c.post("/ask", json={"question": q, "top_k": 5})
                            elif kind == 1:
                                r = c.get("/search", params={"q": q})
                            elif kind == 2:
                                r = c.get("/", params={"q": q})
                            else:
                                r = c.get(f"/documents/{doc_ids[n % len(doc_ids)]}")
                            ok = r.status_code == 200
                            why = f"{r.status_code} {r.request.url.path}"
                        except httpx.HTTPError as exc:
                            ok, why = False, repr(exc)
                        with lock:
                            latencies.append((time.perf_counter() - t) * 1000)
                            if not ok:
                                failures.append(why)
                            if len(latencies) == 1000:
                                rss["after 1,000 requests"] = memory_mib(server.pid)[0]

            started = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            rss[f"after {len(latencies):,} requests"] = memory_mib(server.pid)[0]

    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"{args.clients} clients, {len(latencies)} requests in {elapsed:.1f} s "
        f"({len(latencies) / elapsed:.1f} req/s), "
        f"{len(failures)} failures"
    )
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 {q[94]:.1f}, p99 {q[98]:.1f}, "
        f"max {max(latencies):.1f}"
    )
    print("resident memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    if failures:
        print("first failures:", failures[:5])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
