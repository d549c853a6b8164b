"""Embedding concurrent questions together: one model call for the questions that arrive
while another call runs, instead of one call each.

A model call has a fixed cost besides the per-text work (session dispatch, tokenizer set-up,
small matrix products that use the cores badly), so a batch of 8 costs far less than 8 calls.
The rule: a question goes at once when no call is running, so a lone question never waits; a
question that arrives during a call waits at most ``max_wait`` for company, and a batch goes
as soon as it holds ``max_size``. Calls run in worker threads, so the event loop keeps
accepting requests while the model works.

Ray Serve replicas use ``@serve.batch`` instead (``service.http.ray_serve``); both offer the
same ``embed(text) -> vector`` coroutine to the routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import numpy as np

#: What the routes await: one question in, its unit vector out.
EmbedQuestion = Callable[[str], Awaitable[np.ndarray]]


class MicroBatcher:
    """Batches ``encode`` calls across concurrent ``embed`` awaits on one event loop."""

    def __init__(
        self,
        encode: Callable[[Sequence[str]], np.ndarray],
        max_size: int,
        max_wait_ms: float,
    ) -> None:
        self.encode = encode
        self.max_size = max_size
        self.max_wait = max_wait_ms / 1000
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._running = 0  # model calls in progress
        self._timer: asyncio.TimerHandle | None = None

    async def embed(self, text: str) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._running == 0 or len(self._pending) >= self.max_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
        self._running += 1
        asyncio.get_running_loop().create_task(self._run(batch))
        if self._pending:  # more than one batch waited: the rest goes too, none waits past its time
            self._flush()

    async def _run(self, batch: list[tuple[str, asyncio.Future[np.ndarray]]]) -> None:
        try:
            vectors = await asyncio.to_thread(self.encode, [text for text, _ in batch])
        except Exception as exc:  # every waiting question gets the model's error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), vector in zip(batch, vectors, strict=True):
                if not future.done():  # its client may have gone
                    future.set_result(vector)
        finally:
            self._running -= 1
            if self._pending and self._running == 0:
                self._flush()


def one_at_a_time(encode_query: Callable[[str], np.ndarray]) -> EmbedQuestion:
    """No batching: each question embedded by itself, in a worker thread."""

    async def embed(text: str) -> np.ndarray:
        return await asyncio.to_thread(encode_query, text)

    return embed
