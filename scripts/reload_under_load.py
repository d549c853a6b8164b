#!/usr/bin/env python3
"""Add a text while the service is under load: rebuild, reload, and count failed requests.

``python scripts/reload_under_load.py [--clients 8] [--seconds 20]`` copies the corpus to a
temporary folder, builds it in full (timed), starts uvicorn on 127.0.0.1 watching the index,
and runs ``--clients`` threads asking questions for ``--seconds``. A few seconds in, it adds a
new text and rebuilds incrementally (timed); the service picks the new index up by itself.
It prints requests, failures, latency, the worst latency around the swap, the time from
publishing to serving the new text, and whether the new text is answered. It stops the
server it started, by PID. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from service.config import ROOT, Settings
from service.ingest.indexer import build_index
from service.models.embedding import Embedder
from tooling.evaluation import load_questions
from tooling.localserver import running_service, wait_ready

NEW_TEXT = (
    "Zanzibar Compact on Human Security\n\nThe Zanzibar Compact of 2031 made access to clean water a "
    "human security priority for island states, with community wells and drought early warning.\n"
)
NEW_QUESTION = "What did the Zanzibar Compact make a priority?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    questions = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index")
        embedder = Embedder(settings.model)
        t0 = time.perf_counter()
        build_index(settings, embedder=embedder, progress=False, full=True)
        full_s = time.perf_counter() - t0

        with running_service(settings.index_dir, env={"HSQA_RELOAD_POLL_SECONDS": "0.5"}) as (url, server):
            wait_ready(url, server)
            samples: list[tuple[float, float, bool]] = []  # (sent at, ms, ok)
            lock = threading.Lock()
            end = time.monotonic() + args.seconds

            def client(seed: int) -> None:
                with httpx.Client(base_url=url, timeout=30) as c:
                    i = seed
                    while time.monotonic() < end:
                        sent = time.monotonic()
                        try:
                            ok = (
                                c.post("/ask", json={"question": questions[i % len(questions)]}).status_code
                                == 200
                            )
                        except httpx.HTTPError:
                            ok = False
                        with lock:
                            samples.append((sent, (time.monotonic() - sent) * 1000, ok))
                        i += args.clients

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            for t in threads:
                t.start()
            time.sleep(min(5.0, args.seconds / 4))
            (corpus / "zanzibar.txt").write_text(NEW_TEXT)
            t1 = time.perf_counter()
            build_index(settings, embedder=embedder, progress=False)
            incremental_s = time.perf_counter() - t1
            published = time.monotonic()
            with httpx.Client(base_url=url, timeout=30) as c:
                while not any(d["id"] == "zanzibar" for d in c.get("/documents").json()["documents"]):
                    if time.monotonic() - published > 30:
                        break
                    time.sleep(0.05)
                serving_after = time.monotonic() - published
                for t in threads:
                    t.join()
                top = c.post("/ask", json={"question": NEW_QUESTION}).json()["passages"][0]["citation"][
                    "document_id"
                ]

    latencies = [ms for _, ms, _ in samples]
    failures = sum(not ok for _, _, ok in samples)
    around_swap = [ms for sent, ms, _ in samples if published - 1 <= sent <= published + serving_after + 1]
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"full build {full_s:.1f} s; incremental build after adding one text {incremental_s:.1f} s "
        f"(ratio {incremental_s / full_s:.2f})"
    )
    print(
        f"{args.clients} clients for {args.seconds:.0f} s: {len(samples)} requests, {failures} failures; "
        f"latency ms p50 {statistics.median(latencies):.1f}, p99 {q[98]:.1f}, max {max(latencies):.1f}"
    )
    print(
        f"new index served {serving_after:.2f} s after publishing; worst latency within 1 s of the swap "
        f"{max(around_swap, default=0):.1f} ms; top passage for the new question: {top}"
    )
    return 0 if failures == 0 and top == "zanzibar" else 1


if __name__ == "__main__":
    sys.exit(main())
