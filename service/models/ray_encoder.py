"""Embedding on a Ray cluster (``hsqa-build-index --ray``): the same encoder, run by a pool of
Ray Data actors, each loading the model once, on every node the cluster has.

The index build stays what it is (``service.ingest.indexer.build_index``; its files are read and
chunked on the cluster too, by ``service.ingest.ray_reading``): it only hands this encoder the
texts of the documents whose vectors it does not already hold, so the incremental cache still
decides what is embedded. The texts travel as a Ray Dataset; ``map_batches``
runs them through the actors ``batch_size`` at a time and the vectors come back in order. On
CPUs each actor runs the verified ONNX export (the plain build's own encoder, so the vectors
are the same); with ``gpus`` each actor takes one GPU and runs the model with torch.

Needs the ``cluster`` extra (``pip install 'hsqa[cluster]'``). Every node must see the index
folder (the ONNX export is read from it) and the bundled model package: a shared file system
or the same install on each node.
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Texts per actor call, measured on 2 cores (6 SQuAD articles, 1,930 texts): 64 → 108 texts/s,
#: 16 → 97 (more calls), 256 → 81 (too few batches to keep both actors busy to the end).
BATCH_SIZE = 64
CONNECT_TIMEOUT_S = 10.0
RETRIES = 2  # restarts of a dead actor, and retries of the batch it held
LOCAL = "local"


class RayUnavailable(RuntimeError):
    """Ray cannot be used: not installed, or the cluster cannot be reached."""


def _reachable(address: str) -> None:
    """Fail fast, naming the address, when nothing listens there (ray.init would wait)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except (OSError, ValueError) as exc:
        raise RayUnavailable(
            f"cannot reach a Ray cluster at {address!r} ({exc}); start one with `ray start --head` "
            "(then pass --ray auto), or pass --ray with no address to start a local one for this build"
        ) from exc


def connect(address: str = LOCAL, num_cpus: int | None = None) -> Any:
    """Join the cluster at ``address`` ('auto': the one this node belongs to), or start a local
    one (``LOCAL``) with ``num_cpus``. Returns the ``ray`` module."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("Ray is not installed: pip install 'hsqa[cluster]'") from exc
    if address not in (LOCAL, "auto"):
        _reachable(address)
    if ray.is_initialized():  # a driver that joined a cluster already (tests, notebooks)
        return ray
    if address == LOCAL:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
        return ray
    try:
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError) as exc:
        raise RayUnavailable(
            f"cannot join the Ray cluster at {address!r} ({exc}); start one with `ray start --head`, "
            "or pass --ray with no address to start a local one for this build"
        ) from exc
    return ray


class _EmbeddingActor:
    """One Ray Data actor: loads the encoder once, then embeds batch after batch."""

    def __init__(self, onnx_folder: str | None, model: str, threads: int) -> None:
        if onnx_folder is not None:
            from service.models.onnx_embedding import OnnxEmbedder

            self.encoder: Any = OnnxEmbedder(Path(onnx_folder), threads=threads)
        else:
            from service.models.embedding import Embedder

            self.encoder = Embedder(model, device="cuda")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": vectors}


class RayEncoder:
    """The ``Encoder`` interface of ``service.models.embedding``, backed by Ray Data actors."""

    runtime = "ray"

    def __init__(
        self,
        model: str,
        dimension: int,
        max_seq_length: int,
        onnx_folder: Path | None,
        address: str = LOCAL,
        actors: int | None = None,
        gpus: int = 0,
        batch_size: int = BATCH_SIZE,
        cpus_per_actor: int = 1,
        actor: type = _EmbeddingActor,
    ) -> None:
        if onnx_folder is None and not gpus:
            raise ValueError(
                "a Ray build on CPUs runs the verified ONNX export: build the index once without --ray"
            )
        self.ray = connect(address)
        self.model_id = model
        self.dimension = dimension
        self.max_seq_length = max_seq_length
        self.onnx_folder = None if gpus else onnx_folder
        self.gpus = gpus
        self.batch_size = batch_size
        self.cpus_per_actor = cpus_per_actor
        self.actor = actor  # what each Ray Data actor runs: _EmbeddingActor, or a stand-in in tests
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.actors = actors or (gpus if gpus else max(1, cpus // cpus_per_actor))

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        dataset = ray.data.from_items(
            [{"row": i, "text": t} for i, t in enumerate(texts)],
            override_num_blocks=max(1, -(-len(texts) // self.batch_size)),
        )
        with warnings.catch_warnings():
            # Ray 2.60 warns on every extra remote argument, yet names max_restarts and
            # max_task_retries as the way to bound an actor pool's retries (there is no other).
            warnings.simplefilter("ignore", category=DeprecationWarning)
            embedded = self._embedded(dataset, len(texts))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            out[np.asarray(batch["row"], dtype=np.int64)] = np.stack(list(batch["vector"]))
        return out

    def _embedded(self, dataset: Any, n: int) -> Any:
        import ray.data

        resources: dict[str, Any] = {"num_gpus": 1} if self.gpus else {"num_cpus": self.cpus_per_actor}
        return dataset.map_batches(
            self.actor,
            fn_constructor_kwargs={
                "onnx_folder": str(self.onnx_folder) if self.onnx_folder else None,
                "model": self.model_id,
                "threads": self.cpus_per_actor,
            },
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, -(-n // self.batch_size))),
            # A worker that dies is replaced and its batch retried, a few times; past that the
            # build fails (and publishes nothing) instead of retrying forever, Ray Data's default.
            max_restarts=RETRIES,
            max_task_retries=RETRIES,
            **resources,
        )

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
