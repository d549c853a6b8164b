"""The benchmark and load scripts run end to end (tiny sizes: a smoke run, not a measurement)."""

from __future__ import annotations

import subprocess
import sys

from service.config import ROOT


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
    assert "| 3,000 | ivf_flat nlist 256 nprobe" in out, "the smoke scale run exercises the approximate index"


def test_load_smoke_has_no_failures() -> None:
    out = run_script("scripts/load.py", "--clients", "4", "--requests", "120", "--max-seconds", "60")
    assert "120 requests" in out and ", 0 failures" in out


def test_reload_under_load_smoke_loses_no_request() -> None:
    out = run_script("scripts/reload_under_load.py", "--clients", "4", "--seconds", "8")
    assert ", 0 failures;" in out and "top passage for the new question: zanzibar" in out
