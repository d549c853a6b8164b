"""Replicated serving on Ray Serve (``hsqa-serve --ray``): the same FastAPI app, one copy per
replica, behind Ray Serve's HTTP proxy.

Each replica builds the app itself (``serve.ingress`` with a builder, evaluated on the
replica), so it loads the models and memory-maps the published index exactly as the plain
server does, from the same ``HSQA_*`` settings, and picks up a new build the same way (its own
reload watcher). The HTTP contract and the pages are the app's: nothing here changes a route.

Batching: concurrent questions on one replica are embedded together by ``@serve.batch``
(``serve_batched``), with the plain server's settings ``HSQA_BATCH_MAX_SIZE`` and
``HSQA_BATCH_MAX_WAIT_MS``.

Overload: Serve hands a replica up to ``HSQA_SERVE_ONGOING_PER_LIMIT`` times the app's own
limit (``HSQA_MAX_IN_FLIGHT``) and queues at most ``HSQA_SERVE_MAX_QUEUED`` more
deployment-wide; past that its router answers 503 with ``Retry-After`` at once, as the app's
shedder does for the excess a replica was handed. Measured with a 256-client burst on 2 cores
(BENCHMARKS.md, eighth session): the default (4 × 8 ongoing, 8 queued) keeps the 200s' p99 at
2.8 s; a replica admitting 2 with Serve refusing the rest (``HSQA_MAX_IN_FLIGHT=2``,
``HSQA_SERVE_ONGOING_PER_LIMIT=1``, ``HSQA_SERVE_MAX_QUEUED=1``) at 0.9 s, for fewer 200s.

Needs the ``cluster`` extra (``pip install 'hsqa[cluster]'``). Every node must see the index
folder: a shared file system, or the same path on each node.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.config import Settings
from service.http.shedding import RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class Scale:
    """How many replicas: a fixed number, or autoscaling between ``minimum`` and ``maximum``
    on ongoing requests (``target`` per replica)."""

    replicas: int | None = 1
    minimum: int = 1
    maximum: int = 1
    target: float = 2.0

    def options(self) -> dict[str, Any]:
        if self.replicas is not None:
            return {"num_replicas": self.replicas}
        return {
            "autoscaling_config": {
                "min_replicas": self.minimum,
                "max_replicas": self.maximum,
                "target_ongoing_requests": self.target,
            }
        }


def _settings_environment(settings: Settings) -> dict[str, str]:
    """The settings a replica needs, as the HSQA_* variables it reads them from."""
    env = {k: v for k, v in os.environ.items() if k.startswith("HSQA_")}
    env["HSQA_INDEX_DIR"] = str(settings.index_dir.resolve())
    return env


def serve_batched(app: Any, settings: Settings) -> Any:
    """The replica's question embedder: Serve's own batching (``@serve.batch``) of concurrent
    questions into one model call, up to ``batch_max_size`` questions or ``batch_max_wait_ms``,
    with the model of the runtime serving at that moment. The model call runs in a worker
    thread: the replica's event loop keeps taking requests meanwhile."""
    from ray import serve

    from service.http.app import question_encoder

    encode = question_encoder(app)

    @serve.batch(
        max_batch_size=settings.batch_max_size,
        batch_wait_timeout_s=settings.batch_max_wait_ms / 1000,
        max_concurrent_batches=2,
    )
    async def embed(texts: list[str]) -> list[np.ndarray]:
        return list(await asyncio.to_thread(encode, texts))

    return embed


def application(settings: Settings, scale: Scale = Scale(), cpus_per_replica: float = 1.0) -> Any:
    """The Ray Serve application: one deployment whose replicas each run ``create_app()``. A
    replica works on as many requests at once as its app's load shedder lets in
    (``settings.max_in_flight``)."""
    from ray import serve
    from ray.serve.config import BackpressureConfig

    env = _settings_environment(settings)

    def build() -> Any:  # runs on each replica
        os.environ.update(env)
        from service.http.app import create_app

        app = create_app()
        app.state.embed_question = serve_batched(app, Settings())
        return app

    deployment = serve.deployment(
        name="hsqa",
        max_ongoing_requests=settings.serve_ongoing_per_limit * settings.max_in_flight,
        max_queued_requests=settings.serve_max_queued,
        # Serve's own 503s, past its queue, say when to come back as the app's do.
        backpressure_config=BackpressureConfig(retry_after_s=RETRY_AFTER_SECONDS),
        ray_actor_options={"num_cpus": cpus_per_replica},
        **scale.options(),
    )(serve.ingress(build)())
    return deployment.bind()


def run(settings: Settings, address: str, host: str, port: int, scale: Scale, blocking: bool = True) -> None:
    """Join (or start) a Ray cluster, start Serve's HTTP proxy on ``host:port`` and deploy."""
    from ray import serve

    from service.models.ray_encoder import connect

    connect(address)
    serve.start(http_options={"host": host, "port": port})
    serve.run(application(settings, scale), name="hsqa", route_prefix="/", blocking=blocking)
