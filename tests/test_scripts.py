"""The benchmark and load scripts run end to end (tiny sizes: a smoke run, not a measurement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from service.config import ROOT, Settings
from service.ingest.indexer import indexing_encoder
from service.store import load_index, read_manifest


def run_script(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_bench_smoke_prints_all_four_tables() -> None:
    out = run_script("scripts/bench.py", "--smoke")
    for title in (
        "(a) in-process cost",
        "(b) HTTP on 127.0.0.1",
        "(c) indexing the corpus",
        "(d) synthetic scale",
    ):
        assert title in out
    http_rows = [line for line in out.splitlines() if "| POST /ask |" in line or "| GET /search |" in line]
    assert len(http_rows) == 12 and all("| 24 | 0 |" in row for row in http_rows), (
        "every HTTP row: 24 requests, 0 failures"
    )
    assert "| baseline: sentence-transformers + FAISS + FastAPI, dense only | 1 | POST /ask | 8 |" in out
    assert "| 3,000 | hnsw_flat M 32 ef_search" in out, "the smoke scale run exercises the approximate index"


def test_load_smoke_has_no_failures() -> None:
    out = run_script("scripts/load.py", "--clients", "4", "--requests", "120", "--max-seconds", "60")
    assert "120 requests" in out and ", 0 failures" in out


def test_reload_under_load_smoke_loses_no_request() -> None:
    out = run_script("scripts/reload_under_load.py", "--clients", "4", "--seconds", "8")
    assert ", 0 failures;" in out and "top passage for the new question: zanzibar" in out


def test_a_generated_corpus_builds_embedding_only_its_sample(tmp_path: Path) -> None:
    out = run_script(
        "scripts/generate_corpus.py",
        "--passages",
        "250",
        "--pool",
        "120",
        "--sample-documents",
        "1",
        "--out",
        str(tmp_path),
    )
    assert json.loads(out)["documents"] == 2
    run_script(
        "scripts/build_index.py",
        "--corpus",
        str(tmp_path / "corpus"),
        "--index",
        str(tmp_path / "index"),
        "--quiet",
    )
    manifest = read_manifest(tmp_path / "index")
    assert manifest.changes.embedded == ["report-000001"], "the cache held every other document"
    index = load_index(tmp_path / "index")
    row = index.ordinal_of["report-000002"]
    first = int(np.flatnonzero(index.sentences[:, 0] == row)[3])
    encoder = indexing_encoder(Settings(index_dir=tmp_path / "index"))  # the build's
    assert np.allclose(
        index.sentence_vectors[first], encoder.encode_query(index.sentence_text(first)), atol=1e-5
    )
    # The filtered-search benchmark runs on it: a flat index scores a filter exactly either way.
    out = run_script("scripts/bench_million.py", "--index", str(tmp_path / "index"), "--filters", "60,250")
    rows = [line for line in out.splitlines() if "| exact: " in line]
    assert len(rows) == 2 and all(row.count("(1.000)") == 2 for row in rows), out
