"""Concurrent questions share one model call (``service.http.batching``): a lone question goes
at once, questions that arrive during a call go together within the wait limit, the vectors
are those of one-at-a-time embedding, and over HTTP a burst is answered as one by one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.batching import MicroBatcher
from service.models.onnx_embedding import OnnxEmbedder
from service.runtime import load_encoder
from tests.support import DATA, read_jsonl


class SlowModel:
    """A stand-in model: each call takes ``seconds`` and returns each text's length."""

    def __init__(self, seconds: float = 0.05, fail: bool = False) -> None:
        self.seconds, self.fail = seconds, fail
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("model failed")
        return np.array([[len(t)] for t in texts], dtype=np.float32)


async def _embed_all(batcher: MicroBatcher, texts: list[str], gap: float = 0.0) -> list[np.ndarray]:
    tasks = []
    for t in texts:
        tasks.append(asyncio.create_task(batcher.embed(t)))
        await asyncio.sleep(gap)
    return list(await asyncio.gather(*tasks))


def test_a_lone_question_goes_at_once() -> None:
    model = SlowModel(seconds=0.0)
    batcher = MicroBatcher(model.encode, max_size=16, max_wait_ms=2)

    async def one() -> float:
        start = time.perf_counter()
        await batcher.embed("alone")
        return time.perf_counter() - start

    assert asyncio.run(one()) < 0.002 + 0.05  # no 2 ms wait on top of the call
    assert model.calls == [["alone"]]


def test_questions_arriving_during_a_call_share_the_next_one() -> None:
    model = SlowModel(seconds=0.05)
    batcher = MicroBatcher(model.encode, max_size=16, max_wait_ms=2)
    texts = [f"question {'x' * i}" for i in range(8)]
    vectors = asyncio.run(_embed_all(batcher, texts))
    assert [v[0] for v in vectors] == [len(t) for t in texts], "each question gets its own vector"
    assert [len(c) for c in model.calls] == [1, 7]


def test_a_batch_never_exceeds_its_size_and_nothing_waits_past_the_limit() -> None:
    model = SlowModel(seconds=0.05)
    batcher = MicroBatcher(model.encode, max_size=3, max_wait_ms=2)
    asyncio.run(_embed_all(batcher, [str(i) for i in range(10)]))
    assert max(len(c) for c in model.calls) == 3 and sum(len(c) for c in model.calls) == 10
    # Questions 1..9 arrived during the first call: all went within the wait, not one by one.
    assert len(model.calls) == 4


def test_a_model_error_reaches_every_question_of_the_batch() -> None:
    batcher = MicroBatcher(SlowModel(seconds=0.01, fail=True).encode, max_size=8, max_wait_ms=2)

    async def scenario() -> list[BaseException | np.ndarray]:
        return list(await asyncio.gather(*(batcher.embed(str(i)) for i in range(4)), return_exceptions=True))

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, RuntimeError) and "model failed" in str(o) for o in outcomes)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [q["question"] for q in read_jsonl(DATA / "core_questions.jsonl")][:16]


def test_batched_vectors_are_those_of_one_at_a_time(settings: Settings, questions: list[str]) -> None:
    encoder = load_encoder(settings)
    assert isinstance(encoder, OnnxEmbedder), "the server's query encoder"
    one_by_one = np.stack([encoder.encode_query(q) for q in questions])
    assert np.array_equal(encoder.encode(questions), one_by_one), "bit for bit, questions of any length"


def test_a_burst_over_http_is_answered_as_one_by_one_in_fewer_model_calls(
    client: TestClient, questions: list[str]
) -> None:
    alone = [client.post("/ask", json={"question": q}).json() for q in questions]
    calls_before = _model_calls(client)
    # Six at once: under the server's in-flight limit (8 on 2 cores), so none is shed.
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda q: client.post("/ask", json={"question": q}), questions))
    assert [r.status_code for r in replies] == [200] * len(questions)
    together = [r.json() for r in replies]
    calls = _model_calls(client) - calls_before
    assert [(r["answer"], r["passages"]) for r in together] == [(r["answer"], r["passages"]) for r in alone]
    assert calls < len(questions), f"{len(questions)} concurrent questions took {calls} model calls"


def _model_calls(client: TestClient) -> int:
    metrics = client.get("/metrics").text
    return int(
        float(
            next(
                line.split()[-1]
                for line in metrics.splitlines()
                if line.startswith("hsqa_question_batch_size_count")
            )
        )
    )
