"""The HTTP contract: shapes, citations that check out, and readable errors, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.app import create_app

QUESTION = "What did participants say about funding and political will?"


def test_ask_response_has_the_contract_shape(client: TestClient) -> None:
    body = client.post("/ask", json={"question": QUESTION, "top_k": 3}).json()
    assert set(body) == {"question", "answer", "unknown_terms", "reason", "passages", "filters", "took_ms"}
    assert body["question"] == QUESTION and body["took_ms"] > 0
    assert body["unknown_terms"] == [] and body["filters"] is None  # no filters asked for
    assert body["reason"] is None  # there is an answer
    assert len(body["passages"]) == 3
    for p in body["passages"]:
        assert set(p) == {"text", "score", "citation"}
        assert set(p["citation"]) == {
            "document_id",
            "title",
            "source",
            "date",
            "section",
            "start",
            "end",
            "page",
            "url",
        }
    assert set(body["answer"]) == {"text", "passage", "start", "end", "score"}
    assert 0.0 <= body["answer"]["score"] <= 1.0  # a calibrated probability


def test_refusing_questions_about_what_no_text_mentions_says_what(settings: Settings) -> None:
    # Off by default (a question may describe, 'the Cambridge economist'); when it is on, the
    # answer is null and unknown_terms says which name no text mentions.
    strict = settings.model_copy(update={"abstain_on_unknown_terms": True})
    with TestClient(create_app(strict)) as c:
        body = c.post("/ask", json={"question": "What does NATO mean by climate security?"}).json()
    assert body["answer"] is None
    assert body["unknown_terms"] == ["NATO"] and body["reason"] == "unknown_terms"
    assert body["passages"]


def test_every_citation_points_at_its_text_in_the_stored_document(client: TestClient) -> None:
    body = client.post("/ask", json={"question": QUESTION, "top_k": 20}).json()
    docs: dict[str, str] = {}
    for p in body["passages"]:
        c = p["citation"]
        if c["document_id"] not in docs:
            docs[c["document_id"]] = client.get(f"/documents/{c['document_id']}").json()["text"]
        assert docs[c["document_id"]][c["start"] : c["end"]] == p["text"]
    a = body["answer"]
    doc_id = body["passages"][a["passage"]]["citation"]["document_id"]
    assert docs[doc_id][a["start"] : a["end"]] == a["text"]


def test_citation_url_opens_the_document_at_the_passage(client: TestClient) -> None:
    body = client.post("/ask", json={"question": QUESTION, "top_k": 1}).json()
    c = body["passages"][0]["citation"]
    assert c["url"].endswith(f"/view/{c['document_id']}?start={c['start']}&end={c['end']}#passage")
    page = client.get(c["url"])
    assert page.status_code == 200
    assert 'id="passage"' in page.text


def test_search_matches_ask(client: TestClient) -> None:
    by_get = client.get("/search", params={"q": QUESTION, "top_k": 4}).json()
    by_post = client.post("/ask", json={"question": QUESTION, "top_k": 4}).json()
    assert by_get["passages"] == by_post["passages"]
    assert by_get["answer"] == by_post["answer"]


def test_default_top_k_is_five(client: TestClient) -> None:
    assert len(client.post("/ask", json={"question": QUESTION}).json()["passages"]) == 5


def test_documents_list_metadata_and_chunk_counts(client: TestClient) -> None:
    docs = client.get("/documents").json()["documents"]
    assert len(docs) == 5
    assert all(d["chunks"] > 0 for d in docs)
    kobe = next(d for d in docs if d["id"] == "kobe-kurusu-protecting-every-person")
    assert kobe["author"] == "Kobe University" and kobe["kind"] == "university feature"


def test_health_reports_what_is_loaded(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5 and body["chunks"] > 50
    assert body["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["answer_model"].startswith("hsqa-answer-lgbm-") and "(threshold 0." in body["answer_model"]
    assert (
        "refusing an answer without the count, time, sum, share, person, place, body, speaker, day, title, "
        "given name or office holder asked for" in body["answer_model"]
    )
    assert (
        "or that says nothing the question does not, negates nothing asked about what is not so, states "
        "another year or number than the one given or states the opposite of what is asked about"
        in body["answer_model"]
    )
    assert "refusing as off-topic a question no top passage comes within 0." in body["answer_model"]
    assert body["index_built_at"]


def test_openapi_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text
    assert "/ask" in client.get("/openapi.json").json()["paths"]


BAD_ASKS: list[tuple[str, Any, str]] = [
    ("empty question", {"question": ""}, "question: must not be empty"),
    ("whitespace question", {"question": " \t\n "}, "question: must not be empty"),
    ("question too long", {"question": "x" * 1001}, "the limit is 1000"),
    ("top_k zero", {"question": "a", "top_k": 0}, "top_k"),
    ("top_k too big", {"question": "a", "top_k": 21}, "top_k"),
    ("top_k as string", {"question": "a", "top_k": "5"}, "top_k"),
    ("top_k as float", {"question": "a", "top_k": 2.5}, "top_k"),
    ("question as number", {"question": 42}, "question"),
    ("question missing", {"top_k": 3}, "question"),
    ("body is a list", [1, 2], "JSON object"),
    ("lone surrogate", {"question": "\ud800"}, "lone surrogate"),
]


@pytest.mark.parametrize(("name", "payload", "fragment"), BAD_ASKS, ids=[b[0] for b in BAD_ASKS])
def test_bad_ask_input_gets_a_readable_422(
    client: TestClient, name: str, payload: Any, fragment: str
) -> None:
    import json

    response = client.post("/ask", content=json.dumps(payload), headers={"content-type": "application/json"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"status", "detail", "errors"} and body["status"] == 422
    assert fragment in body["detail"]


@pytest.mark.parametrize("body", [b'{"question": ', b"P\xff\xfe-qW\x80", b"", b"null"])
def test_malformed_json_gets_a_readable_422(client: TestClient, body: bytes) -> None:
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"] or "body is required" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": ""}, "q: must not be empty"),
        ({"q": "a", "top_k": "many"}, "top_k"),
        ({}, "q"),
        ({"q": "a", "top_k": 99}, "top_k"),
    ],
)
def test_bad_search_input_gets_a_readable_422(
    client: TestClient, params: dict[str, Any], fragment: str
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/documents/no-such-doc")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "detail": "no document with id 'no-such-doc'; GET /documents lists the ids",
        "errors": [],
    }


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/ask", content=b"x" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]


def test_without_an_index_searches_are_503_with_how_to_build_one(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index_dir=tmp_path / "missing"))) as c:
        for response in (
            c.post("/ask", json={"question": "anything"}),
            c.get("/search?q=x"),
            c.get("/documents"),
        ):
            assert response.status_code == 503
            assert "hsqa-build-index" in response.json()["detail"]
            assert str(tmp_path) not in response.text
        health = c.get("/health").json()
        assert health["status"] == "degraded" and "no index" in health["index_error"]


def test_the_contracts_limits_cannot_be_moved_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # /docs and the error messages state 20 and 1,000; a server enforcing another value would lie.
    monkeypatch.setenv("HSQA_MAX_TOP_K", "50")
    with pytest.raises(ValueError, match="max_top_k is part of the HTTP contract and stays 20"):
        Settings()


def test_asking_for_fewer_passages_finds_the_same_answer(client: TestClient) -> None:
    question = "What priorities did Sadako Ogata name for human security?"
    five = client.post("/ask", json={"question": question, "top_k": 5}).json()
    one = client.post("/ask", json={"question": question, "top_k": 1}).json()
    assert len(one["passages"]) == 1 and one["answer"]["passage"] == 0
    assert (one["answer"]["text"], one["answer"]["score"]) == (
        five["answer"]["text"],
        five["answer"]["score"],
    )
    assert one["passages"][0] == five["passages"][five["answer"]["passage"]]
