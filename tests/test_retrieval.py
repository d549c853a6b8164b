"""Questions in a reader's own words find the passage that answers them; questions the
corpus cannot answer get no answer."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DATA, read_jsonl

CORE = read_jsonl(DATA / "core_questions.jsonl")
OFF_TOPIC = [q for q in (DATA / "off_topic_questions.txt").read_text().splitlines() if q.strip()]


def ask(client: TestClient, question: str, top_k: int = 5) -> dict[str, Any]:
    response = client.post("/ask", json={"question": question, "top_k": top_k})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("case", CORE, ids=[c["question"][:50] for c in CORE])
def test_the_answering_passage_is_in_the_top_five(client: TestClient, case: dict[str, Any]) -> None:
    body = ask(client, case["question"])
    found = [
        p["citation"]["document_id"]
        for p in body["passages"]
        if any(a in p["text"] for a in case["answers"])
    ]
    assert case["document"] in found, [p["text"][:80] for p in body["passages"]]


def test_ogata_question_from_the_readme_returns_the_symposium_passage(client: TestClient) -> None:
    body = ask(client, "What three priorities did Sadako Ogata name for human security?")
    top = body["passages"][0]
    assert top["citation"]["document_id"] == "mofa-2000-international-symposium-on-human-security"
    assert "three crucial priorities" in top["text"]
    assert body["answer"] is not None
    assert body["answer"]["text"] in body["passages"][body["answer"]["passage"]]["text"]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_get_no_answer(client: TestClient, question: str) -> None:
    assert ask(client, question)["answer"] is None


def test_top_five_hit_rate_on_core_questions(client: TestClient) -> None:
    hits = sum(
        any(any(a in p["text"] for a in c["answers"]) for p in ask(client, c["question"])["passages"]) for c in CORE
    )
    assert hits / len(CORE) >= 0.9
