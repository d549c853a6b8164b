"""The optional cross-encoder stage: when a reranker is set, the passages come back in its
order, scored by it; when it cannot be loaded, the service says how to fix that.

No trained reranker can be obtained offline, so these tests build a real cross-encoder from
the bundled MiniLM weights with a fresh (seeded) scoring head: its scores carry no meaning,
which is what makes the test sharp: the order it produces is unlike the first stage's, so only
a stage that really applies the model can return it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.app import create_app
from service.models.embedding import resolve_model_path
from service.reload import Reloader
from service.runtime import Runtime

QUESTION = "Which fund set up by the Japanese government did Ogata welcome?"


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(7)
    folder = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoder(resolve_model_path(settings.model), num_labels=1, device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="module")
def reranked(settings: Settings, cross_encoder: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"reranker_model": str(cross_encoder)}))) as c:
        yield c


def test_passages_come_back_in_the_rerankers_order_with_its_scores(
    reranked: TestClient, client: TestClient, settings: Settings, cross_encoder: Path
) -> None:
    from sentence_transformers import CrossEncoder

    candidates = settings.rerank_candidates
    first_stage = client.post("/ask", json={"question": QUESTION, "top_k": candidates}).json()["passages"]
    texts = [p["text"] for p in first_stage]
    model_scores = CrossEncoder(str(cross_encoder), device="cpu").predict([(QUESTION, t) for t in texts])
    expected = sorted(range(len(texts)), key=lambda j: (-model_scores[j], j))[:5]
    assert expected != list(range(5)), "the test model must disagree with the first stage"

    body = reranked.post("/ask", json={"question": QUESTION, "top_k": 5}).json()
    assert [p["text"] for p in body["passages"]] == [texts[j] for j in expected]
    assert [p["score"] for p in body["passages"]] == pytest.approx(
        [float(model_scores[j]) for j in expected], abs=1e-5
    )
    # Citations and the answer are those of the reordered passages.
    for p in body["passages"]:
        doc = reranked.get(f"/documents/{p['citation']['document_id']}").json()
        assert doc["text"][p["citation"]["start"] : p["citation"]["end"]] == p["text"]
    if body["answer"] is not None:
        assert body["answer"]["text"] in body["passages"][body["answer"]["passage"]]["text"]


def test_health_names_the_reranker(reranked: TestClient, client: TestClient, cross_encoder: Path) -> None:
    assert reranked.get("/health").json()["reranker"] == str(cross_encoder)
    assert client.get("/health").json()["reranker"] is None


def test_a_reloaded_index_keeps_the_same_reranker(settings: Settings, cross_encoder: Path) -> None:
    runtime = Runtime.start(settings.model_copy(update={"reranker_model": str(cross_encoder)}))
    swapped: list[Runtime] = []
    reloader = Reloader(runtime, on_swap=swapped.append)
    assert reloader.reload()
    assert swapped and swapped[0].searcher is not None
    assert swapped[0].searcher.reranker is runtime.reranker is not None  # loaded once, not again


def test_a_reranker_that_cannot_be_loaded_stops_the_start_and_says_how_to_fix_it(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(OSError, match="HSQA_RERANKER_MODEL"):
        Runtime.start(settings.model_copy(update={"reranker_model": str(tmp_path / "no-such-model")}))
