#!/usr/bin/env python3
"""Evaluate retrieval quality: ``python scripts/evaluate.py [--mode all] [--details]``.

In-process by default (loads the index and model); ``--url http://127.0.0.1:8000`` asks a
running service instead. Prints a Markdown table: hit@1/3/5/10, MRR@10, answer-sentence
accuracy, false-abstain rate on answerable and abstain rate on unanswerable questions, and
latency p50/p95, for the tuning half, the held-out half and both; with ``--by style`` (or another
field of the questions: ``kind``, ``document``) for each of its values too. Settings come from
the environment as for the service: ``HSQA_RERANKER_MODEL=/models/my-cross-encoder``
evaluates with the reranking stage.

``--squad validation`` asks SQuAD 2.0's validation articles' questions of those articles instead
(the corpus the pipeline was not designed for). ``--distractors`` asks the questions of one
corpus of the human-security texts and all eight SQuAD articles: a passage or answer counts
only from the question's own document (``tooling.evaluation``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.config import ROOT, Settings
from tooling.evaluation import (
    format_details,
    format_table,
    grouped,
    in_process,
    load_questions,
    over_http,
    run,
    summarize,
)

MODES = ("hybrid", "dense", "bm25")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--index", type=Path, help="index folder (default: HSQA_INDEX_DIR or index/)")
    parser.add_argument("--url", help="evaluate a running service at this base URL instead")
    parser.add_argument(
        "--mode", choices=(*MODES, "all"), default="hybrid", help="retrieval mode(s), in-process only"
    )
    parser.add_argument(
        "--squad",
        choices=("validation", "train"),
        help="evaluate on a second corpus instead: these SQuAD 2.0 articles as texts, with their "
        "questions (indexed under .cache/squad/ on first use)",
    )
    parser.add_argument(
        "--distractors",
        action="store_true",
        help="evaluate against one corpus of the human-security texts and all eight SQuAD 2.0 "
        "articles (indexed under .cache/squad-eval/mixed/ on first use): do the questions' "
        "answers hold up among texts about other things?",
    )
    parser.add_argument(
        "--by",
        metavar="FIELD",
        help="a row per value of this field of the questions too (style, kind, document)",
    )
    parser.add_argument("--details", action="store_true", help="print a per-question table too")
    args = parser.parse_args(argv)

    items = load_questions(args.questions)
    index_dir = args.index
    if args.squad:
        from tooling.squad import load_articles, prepare_index, questions

        articles = load_articles(split=args.squad)
        items = questions(articles)
    # Refused before a SQuAD index is built: a mistyped field must not cost a build first.
    if args.by and not any(args.by in item for item in items):
        fields = sorted({key for item in items for key in item})
        parser.error(f"--by {args.by}: no question has that field; they have: {', '.join(fields)}")
    if args.distractors:
        if args.index or args.url:
            parser.error("--distractors builds its own index: leave out --index and --url")
        from tooling.squad import prepare_distractor_index

        index_dir = prepare_distractor_index(Settings().corpus_dir).index_dir
    elif args.squad:
        index_dir = prepare_index(articles, ROOT / ".cache" / "squad-eval" / args.squad).index_dir
    rows = {}
    details = {}
    if args.url:
        runs = {"http": over_http(args.url)}
    else:
        from service.runtime import Runtime

        settings = Settings(**({"index_dir": index_dir} if index_dir else {}))
        searcher = Runtime.start(settings).require_searcher()
        modes = MODES if args.mode == "all" else (args.mode,)
        runs = {mode: in_process(searcher, mode) for mode in modes}  # type: ignore[arg-type]
    for label, ask in runs.items():
        ask("warm-up question", 10)
        outcomes = run(items, ask)
        details[label] = outcomes
        splits = grouped(outcomes, "split")
        for split, group in splits.items() if len(splits) > 1 else ():
            rows[f"{label} / {split}"] = summarize(group)
        for value, group in grouped(outcomes, args.by).items() if args.by else ():
            rows[f"{label} / {args.by} {value}"] = summarize(group)
        rows[f"{label} / all"] = summarize(outcomes)
    print(format_table(rows))
    if args.details:
        for label, outcomes in details.items():
            print(f"\n### {label}\n")
            print(format_details(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
