"""Replicated serving: the app deployed on Ray Serve (a local Ray with two CPUs, two replicas
here) passes the same API contract tests as the plain server, over real HTTP through Serve's
proxy; the page is served the same way."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import ray
from ray import serve

from service.config import Settings
from service.http.ray_serve import Scale, application
from tests.support import DATA, read_jsonl
from tests.test_api import (  # noqa: F401 - collected here again, against Ray Serve
    test_ask_response_has_the_contract_shape,
    test_asking_for_fewer_passages_finds_the_same_answer,
    test_bad_ask_input_gets_a_readable_422,
    test_bad_search_input_gets_a_readable_422,
    test_citation_url_opens_the_document_at_the_passage,
    test_default_top_k_is_five,
    test_documents_list_metadata_and_chunk_counts,
    test_every_citation_points_at_its_text_in_the_stored_document,
    test_health_reports_what_is_loaded,
    test_malformed_json_gets_a_readable_422,
    test_oversized_body_is_413,
    test_search_matches_ask,
    test_unknown_document_is_404,
)
from tooling.localserver import free_port


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    """The contract tests' client, pointed at Ray Serve's HTTP proxy on 127.0.0.1."""
    port = free_port()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(application(settings, Scale(replicas=2)), name="hsqa", route_prefix="/")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            yield c
    finally:
        serve.shutdown()
        ray.shutdown()


def test_both_replicas_answer_and_the_page_is_served(client: httpx.Client) -> None:
    status = serve.status().applications["hsqa"].deployments["hsqa"]
    assert status.replica_states.get("RUNNING") == 2
    page = client.get("/", params={"q": "What is human security?"})
    assert page.status_code == 200 and "<form" in page.text and "human security" in page.text.lower()


def test_concurrent_questions_are_batched_and_answered_as_one_by_one(client: httpx.Client) -> None:
    questions = [q["question"] for q in read_jsonl(DATA / "core_questions.jsonl")][:12]
    alone = [client.post("/ask", json={"question": q}).json() for q in questions]
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda q: client.post("/ask", json={"question": q}), questions))
    assert [r.status_code for r in replies] == [200] * len(questions)
    assert [(r.json()["answer"], r.json()["passages"]) for r in replies] == [
        (r["answer"], r["passages"]) for r in alone
    ]
