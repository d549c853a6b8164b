#!/usr/bin/env python3
"""Benchmark: one command, five tables. Nothing leaves this machine.

``python scripts/bench.py`` (or ``make bench``) builds the corpus into a temporary index and
prints Markdown tables for:

(a) the in-process cost of one /ask, stage by stage (embed, dense, BM25, fusion, answer,
    serialisation), median over the evaluation questions;
(b) HTTP throughput and latency at concurrency 1 and 8 against uvicorn on 127.0.0.1, for
    /ask and /search with one and two workers, side by side with the field's default
    (``scripts/baseline_app.py``: sentence-transformers + FAISS + FastAPI, dense only);
(c) indexing passages/s against raw ``SentenceTransformer.encode`` of the same passages,
    measured in the same run;
(d) a synthetic scale run at ``--sizes`` passages (default 100k and 1M): embedding-like
    vectors, built with the index type the indexer would choose, loaded memory-mapped in a
    fresh process; build time, size on disk, start-up, resident memory, search p50/p99 with
    the question embedded, recall@10 against exact search; and vector search filtered to one
    document and to a tenth of the index, against unfiltered;
(e) the researcher features on the corpus: /ask filtered to each document and to a period,
    /compare, and the quote check on verbatim, changed and absent quotations.

Every server it starts is a child process on 127.0.0.1, stopped by PID. ``--smoke`` runs
everything at toy sizes for CI (not a measurement).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import httpx
import numpy as np

from service.config import ROOT, Settings
from service.http.schemas import AskResponse
from service.ingest.indexer import build_index, indexing_encoder
from service.models.onnx_embedding import ONNX_DIR, OnnxEmbedder
from service.retrieval.compare import compare
from service.retrieval.filters import Filters, select
from service.retrieval.quotes import QuoteChecker
from service.runtime import Runtime
from service.store import load_index
from service.vector_index import (
    build_vector_index,
    exact_neighbours,
    read_vector_index,
    search_vectors,
    summary,
)
from tooling.evaluation import load_questions, markdown_table, percentile
from tooling.localserver import drive, memory_mib, running_service, wait_ready

BASELINE = ("--app-dir", str(ROOT / "scripts"), "baseline_app:app")


# (a) ------------------------------------------------------------------------------------


def breakdown(settings: Settings, questions: list[str], rounds: int) -> str:
    runtime = Runtime.start(settings)
    searcher = runtime.require_searcher()
    for q in questions[:10]:
        searcher.search(q, 5)
    stages: dict[str, list[float]] = {}
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            result = searcher.search(q, 5)
            total = (time.perf_counter() - t) * 1000
            for name, value in result.timings_ms.items():
                stages.setdefault(name, []).append(value)
            stages.setdefault("search total", []).append(total)
    # Serialisation as FastAPI does it: validate against the response model, render JSON.
    from fastapi.testclient import TestClient

    from service.http.app import create_app

    with TestClient(create_app(settings)) as client:
        bodies = [client.post("/ask", json={"question": q}).json() for q in questions]
    for _ in range(rounds):
        for body in bodies:
            t = time.perf_counter()
            AskResponse.model_validate(body).model_dump_json()
            stages.setdefault("serialisation", []).append((time.perf_counter() - t) * 1000)
    order = ["embed", "dense", "bm25", "fusion", "rerank", "answer", "serialisation", "search total"]
    rows = [
        [name, round(percentile(stages[name]), 3), round(percentile(stages[name], 95), 3)]
        for name in order
        if name in stages
    ]
    return (
        "(a) in-process cost of one /ask (hybrid + answer sentence; "
        f"query encoder: {runtime.embedder.runtime}); "
        f"{len(stages['embed'])} questions\n\n" + markdown_table(["stage", "p50 ms", "p95 ms"], rows)
    )


# (b) ------------------------------------------------------------------------------------


def http_table(index_dir: Path, questions: list[str], n: int) -> str:
    ask: Callable[[httpx.Client, int], httpx.Response] = lambda c, i: c.post(  # noqa: E731
        "/ask", json={"question": questions[i % len(questions)], "top_k": 5}
    )
    search: Callable[[httpx.Client, int], httpx.Response] = lambda c, i: c.get(  # noqa: E731
        "/search", params={"q": questions[i % len(questions)], "top_k": 5}
    )
    baseline = "baseline: sentence-transformers + FAISS + FastAPI, dense only"
    int8 = "hsqa, query_int8 (option, not default)"
    one_thread = "hsqa, onnx_threads 1"
    runs = [
        ("hsqa", 1, (("POST /ask", ask), ("GET /search", search))),
        ("hsqa", 2, (("POST /ask", ask),)),
        (one_thread, 2, (("POST /ask", ask),)),
        (int8, 1, (("POST /ask", ask),)),
        (baseline, 1, (("POST /ask", ask),)),
    ]
    rows: list[list[Any]] = []
    rates: dict[tuple[str, int, str, int], float] = {}
    ready: dict[str, float] = {}
    for name, workers, endpoints in runs:
        app = BASELINE if name == baseline else ("service.http.app:create_app", "--factory")
        env = {int8: {"HSQA_QUERY_INT8": "1"}, one_thread: {"HSQA_ONNX_THREADS": "1"}}.get(name, {})
        with running_service(index_dir, env=env, workers=workers, app=app) as (url, server):
            ready[f"{name} x{workers}"] = wait_ready(url, server)
            for endpoint, send in endpoints:
                for clients in (1, 8):
                    drive(url, send, 8 * clients, clients)  # warm every worker and connection
                    run = drive(url, send, n, clients)
                    rates[(name, workers, endpoint, clients)] = run.rate
                    rss, pss = memory_mib(server.pid)
                    rows.append(
                        [
                            name,
                            workers,
                            endpoint,
                            clients,
                            n,
                            len(run.failures),
                            round(run.rate, 1),
                            round(percentile(run.latencies_ms), 1),
                            round(percentile(run.latencies_ms, 99), 1),
                            f"{rss:.0f} / {pss:.0f}",
                        ]
                    )
    base = {c: rates[(baseline, 1, "POST /ask", c)] for c in (1, 8)}
    ratios = "; ".join(
        f"{name}: "
        + ", ".join(f"concurrency {c} {rates[(name, 1, 'POST /ask', c)] / base[c]:.1f}x" for c in (1, 8))
        for name in ("hsqa", int8)
    )
    two = "; ".join(
        f"{name}: "
        + ", ".join(
            f"concurrency {c} {rates[(name, 2, 'POST /ask', c)] / rates[('hsqa', 1, 'POST /ask', c)]:.2f}x"
            for c in (1, 8)
        )
        for name in ("hsqa", one_thread)
    )
    return (
        "(b) HTTP on 127.0.0.1 (closed loop; "
        "memory = resident / proportional MiB of all server processes)\n\n"
        + markdown_table(
            [
                "server",
                "workers",
                "endpoint",
                "clients",
                "requests",
                "failures",
                "req/s",
                "p50 ms",
                "p99 ms",
                "memory",
            ],
            rows,
        )
        + f"\n\n/ask throughput, full pipeline vs baseline (dense only): {ratios}"
        + f"\n/ask throughput, 2 workers vs 1 (onnx_threads 2): {two}"
        + "\nready after start: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in ready.items())
    )


# (c) ------------------------------------------------------------------------------------


def indexing_table(settings: Settings, first_build_s: float) -> str:
    from sentence_transformers import SentenceTransformer

    from service.models.embedding import resolve_model_path

    index = load_index(settings.index_dir)
    passages = [index.chunk_text(i) for i in range(len(index.chunks))]
    sentences = [index.sentence_text(r) for r in range(len(index.sentences))]
    model = SentenceTransformer(resolve_model_path(settings.model), device="cpu")
    model.encode(passages[:8])
    t = time.perf_counter()
    reference = model.encode(passages, batch_size=32, normalize_embeddings=True)
    raw_passages = time.perf_counter() - t
    t = time.perf_counter()
    model.encode(passages + sentences, batch_size=32)
    raw_all = time.perf_counter() - t
    del model
    encoder = indexing_encoder(settings)
    encoder.encode(passages[:8])
    t = time.perf_counter()
    vectors = encoder.encode(passages)
    ours_passages = time.perf_counter() - t
    agreement = float((vectors * reference).sum(axis=1).min())
    runtime = encoder.runtime
    del encoder
    t = time.perf_counter()
    manifest = build_index(settings, progress=False, full=True)
    build_s = time.perf_counter() - t
    n = len(passages)
    rows = [
        [
            "raw SentenceTransformer.encode, the passages",
            n,
            round(raw_passages, 2),
            round(n / raw_passages, 1),
            "1.00",
        ],
        [
            f"the indexer's encoder ({runtime}), the passages alone (min cosine to raw: {agreement:.6f})",
            n,
            round(ours_passages, 2),
            round(n / ours_passages, 1),
            f"{raw_passages / ours_passages:.2f}",
        ],
        [
            "raw SentenceTransformer.encode, passages + answer sentences",
            n + len(sentences),
            round(raw_all, 2),
            round(n / raw_all, 1),
            f"{raw_passages / raw_all:.2f}",
        ],
        [
            f"hsqa-build-index --full (embedding with {manifest.embed_runtime}; read, chunk, "
            "passages + sentences, BM25, write)",
            n + len(sentences),
            round(build_s, 2),
            round(n / build_s, 1),
            f"{raw_passages / build_s:.2f}",
        ],
    ]
    return (
        "(c) indexing the corpus, same passages, same run (passages/s counts passages only)\n\n"
        + markdown_table(["what", "texts embedded", "seconds", "passages/s", "vs raw passages"], rows)
        + f"\n\nbuild vs raw encode of the same texts: {raw_all / build_s:.2f}x; "
        "first build (with the one-time "
        f"ONNX export and its check against torch): {first_build_s:.1f} s"
    )


# (d) ------------------------------------------------------------------------------------


def embedding_like(anchors: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors shaped like text embeddings: each mixes two real passage or sentence
    vectors of the corpus with noise, so neighbours cluster by topic the way real ones do."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, anchors.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        x = (
            w * anchors[rng.integers(0, len(anchors), m)]
            + (1 - w) * anchors[rng.integers(0, len(anchors), m)]
        )
        x += rng.standard_normal(x.shape).astype(np.float32) * (0.6 / np.sqrt(anchors.shape[1]))
        faiss.normalize_L2(x)
        out[start : start + m] = x
    return out


def probe(args: argparse.Namespace) -> int:
    """Child process of the scale run: load memory-mapped, answer, report (JSON on stdout)."""
    started = time.time()
    description = json.loads(args.probe_description)
    index = read_vector_index(Path(args.probe), description)
    encoder = OnnxEmbedder(Path(args.probe_onnx), threads=2)
    questions = json.loads(Path(args.probe_questions).read_text())
    encoder.encode_query(questions[0])
    index.search(encoder.encode_query(questions[0])[None, :], 50)
    ready = time.time()
    rss_ready = memory_mib(os.getpid())[0]
    latencies, found = [], []
    for round_ in range(3):
        for q in questions:
            t = time.perf_counter()
            _, ids = index.search(encoder.encode_query(q)[None, :], 50)
            latencies.append((time.perf_counter() - t) * 1000)
            if round_ == 0:
                found.append(ids[0][:10].tolist())
    # Filtered before ranking (service.vector_index.search_vectors), the question embedded as
    # above: one document's passages (a contiguous run of 33, as in ~30k documents), and a
    # tenth of the index (a kind or a period).
    rng = np.random.default_rng(0)
    tenth = np.sort(rng.choice(index.ntotal, index.ntotal // 10, replace=False))
    filtered: dict[str, list[float]] = {"one document": [], "a tenth of the index": []}
    for q in questions * 3:
        start = int(rng.integers(0, index.ntotal - 33))
        for name, allowed in (
            ("one document", np.arange(start, start + 33)),
            ("a tenth of the index", tenth),
        ):
            t = time.perf_counter()
            search_vectors(index, encoder.encode_query(q), 50, allowed=allowed)
            filtered[name].append((time.perf_counter() - t) * 1000)
    print(
        json.dumps(
            {
                "started": started,
                "ready": ready,
                "rss_ready": rss_ready,
                "rss_after": memory_mib(os.getpid())[0],
                "latencies": latencies,
                "found": found,
                "filtered": filtered,
            }
        )
    )
    return 0


def scale_table(settings: Settings, sizes: list[int], questions: list[str], exact_max: int | None) -> str:
    index = load_index(settings.index_dir)
    anchors = np.concatenate(
        [index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal), np.asarray(index.sentence_vectors)]
    ).astype(np.float32)
    encoder = OnnxEmbedder(settings.index_dir / ONNX_DIR, threads=2)
    qvecs = encoder.encode(questions)
    rows, filtered_rows = [], []
    for n in sizes:
        vectors = embedding_like(anchors, n)
        build_settings = Settings(exact_max_passages=exact_max) if exact_max is not None else settings
        t = time.perf_counter()
        vindex, description = build_vector_index(vectors, build_settings)
        build_s = time.perf_counter() - t
        truth = exact_neighbours(vectors, qvecs)
        exact_ms = []
        for q in qvecs[:20]:
            t = time.perf_counter()
            faiss.knn(q[None, :], vectors, 50, metric=faiss.METRIC_INNER_PRODUCT)
            exact_ms.append((time.perf_counter() - t) * 1000)
        del vectors
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "chunks.faiss"
            faiss.write_index(vindex, str(path))
            del vindex
            (Path(tmp) / "questions.json").write_text(json.dumps(questions))
            spawned = time.time()
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--probe",
                    str(path),
                    "--probe-description",
                    json.dumps(description),
                    "--probe-onnx",
                    str(settings.index_dir / ONNX_DIR),
                    "--probe-questions",
                    str(Path(tmp) / "questions.json"),
                ],
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            size_mib = path.stat().st_size / 2**20
        report = json.loads(done.stdout)
        recall = np.mean(
            [len(set(f) & set(t)) / 10 for f, t in zip(report["found"], truth.tolist(), strict=True)]
        )
        unfiltered = percentile(report["latencies"])
        filtered_rows += [
            [
                f"{n:,}",
                name,
                round(percentile(ms), 2),
                round(percentile(ms, 99), 2),
                f"{percentile(ms) / unfiltered:.2f}x",
            ]
            for name, ms in [("none", report["latencies"]), *report["filtered"].items()]
        ]
        params = summary(description)
        rows.append(
            [
                f"{n:,}",
                params,
                round(build_s, 1),
                f"{size_mib:,.0f}",
                round(report["ready"] - spawned, 1),
                f"{report['rss_ready']:,.0f} / {report['rss_after']:,.0f}",
                round(percentile(report["latencies"]), 2),
                round(percentile(report["latencies"], 99), 2),
                round(percentile(exact_ms), 1),
                f"{recall:.3f}",
            ]
        )
    return (
        "(d) synthetic scale (embedding-like vectors; the questions are the evaluation set, embedded with "
        "onnxruntime in the timed path; search returns 50 candidates like the service)\n\n"
        + markdown_table(
            [
                "passages",
                "index",
                "build s",
                "disk MiB",
                "ready s",
                "RSS MiB ready / after",
                "search p50 ms",
                "p99 ms",
                "exact p50 ms",
                "recall@10",
            ],
            rows,
        )
        + "\n\nfiltered before ranking at the same sizes (question embedded in the timed path)\n\n"
        + markdown_table(["passages", "filter", "p50 ms", "p99 ms", "p50 vs none"], filtered_rows)
    )


# (e) ------------------------------------------------------------------------------------


def research_table(settings: Settings, questions: list[str], rounds: int) -> str:
    """Filters, compare and the quote check on the corpus, in process."""
    searcher = Runtime.start(settings).require_searcher()
    index = searcher.index
    runs: list[tuple[str, Filters | None]] = [("none", None)]
    runs += [(f"document {d[:24]}", Filters(documents=(d,))) for d in index.document_order]
    runs += [("dated 2001-2009", Filters(date_from="2001", date_to="2009"))]
    rows = []
    for name, filters in runs:
        selection = None if filters is None else select(index, filters)
        ms = []
        for _ in range(rounds):
            for q in questions:
                t = time.perf_counter()
                searcher.search(q, 5, selection=selection)
                ms.append((time.perf_counter() - t) * 1000)
        rows.append(
            [f"/ask, filter: {name}", len(ms), round(percentile(ms), 2), round(percentile(ms, 95), 2)]
        )
    ms = []
    for q in questions[:20]:
        t = time.perf_counter()
        compare(searcher, q)
        ms.append((time.perf_counter() - t) * 1000)
    rows.append(
        [
            f"/compare over {len(index.documents)} documents",
            len(ms),
            round(percentile(ms), 2),
            round(percentile(ms, 95), 2),
        ]
    )
    # Quotations: sentences of the corpus as written (lower-cased), the same with one word
    # changed, and the evaluation questions (found nowhere).
    sentences = [index.sentence_text(r) for r in range(0, len(index.sentences), 7)]
    sentences = [s for s in sentences if len(s.split()) >= 8][:40]
    changed = [
        " ".join(w if i != len(s.split()) // 2 else "xyzzy" for i, w in enumerate(s.split()))
        for s in sentences[:20]
    ]
    checker = QuoteChecker(index)
    for name, quotations in [
        ("verbatim", [s.lower() for s in sentences]),
        ("one word changed", changed),
        ("not in the texts", questions[:20]),
    ]:
        ms, verdicts = [], []
        for _ in range(rounds):
            for quotation in quotations:
                t = time.perf_counter()
                verdict, _ = checker.check(quotation)
                ms.append((time.perf_counter() - t) * 1000)
                verdicts.append(verdict)
        counts = ", ".join(
            f"{v} {verdicts.count(v) // rounds}" for v in ("exact", "near", "not_found") if v in verdicts
        )
        rows.append(
            [f"/quote, {name} ({counts})", len(ms), round(percentile(ms), 2), round(percentile(ms, 95), 2)]
        )
    return (
        "(e) researcher features on the corpus, in process (question embedded in the timed path)\n\n"
        + markdown_table(["what", "runs", "p50 ms", "p95 ms"], rows)
    )


# ----------------------------------------------------------------------------------------


def _sections(value: str) -> str:
    letters = value.replace(",", "").replace(" ", "")
    if not letters or set(letters) - set("abcde"):
        raise argparse.ArgumentTypeError(f"{value!r}: give letters from a, b, c, d, e, e.g. --sections ab")
    return letters


def smoke_corpus(folder: Path, texts: int = 2) -> Path:
    """A corpus of the ``texts`` shortest founding texts, with their catalogue."""
    source = Settings().corpus_dir
    folder.mkdir(parents=True)
    for path in sorted(source.glob("*.txt"), key=lambda p: p.stat().st_size)[:texts]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "catalog.toml").write_bytes((source / "catalog.toml").read_bytes())
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="requests per HTTP row (bounded)")
    parser.add_argument("--sizes", default="100000,1000000", help="passage counts for the scale run")
    parser.add_argument(
        "--sections", type=_sections, default="abcde", help="which tables: any of a to e ('ab' or 'a,b')"
    )
    parser.add_argument("--smoke", action="store_true", help="toy sizes for CI; not a measurement")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-description", help=argparse.SUPPRESS)
    parser.add_argument("--probe-onnx", help=argparse.SUPPRESS)
    parser.add_argument("--probe-questions", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return probe(args)
    questions = [q["question"] for q in load_questions(ROOT / "eval" / "questions.jsonl")]
    requests = 24 if args.smoke else args.requests
    sizes = [3000] if args.smoke else [int(s) for s in args.sizes.split(",") if s]

    print(f"machine: {os.cpu_count()} CPUs, {os.uname().machine}; faiss {faiss.__version__}\n")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        if args.smoke:  # proves every section runs, in a fifth of the building
            settings = Settings(index_dir=settings.index_dir, corpus_dir=smoke_corpus(Path(tmp) / "corpus"))
        t = time.perf_counter()
        manifest = build_index(settings, progress=False)
        first_build_s = time.perf_counter() - t
        counts = manifest.counts
        print(
            f"corpus: {counts.documents} documents, {counts.chunks} passages, {counts.sentences} "
            f"sentences; first build {first_build_s:.1f} s\n"
        )
        sections = {
            "a": lambda: breakdown(
                settings, questions[:12] if args.smoke else questions, 1 if args.smoke else 3
            ),
            "b": lambda: http_table(settings.index_dir, questions, requests),
            "c": lambda: indexing_table(settings, first_build_s),
            "d": lambda: scale_table(settings, sizes, questions, 1000 if args.smoke else None),
            "e": lambda: research_table(
                settings, questions[:12] if args.smoke else questions, 1 if args.smoke else 3
            ),
        }
        for key in args.sections:
            print(sections[key](), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
