"""The learned answer stage: the bundled model loads offline and refuses to load when it does
not fit the code; its score is a probability and the threshold decides; the training script
runs end to end, the same way twice."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.config import ROOT, Settings
from service.errors import ModelUnavailable
from service.models.answer_model import BUNDLED, FEATURES, META_FILE, MODEL_FILE, AnswerModel
from service.runtime import Runtime

OGATA = "What three priorities did Sadako Ogata name for human security?"


def test_the_bundled_model_loads_offline_and_says_what_it_was_trained_on() -> None:
    model = AnswerModel.load()
    assert model.meta["features"] == list(FEATURES)
    assert model.meta["training"]["licence"].startswith("CC BY-SA 4.0")
    assert set(model.meta["training"]["validation_articles"]).isdisjoint(
        model.meta["training"]["train_articles"]
    )
    assert 0.0 < model.threshold < 1.0
    assert (BUNDLED / "MODEL_CARD.md").is_file()


def test_a_missing_model_stops_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="train_answer_model.py"):
        AnswerModel.load(tmp_path)


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    shutil.copytree(BUNDLED, tmp_path / "model")
    meta = json.loads((tmp_path / "model" / META_FILE).read_text())
    meta["features"] = meta["features"][:-1]
    (tmp_path / "model" / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelUnavailable, match="retrain it"):
        AnswerModel.load(tmp_path / "model")


def test_probabilities_rise_with_the_evidence() -> None:
    model = AnswerModel.load()
    close = np.zeros((2, len(FEATURES)), dtype=np.float32)
    column = {name: i for i, name in enumerate(FEATURES)}
    close[0, column["sim"]], close[0, column["overlap"]], close[0, column["passage_cos"]] = 0.8, 1.0, 0.7
    close[1, column["sim"]], close[1, column["overlap"]], close[1, column["passage_cos"]] = 0.1, 0.0, 0.1
    close[1, column["missing_window"]] = 1.0
    p = model.candidate_probabilities(close)
    assert p[0] > p[1]
    assert 0.0 <= model.answer_probability(p, close) <= 1.0


@pytest.mark.parametrize(("threshold", "answered"), [(0.0, True), (1.0, False)])
def test_the_threshold_decides_whether_there_is_an_answer(
    settings: Settings, threshold: float, answered: bool
) -> None:
    searcher = Runtime.start(settings.model_copy(update={"abstain_threshold": threshold})).require_searcher()
    result = searcher.search(OGATA, 5)
    assert (result.answer is not None) is answered
    if not answered:
        assert result.outcome.reason == "unlikely" and 0.0 < result.outcome.score < 1.0  # type: ignore[union-attr]


def test_the_top_passages_are_reordered_by_their_best_answer(client: TestClient) -> None:
    # The answer's passage comes first: the answer model read the top five and ranked them.
    body = client.post("/ask", json={"question": OGATA, "top_k": 10}).json()
    assert body["answer"] is not None and body["answer"]["passage"] == 0


def test_training_runs_end_to_end_and_the_same_way_twice(tmp_path: Path) -> None:
    # A smoke run: a dozen questions per article; the SQuAD indexes are built once in the cache.
    cache = ROOT / ".cache" / "squad-smoke"
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "train_answer_model.py"),
                "--smoke",
                "--out",
                str(out),
                "--cache",
                str(cache),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outs.append(out)
    assert (outs[0] / MODEL_FILE).read_bytes() == (outs[1] / MODEL_FILE).read_bytes()
    model = AnswerModel.load(outs[0])
    assert model.meta["training"]["smoke"] is True
    assert model.candidate_probabilities(np.zeros((1, len(FEATURES)), dtype=np.float32)).shape == (1,)
