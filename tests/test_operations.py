"""What an operator relies on: readiness, metrics, request logs, safe concurrency, and no
leaks through odd paths or headers."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from service.config import Settings
from service.errors import SkippedFile
from service.http.app import create_app
from service.ingest.loaders import LOADERS


def test_ready_is_distinct_from_health(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/ready").status_code == 200
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"))) as c:
        assert c.get("/health").status_code == 200
        response = c.get("/ready")
        assert response.status_code == 503 and "hsqa-build-index" in response.json()["detail"]


def test_metrics_count_requests_per_route_and_describe_the_index(client: TestClient) -> None:
    client.post("/ask", json={"question": "Who is Sadako Ogata?"})
    client.get("/documents/jica-what-is-human-security")
    text = client.get("/metrics").text
    assert 'hsqa_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'route="/documents/{document_id}"' in text
    assert "hsqa_request_duration_seconds_bucket" in text
    assert "hsqa_index_documents 5.0" in text and "hsqa_ready 1.0" in text


def test_one_json_log_line_per_request_without_the_question(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hsqa.access"):
        client.get("/search", params={"q": "secret question about refugees"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "hsqa.access"]
    assert len(lines) == 1
    assert lines[0]["route"] == "/search" and lines[0]["status"] == 200 and lines[0]["ms"] > 0
    assert "secret" not in caplog.text


def test_question_logging_is_opt_in(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings.model_copy(update={"log_questions": True}))
    with TestClient(app) as c, caplog.at_level(logging.INFO, logger="hsqa.access"):
        c.post("/ask", json={"question": "opt-in question"})
    assert json.loads(caplog.records[-1].getMessage())["question"] == "opt-in question"


def test_simultaneous_identical_questions_get_identical_answers(client: TestClient) -> None:
    def ask(_: int) -> tuple[int, str]:
        r = client.post("/ask", json={"question": "Why did Canada intervene in Kosovo?", "top_k": 10})
        body = r.json()
        body.pop("took_ms", None)
        return r.status_code, json.dumps(body, sort_keys=True)

    # More clients than HSQA_MAX_IN_FLIGHT: some are shed (503), every answer given is the same.
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(ask, range(48)))
    assert {status for status, _ in results} <= {200, 503}
    answers = {body for status, body in results if status == 200}
    assert len(answers) == 1 and sum(status == 200 for status, _ in results) >= 8


@pytest.mark.parametrize(
    "path",
    [
        "/documents/..%2F..%2Fetc%2Fpasswd",
        "/documents/%2e%2e%2fcorpus%2fcatalog.toml",
        "/view/..%2F..%2Fetc%2Fpasswd",
        "/static/..%2F..%2Fservice%2Fconfig.py",
        "/static/../config.py",
    ],
)
def test_paths_cannot_reach_files(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.text and "HSQA_" not in response.text


def test_cors_is_off(client: TestClient) -> None:
    response = client.options(
        "/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers


PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"


@settings(max_examples=150, deadline=None)
@given(suffix=st.sampled_from(sorted(LOADERS)), data=st.binary(max_size=2000), pdf_like=st.booleans())
def test_every_loader_reads_or_refuses_any_bytes(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, data: bytes, pdf_like: bool
) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"any{suffix}"
    path.write_bytes((PDF_HEAD if pdf_like and suffix == ".pdf" else b"") + data)
    try:
        loaded = LOADERS[suffix](path)
    except SkippedFile as exc:
        assert f"any{suffix}" in str(exc)
    else:
        assert loaded.text.strip() and "\r" not in loaded.text


@pytest.mark.parametrize(
    "question",
    [
        "Was ist 🧭 human security? 🙂👍🏽",
        "ما هو الأمن الإنساني؟",
        "hu\u0301man se\u0300curity\u0327",
        "refugees\x00 and\x07 aid",
        "\u202eevil\u202c security",
        "\ufeffzero\u200bwidth",
        "𝔥𝔲𝔪𝔞𝔫 𝔰𝔢𝔠𝔲𝔯𝔦𝔱𝔶",
    ],
    ids=["emoji", "rtl", "combining", "nul-and-control", "bidi-override", "bom-zero-width", "astral"],
)
def test_unicode_of_every_kind_is_answered(client: TestClient, question: str) -> None:
    for response in (
        client.post("/ask", json={"question": question}),
        client.get("/search", params={"q": question}),
        client.get("/", params={"q": question}),
    ):
        assert response.status_code == 200, response.text


def test_an_enormous_query_string_is_refused_readably(client: TestClient) -> None:
    response = client.get("/search", params={"q": "refugees " * 3000})
    assert response.status_code == 422
    assert "the limit is 1000" in response.json()["detail"]
