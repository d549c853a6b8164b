#!/usr/bin/env python3
"""Peer benchmark: txtai's default hybrid search against this service, same passages, same questions.

``python scripts/bench_peer.py [--index DIR] [--questions FILE ...]`` or ``--squad validation``;
``--distractors`` asks them of one corpus of the human-security texts and all eight SQuAD articles.

Needs the optional extra ``bench`` (``pip install -c constraints.txt -e '.[bench]'``: txtai 9.14).
Runs offline (``HF_HUB_OFFLINE=1``).

The passages are the published index's chunks (``service.store.load_index``; row i is passage i,
and txtai id i). txtai gets them as they are, with its documented default hybrid configuration,
untuned: ``Embeddings(path=<bundled all-MiniLM-L6-v2 folder>, hybrid=True, content=False)``,
which is a FAISS dense index plus its built-in BM25 (``terms=True, normalize=True``), fused by a
convex combination with weights 0.5/0.5. Each question is ``search(question, 10)``.

The service is run in process with its own settings (``HSQA_*`` environment, ``--index``) through
``tooling.evaluation``, and txtai's results go through the same ``run``/``summarize``, so both
rows are scored by one definition: a passage hits when it contains one of the question's answer
strings and comes from the question's document; hit@k and MRR@10 are over the answerable
questions (empty ``answers`` are skipped).
Prints one Markdown table: per question file, per ``split`` value (when the file has more than
one) and ``all``, txtai and the service side by side; plus txtai's index time and both systems' median
query latency (p50, one question at a time, after a warm-up question).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from service.config import DEFAULT_MODEL, ROOT, Settings  # noqa: E402
from service.models.embedding import resolve_model_path  # noqa: E402
from service.store import IndexData, load_index  # noqa: E402
from tooling.evaluation import TOP_K, AskFn, Outcome, in_process, load_questions, run, summarize  # noqa: E402

METRICS = ("mrr@10", "hit@1", "hit@3", "hit@5", "hit@10")


def build_txtai(texts: list[str], model_folder: str) -> tuple[Any, float]:
    """txtai's default hybrid index over ``texts`` (ids = row numbers) and its build time in seconds."""
    from txtai import Embeddings

    t0 = time.perf_counter()
    embeddings = Embeddings(path=model_folder, hybrid=True, content=False)
    embeddings.index((i, text, None) for i, text in enumerate(texts))
    return embeddings, time.perf_counter() - t0


def txtai_ask(embeddings: Any, texts: list[str], documents: list[str]) -> AskFn:
    """Adapts ``embeddings.search`` to the ``tooling.evaluation`` ask shape (passages only, no
    answer); each passage cites its document, so a hit counts only from the question's own."""

    def ask(question: str, top_k: int) -> dict[str, Any]:
        results = embeddings.search(question, top_k)
        passages = [
            {"text": texts[int(uid)], "citation": {"document_id": documents[int(uid)]}} for uid, _ in results
        ]
        return {"answer": None, "passages": passages}

    return ask


def splits_of(items: list[dict[str, Any]]) -> list[str]:
    """The ``split`` values in a question set, in order of first appearance; none when one split
    holds every question (its row would repeat ``all``)."""
    seen: dict[str, None] = {}
    for item in items:
        if item.get("split") is not None:
            seen[str(item["split"])] = None
    if len(seen) == 1 and all(item.get("split") is not None for item in items):
        return []
    return list(seen)


def rows_for(label: str, system: str, outcomes: list[Outcome], splits: list[str]) -> list[list[str]]:
    """Table rows for one system on one question set: one per split, then ``all``."""
    rows = []
    for split in [*splits, "all"]:
        part = outcomes if split == "all" else [o for o in outcomes if str(o.item.get("split")) == split]
        figures = summarize(part)
        cells = [f"{figures[m]:.3f}" for m in METRICS]
        answerable = str(int(figures["answerable"]))
        rows.append([label, split, system, answerable, *cells, f"{figures['p50_ms']:.1f}"])
    return rows


def format_rows(rows: list[list[str]]) -> str:
    head = ["questions", "split", "system", "answerable", *METRICS, "p50 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--index", type=Path, default=ROOT / "index", help="published index folder (default: index/)"
    )
    parser.add_argument(
        "--questions",
        type=Path,
        action="append",
        help="question set (JSONL); repeatable (default: eval/questions.jsonl)",
    )
    parser.add_argument(
        "--squad",
        choices=("validation", "train"),
        help="run on the second corpus instead: these SQuAD 2.0 articles and their questions "
        "(as scripts/evaluate.py --squad builds it)",
    )
    parser.add_argument(
        "--distractors",
        action="store_true",
        help="run on one corpus of the human-security texts and all eight SQuAD 2.0 articles "
        "(as scripts/evaluate.py --distractors builds it)",
    )
    args = parser.parse_args(argv)
    question_files: list[Path] = args.questions or [ROOT / "eval" / "questions.jsonl"]
    sets = {display(path): load_questions(path) for path in question_files}
    if args.squad:
        from tooling.squad import load_articles, prepare_index, questions

        articles = load_articles(split=args.squad)
        if not args.distractors:
            args.index = prepare_index(articles, ROOT / ".cache" / "squad-eval" / args.squad).index_dir
        sets = {f"SQuAD {args.squad} articles": questions(articles)}
    if args.distractors:
        from tooling.squad import prepare_distractor_index

        args.index = prepare_distractor_index(Settings().corpus_dir).index_dir

    index: IndexData = load_index(args.index)
    texts = [index.chunk_text(i) for i in range(len(index.chunks))]
    documents = [index.document_of(i).id for i in range(len(index.chunks))]
    # The bundled all-MiniLM-L6-v2, from the folder the service loads it from.
    model_folder = resolve_model_path(DEFAULT_MODEL)
    built_with = index.manifest.model.id
    if built_with != DEFAULT_MODEL:
        print(f"note: the index was built with {built_with!r}, txtai uses {model_folder}", file=sys.stderr)

    embeddings, index_seconds = build_txtai(texts, model_folder)
    peer = txtai_ask(embeddings, texts, documents)
    peer("warm-up question", TOP_K)

    from service.runtime import Runtime

    settings = Settings(index_dir=args.index)
    searcher = Runtime.start(settings).require_searcher()
    ours = in_process(searcher, settings.retrieval_mode)
    ours("warm-up question", TOP_K)

    rows: list[list[str]] = []
    for label, items in sets.items():
        splits = splits_of(items)
        rows += rows_for(label, "txtai 9.14 hybrid", run(items, peer), splits)
        rows += rows_for(label, f"hsqa {settings.retrieval_mode}", run(items, ours), splits)

    print(
        f"Passages: {len(texts)} from {index.path}; model {model_folder}.\n"
        f"txtai index time: {index_seconds:.1f} s for Embeddings(path=..., hybrid=True, content=False) "
        f"and index(), model loading included ({len(texts) / index_seconds:.0f} passages/s); "
        f"the service answers from the published index (not rebuilt here).\n"
    )
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
