"""Helpers shared by the tests: where the real corpus and the test data live, and how to read
a JSONL question set. Fixtures stay in ``conftest.py``; plain helpers live here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.config import ROOT

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = ROOT / "corpus"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
