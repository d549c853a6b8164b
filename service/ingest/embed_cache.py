"""Embeddings of each document's passages and sentences, kept between builds.

An entry is keyed by everything that shapes the vectors: the model, the chunking settings,
whether context is embedded, the document's text hash and (when context is embedded) its
metadata hash. So a rebuild re-embeds only new or changed documents, and a model or chunking
change misses the cache by itself. Entries no build uses any more are pruned.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

CACHE_DIR = "cache"


def entry_key(signature: dict[str, Any], text_sha256: str, metadata_sha256: str | None) -> str:
    raw = json.dumps(
        {"signature": signature, "text": text_sha256, "metadata": metadata_sha256}, sort_keys=True
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, index_dir: Path) -> None:
        self.root = index_dir / CACHE_DIR
        self.used: set[str] = set()

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        path = self.root / f"{key}.npz"
        try:
            with np.load(path) as data:
                hit = (data["chunks"].astype(np.float32), data["sentences"].astype(np.float32))
        except (OSError, KeyError, ValueError):
            return None  # missing or damaged: embed again
        self.used.add(key)
        return hit

    def put(self, key: str, chunks: np.ndarray, sentences: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{key}.{os.getpid()}.npz"
        np.savez(tmp, chunks=chunks, sentences=sentences)
        os.replace(tmp, self.root / f"{key}.npz")  # a reader never sees half an entry
        self.used.add(key)

    def prune(self) -> int:
        """Delete entries this build did not use; returns how many."""
        removed = 0
        if self.root.is_dir():
            for path in self.root.glob("*.npz"):
                if path.stem not in self.used:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed
