#!/usr/bin/env python3
"""Choose how hybrid retrieval fuses its rankings, on the SQuAD training articles:
``python scripts/choose_fusion.py``.

Every combination of the grid below ranks the 1,103 answerable training questions (their six
articles indexed as one corpus, as ``scripts/train_answer_model.py`` does), as asked and with
half their content words left out; the best mean MRR@10 of the two wins, and
the script prints it, then the winner and today's defaults on the validation articles and on
``eval/questions.jsonl``, which took no part in the choice. Answerable questions only.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

from service.config import ROOT, Settings
from service.retrieval.search import Searcher
from service.runtime import load_encoder
from service.store import load_index
from tooling.evaluation import load_questions
from tooling.squad import drop_words, load_articles, prepare_index, questions

CACHE = ROOT / ".cache" / "squad"
SEED = 20261128
GRID: dict[str, list[Any]] = {
    "dense_weight": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    "sentence_weight": [0.0, 0.3, 0.6, 1.0],
    "rrf_k": [5, 10, 30, 60],
}


def ranks(searcher: Searcher, items: list[dict[str, Any]], vectors: np.ndarray) -> list[int | None]:
    """Rank of the first passage holding an answer, per question (None past 10)."""
    out = []
    for item, qvec in zip(items, vectors, strict=True):
        hits = searcher.rank(item["question"], qvec, 10)
        texts = [searcher.index.chunk_text(h.chunk) for h in hits]
        out.append(next((i for i, t in enumerate(texts) if any(a in t for a in item["answers"])), None))
    return out


def mrr(found: list[int | None]) -> tuple[float, float]:
    n = len(found) or 1
    return sum(1 / (r + 1) for r in found if r is not None) / n, sum(r == 0 for r in found) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)

    sets: dict[str, tuple[Settings, list[dict[str, Any]]]] = {}
    for split in ("train", "validation"):
        articles = load_articles(split=split)
        items = [q for q in questions(articles) if q["answers"]]
        sets[split] = (prepare_index(articles, args.cache / split, onnx=False), items)
    # The same questions with half their content words left out: the choice must also hold
    # for questions that share few words with the text, as the service's users' do.
    rng = random.Random(SEED)
    sets["train, words dropped"] = (
        sets["train"][0],
        [{**q, "question": drop_words(q["question"], rng)} for q in sets["train"][1]],
    )
    own = Settings(index_dir=args.cache / "human-security" / "index", onnx=False)
    sets["human-security"] = (
        own,
        [q for q in load_questions(ROOT / "eval" / "questions.jsonl") if q["answers"]],
    )
    encoder = load_encoder(sets["train"][0])
    vectors = {name: encoder.encode([q["question"] for q in items]) for name, (_, items) in sets.items()}
    indexes = {name: load_index(s.index_dir, expected_model=s.model) for name, (s, _) in sets.items()}
    chosen_on = ("train", "train, words dropped")

    def score(name: str, **update: Any) -> tuple[float, float]:
        settings, items = sets[name]
        searcher = Searcher(indexes[name], encoder, settings.model_copy(update=update), answer_model=None)  # type: ignore[arg-type]
        return mrr(ranks(searcher, items, vectors[name]))

    candidates = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    results = []
    for update in candidates:
        both = [score(name, **update) for name in chosen_on]
        results.append(((float(np.mean([m for m, _ in both])), float(np.mean([h for _, h in both]))), update))
        print(
            f"train MRR@10 {results[-1][0][0]:.4f} hit@1 {results[-1][0][1]:.3f}  {update}", file=sys.stderr
        )
    (best_mrr, best_hit), best = max(results, key=lambda r: (r[0][0], r[0][1]))
    default = {k: getattr(Settings(), k) for k in GRID}
    print(
        f"chosen on {len(sets['train'][1])} training questions, as asked and with words dropped: {best} "
        f"(mean MRR@10 {best_mrr:.4f}, hit@1 {best_hit:.3f})"
    )
    print("| settings | set | MRR@10 | hit@1 |\n|---|---|---|---|")
    for label, update in (("chosen", best), ("defaults", default)):
        for name in sets:
            m, h = score(name, **update)
            print(f"| {label} {update} | {name} | {m:.3f} | {h:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
