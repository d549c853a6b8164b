"""Live reload: a newly published index is swapped in without a restart or a failed request;
a broken one is refused while the old keeps serving; admin needs its token."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.app import create_app
from service.ingest.indexer import build_index
from service.models.embedding import Embedder

TOKEN = "s3cret-admin-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_TEXT = (
    "Zanzibar Compact on Human Security\n\n"
    "The Zanzibar Compact of 2031 made water access a human security priority.\n"
)
NEW_QUESTION = "What did the Zanzibar Compact make a priority?"


@pytest.fixture()
def live(corpus_copy: Path, index_dir: Path, embedder: Embedder) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir, admin_token=TOKEN, reload_poll_seconds=0)
    build_index(settings, embedder=embedder, progress=False)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def _knows_new_text(client: TestClient) -> bool:
    return any(d["id"] == "zanzibar" for d in client.get("/documents").json()["documents"])


def test_admin_is_off_without_a_token(client: TestClient) -> None:
    response = client.post("/admin/reload")
    assert response.status_code == 404 and "HSQA_ADMIN_TOKEN" in response.json()["detail"]


def test_admin_needs_the_right_token_and_never_logs_it(
    live: tuple[TestClient, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = live
    with caplog.at_level(logging.DEBUG):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = client.post("/admin/reload", headers=headers)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert client.post("/admin/reload", headers=AUTH).status_code == 200
    assert TOKEN not in caplog.text


def test_reload_serves_a_new_text_without_restart(
    live: tuple[TestClient, Settings], embedder: Embedder
) -> None:
    client, settings = live
    (settings.corpus_dir / "zanzibar.txt").write_text(NEW_TEXT)
    build_index(settings, embedder=embedder, progress=False)
    assert not _knows_new_text(client)  # nothing changes until the reload
    body = client.post("/admin/reload", headers=AUTH).json()
    assert body["documents"] == 6
    answer = client.post("/ask", json={"question": NEW_QUESTION}).json()
    assert answer["passages"][0]["citation"]["document_id"] == "zanzibar"
    assert "water access" in answer["answer"]["text"]


def test_the_service_notices_a_published_index_by_itself(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir, reload_poll_seconds=0.2)
    build_index(settings, embedder=embedder, progress=False)
    with TestClient(create_app(settings)) as client:
        (corpus_copy / "zanzibar.txt").write_text(NEW_TEXT)
        build_index(settings, embedder=embedder, progress=False)
        deadline = time.monotonic() + 15
        while not _knows_new_text(client):
            assert time.monotonic() < deadline, "the new index was not picked up within 15 s"
            time.sleep(0.1)


def test_a_broken_published_index_is_refused_and_the_old_one_serves(
    live: tuple[TestClient, Settings],
) -> None:
    client, settings = live
    current = settings.index_dir / "current"
    broken = settings.index_dir / "builds" / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"format_version": 2, "model": {"id": "x"')
    tmp_link = settings.index_dir / ".swap"
    os.symlink(Path("builds") / "broken", tmp_link)
    os.replace(tmp_link, current)

    response = client.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409 and "kept the previous index" in response.json()["detail"]
    assert client.post("/ask", json={"question": "Who is Sadako Ogata?"}).status_code == 200
    health = client.get("/health").json()
    assert health["status"] == "ok" and "unreadable" in health["reload_error"]


def test_no_request_fails_while_the_index_is_rebuilt_and_swapped(
    live: tuple[TestClient, Settings], embedder: Embedder
) -> None:
    client, settings = live
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            statuses.append(client.post("/ask", json={"question": "What is human security?"}).status_code)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        (settings.corpus_dir / "zanzibar.txt").write_text(NEW_TEXT)
        build_index(settings, embedder=embedder, progress=False)
        assert client.post("/admin/reload", headers=AUTH).status_code == 200
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(statuses) > 10 and set(statuses) == {200}
    assert (
        client.post("/ask", json={"question": NEW_QUESTION}).json()["passages"][0]["citation"]["document_id"]
        == "zanzibar"
    )


def test_the_old_index_is_freed_after_a_swap(live: tuple[TestClient, Settings]) -> None:
    import gc
    import weakref

    client, _ = live
    old = weakref.ref(client.app.state.runtime.searcher.index)  # type: ignore[attr-defined]
    assert client.post("/admin/reload", headers=AUTH).status_code == 200
    gc.collect()
    assert old() is None, "the previous index is still referenced after the swap"
