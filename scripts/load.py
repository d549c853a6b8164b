#!/usr/bin/env python3
"""Bounded load test against a service this script starts on 127.0.0.1.

``python scripts/load.py [--clients 16] [--requests 10000] [--max-seconds 600]`` builds the
corpus into a temporary index, starts uvicorn (one worker) as a child process, and runs
``--clients`` threads sending a mix of POST /ask, GET /search, GET / (the page) and
GET /documents/{id} until ``--requests`` are done or ``--max-seconds`` pass, whichever comes
first. It prints requests, failures, latency p50/p95/p99 and the server's resident memory
after start, after 1,000 requests and at the end, then stops the server by PID.

``--burst N [--rounds R]`` instead sends N POST /ask requests at the same moment (N threads
released together), R times: it prints how many got 200, 503 (shed, with Retry-After) or
anything else, transport errors (timeouts, resets), p50/p99 of the 200s and the server's
memory before and after. A server that sheds load answers only 200s and 503s. With
``--ray-replicas N`` the burst goes to the app on Ray Serve (a local Ray, N replicas) instead of
uvicorn; memory is then the replicas' summed.

``--throughput`` measures POST /ask throughput and latency at concurrency 1, 8 and 32 with
question batching off (``HSQA_BATCH_MAX_SIZE=1``) and on (the default), on the same code in the
same run; the in-flight limit is raised to 64 for it, so that what is measured is answering,
not shedding.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from service.config import ROOT, Settings
from service.ingest.indexer import build_index
from tooling.evaluation import load_questions, markdown_table
from tooling.localserver import drive, free_port, memory_mib, running_service, wait_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--burst", type=int, help="clients sending one request each at the same moment")
    parser.add_argument("--rounds", type=int, default=5, help="bursts to send (with --burst)")
    parser.add_argument("--ray-replicas", type=int, help="burst Ray Serve with this many replicas")
    parser.add_argument("--throughput", action="store_true", help="/ask at 1, 8, 32 clients, batching off/on")
    args = parser.parse_args(argv)
    questions = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]
    if args.burst:
        return burst(args.burst, args.rounds, questions, args.ray_replicas)
    if args.throughput:
        return throughput(questions, min(args.requests, 2_000))

    with corpus_index() as settings, running_service(settings.index_dir) as (url, server):
        wait_ready(url, server)
        with httpx.Client(base_url=url) as c:
            doc_ids = [d["id"] for d in c.get("/documents").json()["documents"]]
        rss = {"after start": memory_mib(server.pid)[0]}
        lock = threading.Lock()
        counter = itertools.count()
        latencies: list[float] = []
        failures: list[str] = []
        shed: list[int] = []
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
                        ok = r.status_code in (200, 503)  # 503: shed at capacity, with Retry-After
                        why = f"{r.status_code} {r.request.url.path}"
                        if r.status_code == 503:
                            with lock:
                                shed.append(n)
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
        f"{len(failures)} failures, {len(shed)} shed (503: more than HSQA_MAX_IN_FLIGHT in flight)"
    )
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 {q[94]:.1f}, p99 {q[98]:.1f}, "
        f"max {max(latencies):.1f}"
    )
    print("resident memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    if failures:
        print("first failures:", failures[:5])
    return 1 if failures else 0


@contextmanager
def corpus_index() -> Iterator[Settings]:
    """Settings of the corpus built into a temporary index, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        build_index(settings, progress=False)
        yield settings


