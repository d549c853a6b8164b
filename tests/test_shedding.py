"""Beyond the configured number of requests in flight, a server answers 503 with Retry-After
at once instead of queueing: as pure ASGI logic, and as a burst against real uvicorn."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from service.http.shedding import LoadShedder
from tooling.localserver import running_service, wait_ready


class Responses:
    """What an ASGI app sent back for one request."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}


def test_requests_beyond_the_limit_are_refused_at_once_and_probes_never() -> None:
    release = asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/ask":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def scenario() -> None:
        shedder = LoadShedder(slow_app, limit=1)
        first, second, probe, later = Responses(), Responses(), Responses(), Responses()
        held = asyncio.create_task(shedder({"type": "http", "path": "/ask"}, receive, first))
        await asyncio.sleep(0)
        assert shedder.in_flight == 1
        await shedder({"type": "http", "path": "/ask"}, receive, second)
        assert second.status == 503 and second.headers["retry-after"] == "1"
        assert "at capacity (1 requests in flight)" in json.loads(second.messages[1]["body"])["detail"]
        await shedder({"type": "http", "path": "/health"}, receive, probe)
        assert probe.status == 200, "an overloaded server still answers its probes"
        release.set()
        await held
        assert first.status == 200 and shedder.in_flight == 0
        await shedder({"type": "http", "path": "/ask"}, receive, later)
        assert later.status == 200 and shedder.shed == 1

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def small_server(built_index: Path) -> Iterator[str]:
    with running_service(built_index, env={"HSQA_MAX_IN_FLIGHT": "2"}) as (url, server):
        wait_ready(url, server)
        yield url


def test_a_burst_gets_only_200s_and_503s_with_retry_after(small_server: str) -> None:
    statuses: list[int] = []
    retry_after: set[str | None] = set()
    lock = threading.Lock()
    gate = threading.Barrier(48)

    def one() -> None:
        with httpx.Client(base_url=small_server, timeout=30) as c:
            gate.wait()
            r = c.post("/ask", json={"question": "What did Sadako Ogata say about human security?"})
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 503:
                    retry_after.add(r.headers.get("retry-after"))

    threads = [threading.Thread(target=one) for _ in range(48)]
    for t in threads:
        t.start()
    assert httpx.get(f"{small_server}/health", timeout=30).status_code == 200
    for t in threads:
        t.join()
    assert set(statuses) == {200, 503} and len(statuses) == 48, statuses
    assert retry_after == {"1"}
