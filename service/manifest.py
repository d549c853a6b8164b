"""The manifest of one index build: what it was built from and with, and what it holds.

Read and written only here, as a typed model. Its format version is checked on reading,
before anything else, so an index from another version of the service is refused with the
command that rebuilds it rather than with a missing key halfway through loading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import IndexUnavailable

#: Bump when what a build holds, or how it is read, changes; an index of another version is
#: refused and must be rebuilt. 2: acronym plurals singular in BM25 (analysis.analyze);
#: unmarked footnotes are noise (chunking). 3: sentence facts, word and name tables, document
#: frequencies stored at build time (service.facts); a typed manifest. 4: the written forms of
#: every sentence, gap and passage stored too (the answer stage's name checks only read).
#: 5: passages as a memory-mapped table, texts in SQLite (service.tables). 6: years before
#: 1800 and BC/AD years are times, not counts (the stored sentence flags, service.cues). 7: a
#: sentence announcing what follows is quoted with the next one (the stored sentence links).
#: 8: a year glued to the next word ('2009Professor') is a time, not a count (service.cues); a
#: sentence two pronouns away from what it means is quoted from the sentence naming it.
#: 9: 'centuries' and 'decades' are times; a list number inside a line ('—(1) October 2006') is
#: no count (service.cues).
FORMAT_VERSION = 9
MANIFEST = "manifest.json"
BUILD_HINT = "build it with `hsqa-build-index --corpus corpus --index index` (or `make index`)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelInfo(_Strict):
    id: str  # the embedding model's name
    dimension: int
    max_seq_length: int


class DocumentEntry(_Strict):
    """One document's row: where it came from, its content hashes, what it became."""

    file: str
    sha256: str  # of the stored text
    metadata_sha256: str  # of its catalogue entry
    chunks: int
    sentences: int


class Changes(_Strict):
    """Documents added, changed and removed since the build before, and those embedded anew
    (the rest came from the embedding cache)."""

    added: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    embedded: list[str] = Field(default_factory=list)


class Counts(_Strict):
    documents: int
    chunks: int
    sentences: int


class Manifest(_Strict):
    format_version: int = FORMAT_VERSION
    model: ModelInfo
    signature: dict[str, Any]  # everything besides the texts that changes what the index holds
    chunking: dict[str, Any]
    embed_context: bool
    documents: dict[str, DocumentEntry]
    skipped: dict[str, str]  # file name → why it was left out
    changes: Changes
    counts: Counts
    vector_index: dict[str, Any]  # its kind and search parameters (service.vector_index)
    built_at: str  # ISO 8601, UTC
    build_seconds: float
    embed_seconds: float
    embed_runtime: str  # "onnx" or "torch"

    def write(self, build_dir: Path) -> None:
        (build_dir / MANIFEST).write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def read(cls, build_dir: Path) -> Manifest:
        """The manifest of the build in ``build_dir``; IndexUnavailable, with the command that
        rebuilds the index, if it is unreadable, of another format version or malformed."""
        try:
            raw = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(
                f"index manifest at {build_dir} is unreadable ({exc}); {BUILD_HINT}"
            ) from exc
        version = raw.get("format_version") if isinstance(raw, dict) else None
        if version != FORMAT_VERSION:
            raise IndexUnavailable(
                f"index at {build_dir} has format version {version!r}, this service reads version "
                f"{FORMAT_VERSION}; rebuild it: {BUILD_HINT}"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise IndexUnavailable(
                f"index manifest at {build_dir} is malformed ({exc}); {BUILD_HINT}"
            ) from exc