def throughput(questions: list[str], requests: int) -> int:
    """/ask at concurrency 1, 8 and 32, question batching off and on, one server each."""
    rows = []
    with corpus_index() as settings:
        for label, size in (("off (HSQA_BATCH_MAX_SIZE=1)", "1"), ("on (max 16, wait <= 2 ms)", "16")):
            env = {"HSQA_BATCH_MAX_SIZE": size, "HSQA_MAX_IN_FLIGHT": "64"}
            with running_service(settings.index_dir, env=env) as (url, server):
                wait_ready(url, server)
                for clients in (1, 8, 32):
                    n = requests if clients > 1 else requests // 2
                    run = drive(
                        url,
                        lambda c, i: c.post("/ask", json={"question": questions[i % len(questions)]}),
                        n,
                        clients,
                    )
                    ms = statistics.quantiles(run.latencies_ms, n=100, method="inclusive")
                    rows.append(
                        [
                            label,
                            clients,
                            n,
                            f"{run.rate:.1f}",
                            f"{ms[49]:.1f}",
                            f"{ms[98]:.1f}",
                            len(run.failures),
                        ]
                    )
    print(markdown_table(["batching", "clients", "requests", "req/s", "p50 ms", "p99 ms", "failures"], rows))
    return 0


@contextmanager
def burst_target(ray_replicas: int | None) -> Iterator[tuple[str, Callable[[], float]]]:
    """(base URL, resident MiB now) of a fresh server on 127.0.0.1: uvicorn, or the app on a
    local Ray Serve with ``ray_replicas`` replicas (their memory summed)."""
    with corpus_index() as settings:
        if ray_replicas is None:
            with running_service(settings.index_dir) as (url, server):  # HSQA_* settings pass through
                wait_ready(url, server)
                yield url, lambda: memory_mib(server.pid)[0]
            return
        import ray
        from ray import serve

        from service.http.ray_serve import Scale, application

        port = free_port()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            serve.start(http_options={"host": "127.0.0.1", "port": port})
            serve.run(application(settings, Scale(replicas=ray_replicas)), name="hsqa", route_prefix="/")
            url = f"http://127.0.0.1:{port}"
            wait_ready(url)
            yield url, lambda: sum(memory_mib(pid)[0] for pid in processes_named("ServeReplica:hsqa"))
        finally:
            serve.shutdown()
            ray.shutdown()


def processes_named(fragment: str) -> list[int]:
    """PIDs whose command line contains ``fragment`` (Ray names its replica processes)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and fragment in (proc / "cmdline").read_text(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def burst(clients: int, rounds: int, questions: list[str], ray_replicas: int | None = None) -> int:
    """``clients`` simultaneous POST /ask, ``rounds`` times, against a fresh server."""
    statuses: dict[str, int] = {}
    ok_ms: list[float] = []
    retry_after: set[str] = set()
    lock = threading.Lock()
    with burst_target(ray_replicas) as (url, resident):
        rss = {"before": resident()}
        for round_ in range(rounds):
            gate = threading.Barrier(clients)

            def one(i: int, gate: threading.Barrier) -> None:
                with httpx.Client(base_url=url, timeout=30) as c:
                    gate.wait()
                    t = time.perf_counter()
                    try:
                        r = c.post("/ask", json={"question": questions[i % len(questions)]})
                        key = str(r.status_code)
                        if r.status_code == 503:
                            retry_after.add(r.headers.get("retry-after", "missing"))
                    except httpx.HTTPError as exc:
                        key = type(exc).__name__
                    with lock:
                        statuses[key] = statuses.get(key, 0) + 1
                        if key == "200":
                            ok_ms.append((time.perf_counter() - t) * 1000)

            threads = [threading.Thread(target=one, args=(i, gate)) for i in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rss[f"after round {round_ + 1}"] = resident()
    q = statistics.quantiles(ok_ms, n=100, method="inclusive") if len(ok_ms) > 1 else [0.0] * 99
    print(
        f"{rounds} bursts of {clients} simultaneous POST /ask: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    print(f"Retry-After on the 503s: {sorted(retry_after) or 'none'}")
    print(f"200s: p50 {statistics.median(ok_ms):.1f} ms, p99 {q[98]:.1f} ms, max {max(ok_ms):.1f} ms")
    print("resident memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    return 0 if set(statuses) <= {"200", "503"} else 1


if __name__ == "__main__":
    sys.exit(main())
