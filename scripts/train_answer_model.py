#!/usr/bin/env python3
"""Train the answer model: ``python scripts/train_answer_model.py [--out DIR] [--smoke]``.

Data: SQuAD 2.0 questions over eight Wikipedia articles (``shared/qa-data``, CC BY-SA 4.0),
split by article (``tooling.squad.SPLITS``): six to train on, two to validate on. Each split's
articles are indexed as a corpus with the service's own indexer; each question is run through
the service's own ranking, and every sentence of its top passages becomes a candidate with the
features of ``service.retrieval.answering``, labelled 1 when its quoted span holds a SQuAD answer.

Steps, all seeded and single-threaded where order matters, so two runs write the same files:
1. A LightGBM classifier scores candidates (``--compare`` also fits a logistic regression on
   the same rows and prints both; the bundled model is the one that did better on validation).
2. A logistic calibration maps the best candidate's score, its margin over the runner-up and
   its feature row to the probability that it is a right answer. It is fitted on out-of-fold scores:
   one fold per training article, so no article is scored by a model that saw it.
3. The abstention threshold is the highest probability that keeps false-abstain ≤ 0.10 on the
   validation articles and on ``eval/questions.jsonl`` (never trained on).
4. Prints the figures of the validation articles and of both halves of ``eval/questions.jsonl``
   over the real corpus; ``--ablations`` prints what each check and feature group earns.

``--smoke`` trains on a handful of questions per article and writes nothing unless ``--out``
is given: CI runs it to prove the script works end to end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from service.config import ROOT, Settings
from service.ingest.corpus import load_corpus
from service.ingest.indexer import build_index, stale_reason
from service.models.answer_model import (
    CALIBRATION_INPUTS,
    FEATURES,
    META_FILE,
    MODEL_FILE,
    calibrated,
    calibration_inputs,
)
from service.retrieval.answering import SentenceTable
from service.retrieval.ranking import by_best_answer
from service.retrieval.search import Searcher
from service.runtime import load_encoder
from service.store import load_index
from tooling.evaluation import load_questions
from tooling.squad import LICENCE, SPLITS, drop_words, load_articles, prepare_index, questions

SEED = 20261128
MAX_FALSE_ABSTAIN = 0.10
CACHE = ROOT / ".cache" / "squad"
LGB_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 300
OWN_SET = ROOT / "eval" / "questions.jsonl"
#: The threshold keeps false-abstain within bounds on both: the validation articles, and the
#: project's own set (never trained on; both halves, for 62 answerable questions, not 31).
THRESHOLD_ON = ("validation", "human-security")
AUGMENT_COPIES = 1  # word-dropped copies of each training question
OFF_TOPIC_EVERY = 4  # every 4th question of a split, asked of the human-security texts


FIELDS = ("items", "matrices", "labels", "groups", "ranks", "unknown", "passage_hits")


@dataclass
class Questions:
    """Candidate rows of a set of questions, grouped by question."""

    items: list[dict[str, Any]] = field(default_factory=list)
    matrices: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # the article (or split) of each question
    ranks: list[int | None] = field(default_factory=list)  # first passage holding an answer
    unknown: list[bool] = field(default_factory=list)  # names no passage mentions: refused
    passage_hits: list[list[bool]] = field(default_factory=list)  # per top-10 passage: holds an answer

    def subset(self, keep: np.ndarray) -> Questions:
        chosen = [i for i in range(len(self.items)) if keep[i]]
        return Questions(*([getattr(self, f)[i] for i in chosen] for f in FIELDS))

    def without(self, columns: list[int]) -> Questions:
        """The same questions with these feature columns zeroed (an ablation)."""
        matrices = []
        for m in self.matrices:
            m = m.copy()
            m[:, columns] = 0.0
            matrices.append(m)
        return Questions(**{**{f: getattr(self, f) for f in FIELDS}, "matrices": matrices})

    def __add__(self, other: Questions) -> Questions:
        return Questions(*(getattr(self, f) + getattr(other, f) for f in FIELDS))

    def rows(self, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate rows and their labels."""
        chosen = [i for i in range(len(self.items)) if (keep is None or keep[i]) and len(self.matrices[i])]
        return (
            np.concatenate([self.matrices[i] for i in chosen]),
            np.concatenate([self.labels[i] for i in chosen]),
        )


def collect(searcher: Searcher, items: list[dict[str, Any]]) -> Questions:
    """Run each question through the service's ranking and turn its top passages' sentences
    into labelled candidate rows."""
    index = searcher.index
    vectors = searcher.embedder.encode([q["question"] for q in items])
    out = Questions()
    for item, qvec in zip(items, vectors, strict=True):
        hits = searcher.rank(item["question"], qvec, 10)
        unknown = searcher.unknown_terms(item["question"])
        candidates, matrix = searcher.candidates(item["question"], qvec, hits, unknown)
        answers = item["answers"]
        labels = np.array(
            [
                any(a in index.document_of(hits[c.passage].chunk).text[c.start : c.end] for a in answers)
                for c in candidates
            ],
            dtype=np.float32,
        )
        out.items.append(item)
        out.matrices.append(matrix)
        out.labels.append(labels)
        out.groups.append(str(item.get("split")))
        out.passage_hits.append([any(a in index.chunk_text(h.chunk) for a in answers) for h in hits])
        out.ranks.append(next((i for i, hit in enumerate(out.passage_hits[-1]) if hit), None))
        out.unknown.append(bool(unknown))
    return out


def fit_lightgbm(x: np.ndarray, y: np.ndarray) -> Any:
    import lightgbm

    return lightgbm.train(LGB_PARAMS, lightgbm.Dataset(x, y, feature_name=list(FEATURES)), ROUNDS)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=SEED))
    return model.fit(x, y)


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(x)[:, 1])
    return np.asarray(model.predict(x, num_threads=1))


@dataclass
class Scored:
    """Per question: the calibration inputs, whether the best candidate is right, whether the
    question is answerable, and whether the unknown-names check refuses it."""

    inputs: np.ndarray
    right: np.ndarray
    answerable: np.ndarray
    unknown: np.ndarray


def question_level(model: Any, data: Questions) -> Scored:
    inputs, right = [], []
    for matrix, labels in zip(data.matrices, data.labels, strict=True):
        if not len(matrix):
            inputs.append(np.zeros(len(CALIBRATION_INPUTS)))
            inputs[-1][0] = -14.0  # no candidate: as unlikely as can be
            right.append(False)
            continue
        p = predict(model, matrix)
        inputs.append(calibration_inputs(p, matrix))
        right.append(bool(labels[int(np.argmax(p))]))
    answerable = np.array([bool(item["answers"]) for item in data.items])
    return Scored(np.array(inputs), np.array(right), answerable, np.array(data.unknown, dtype=bool))


def fit_calibration(x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    """Logistic regression on standardised inputs, folded back into one weight per raw input
    so the service needs only a dot product."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=5000, random_state=SEED).fit((x - mean) / std, y)
    weights = model.coef_[0] / std
    intercept = float(model.intercept_[0] - np.dot(weights, mean))
    return (intercept, *map(float, weights))


def refused_by(scored: Scored, unknown_check: bool) -> np.ndarray:
    return scored.unknown if unknown_check else np.zeros(len(scored.answerable), dtype=bool)


def choose_threshold(probability: np.ndarray, scored: Scored, unknown_check: bool) -> float:
    """The highest threshold that keeps false-abstain ≤ MAX_FALSE_ABSTAIN on these questions,
    counting the answerable ones the unknown-names check refuses anyway."""
    answerable = scored.answerable
    budget = int(np.floor(MAX_FALSE_ABSTAIN * answerable.sum())) - int(
        (answerable & refused_by(scored, unknown_check)).sum()
    )
    p = np.sort(probability[answerable & ~refused_by(scored, unknown_check)])
    return float(p[budget]) if 0 <= budget < len(p) else 0.0


def figures(
    probability: np.ndarray, scored: Scored, threshold: float, unknown_check: bool, ranks: list[int | None]
) -> dict[str, float]:
    answerable, right = scored.answerable, scored.right
    answered = (probability >= threshold) & ~refused_by(scored, unknown_check)
    n = max(1, int(answerable.sum()))
    ranked = [r for r, a in zip(ranks, answerable, strict=True) if a]
    return {
        "questions": float(len(answerable)),
        "mrr@10": sum(1 / (r + 1) for r in ranked if r is not None and r < 10) / n,
        "hit@1": sum(r == 0 for r in ranked if r is not None) / n,
        "best_candidate_right": float((right & answerable).sum() / n),
        "answer_acc": float((right & answerable & answered).sum() / n),
        "false_abstain": float((answerable & ~answered).sum() / n),
        "abstain_unans": float((~answerable & ~answered).sum() / max(1, int((~answerable).sum()))),
    }


@dataclass
class Fitted:
    model: Any
    calibration: tuple[float, ...]
    threshold: float
    thresholds: dict[str, float]
    report: dict[str, dict[str, float]]


def fit(
    train: Questions,
    sets: dict[str, Questions],
    threshold_on: tuple[str, ...],
    fitter: Any = None,
    unknown_check: bool = True,
) -> Fitted:
    """Fit the candidate model and its calibration on ``train``, choose the threshold on the
    sets named in ``threshold_on`` (the lowest of their thresholds, so each keeps false-abstain
    within bounds), and report every set at that threshold."""
    fitter = fitter or fit_lightgbm
    groups = sorted(set(train.groups))
    # Out-of-fold candidate scores, one fold per article, for the calibration to learn from.
    oof: dict[str, Scored] = {}
    for held in groups:
        keep = np.array([g != held for g in train.groups])
        oof[held] = question_level(fitter(*train.rows(keep)), train.subset(~keep))
    calibration = fit_calibration(
        np.concatenate([oof[g].inputs for g in groups]),
        np.concatenate([oof[g].right for g in groups]),
    )
    model = fitter(*train.rows())
    scored = {name: oof.get(name) or question_level(model, part) for name, part in sets.items()}
    probability = {name: calibrated(calibration, x.inputs) for name, x in scored.items()}
    thresholds = {
        name: choose_threshold(probability[name], scored[name], unknown_check) for name in threshold_on
    }
    threshold = min(thresholds.values())
    report = {
        name: figures(probability[name], x, threshold, unknown_check, sets[name].ranks)
        for name, x in scored.items()
    }
    return Fitted(model, calibration, threshold, thresholds, report)


#: Feature groups, each zeroed in training and scoring to see what it earns (BENCHMARKS.md:
#: the question's type, who / when / how many…, earned nothing and was removed).
ABLATIONS: dict[str, tuple[str, ...]] = {
    "answer-type cues (states_count, states_time, states_number, gives_definition)": (
        "states_count",
        "states_time",
        "states_number",
        "gives_definition",
    ),
    "refers-back cues (refers_back, context_sim, context_overlap)": (
        "refers_back",
        "context_sim",
        "context_overlap",
    ),
    "name checks as features (names_*)": tuple(f for f in FEATURES if f.startswith("names")),
    "neighbours (prev_*, next_*, offset_from_best)": (
        "prev_sim",
        "next_sim",
        "prev_overlap",
        "next_overlap",
        "offset_from_best",
    ),
    "missing question words (missing_*)": ("missing_window", "missing_idf_window", "missing_idf_passage"),
    "new-information cues (new_names, gives_reason, novel_share)": (
        "new_names",
        "gives_reason",
        "novel_share",
    ),
}


def reordering_table(model: Any, sets: dict[str, Questions]) -> str:
    """MRR@10 and hit@1 with the top passages as ranked, and reordered by what the answer model
    knows: by their best candidate's probability, or fused by RRF with the first ranking."""
    column = FEATURES.index("passage_rank")
    lines = [
        "| order of the top passages | " + " | ".join(f"{n}: MRR@10 / hit@1" for n in sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for label in ("as ranked", "by best answer probability", "RRF of both rankings"):
        cells = []
        for part in sets.values():
            reciprocal, first = [], []
            for matrix, hits, item in zip(part.matrices, part.passage_hits, part.items, strict=True):
                if not item["answers"]:
                    continue
                order = list(range(len(hits)))
                if len(matrix) and label != "as ranked":
                    passage_of = matrix[:, column].astype(int).tolist()
                    order = by_best_answer(len(hits), passage_of, predict(model, matrix))
                    if label.startswith("RRF"):
                        read = len(set(passage_of))  # the passages holding candidates, reordered
                        top = order[:read]
                        fused = {r: 1 / (10 + r + 1) + 1 / (10 + top.index(r) + 1) for r in top}
                        order = sorted(fused, key=lambda r: (-fused[r], r)) + order[read:]
                rank = next((i for i, r in enumerate(order) if hits[r]), None)
                reciprocal.append(1 / (rank + 1) if rank is not None else 0.0)
                first.append(rank == 0)
            cells.append(f"{np.mean(reciprocal):.3f} / {np.mean(first):.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablation_row(label: str, report: dict[str, dict[str, float]], sets: dict[str, Questions]) -> str:
    cells = [
        f"{r['answer_acc']:.3f} / {r['abstain_unans']:.3f} / {r['false_abstain']:.3f}"
        for r in (report[n] for n in sets)
    ]
    return f"| {label} | " + " | ".join(cells) + " |"


def ablation_table(train: Questions, sets: dict[str, Questions], full: dict[str, dict[str, float]]) -> str:
    """A Markdown table: the whole stage, then without the unknown-names check and without each
    feature group (the model retrained without it, the threshold chosen again)."""
    lines = [
        "| answer stage | " + " | ".join(f"{n}: acc / abstain / false-abst." for n in sets) + " |",
        "|---|" + "---|" * len(sets),
        ablation_row("all", full, sets),
        ablation_row(
            "without the unknown-names check",
            fit(train, sets, THRESHOLD_ON, unknown_check=False).report,
            sets,
        ),
    ]
    for label, names in ABLATIONS.items():
        columns = [FEATURES.index(n) for n in names]
        fitted = fit(train.without(columns), {n: q.without(columns) for n, q in sets.items()}, THRESHOLD_ON)
        lines.append(ablation_row(f"without {label}", fitted.report, sets))
    return "\n".join(lines)


def searcher_for(settings: Settings, encoder: Any, **table: bool) -> Searcher:
    """A searcher for ranking only: the answer model is what is being trained."""
    index = load_index(settings.index_dir, expected_model=settings.model)
    searcher = Searcher(index, encoder, settings, answer_model=None)  # type: ignore[arg-type]
    searcher.sentences = SentenceTable(index, **table)
    return searcher


def _progress(message: str, started: float) -> None:
    print(f"{message} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)


def gather(cache: Path, smoke: bool, augment: bool = True, **table: bool) -> dict[str, Questions]:
    """Labelled candidates of the training and validation articles (each split indexed as its
    own corpus) and of the project's own set over the real corpus, by half."""
    started = time.perf_counter()
    out: dict[str, Questions] = {}
    encoder = None
    for split in SPLITS:
        articles = load_articles(split=split)
        settings = prepare_index(articles, cache / split, onnx=False)
        encoder = encoder or load_encoder(settings)
        items = questions(articles)
        if smoke:
            items = [q for a in articles for q in [i for i in items if i["split"] == a.title][:12]]
        searcher = searcher_for(settings, encoder, **table)
        out[split] = collect(searcher, items)
        rng = random.Random(SEED)
        for _ in range(AUGMENT_COPIES if split == "train" and augment else 0):
            out[split] = out[split] + collect(
                searcher, [{**q, "question": drop_words(q["question"], rng)} for q in items]
            )
        _progress(f"{split}: {len(items)} questions, {sum(map(len, out[split].labels))} candidates", started)
    settings = Settings(index_dir=cache / "human-security" / "index", onnx=False)
    if stale_reason(settings, load_corpus(settings.corpus_dir).documents) is not None:
        build_index(settings, progress=False)
    own_searcher = searcher_for(settings, encoder, **table)
    own = collect(own_searcher, load_questions(OWN_SET))
    out["human-security"] = own
    # Off-topic questions: SQuAD's, asked of the human-security texts, which cannot answer them.
    # SQuAD's own unanswerable questions are all on topic; without these the model never sees a
    # question about something else entirely.
    for split in SPLITS:
        items = [
            {**q, "answers": [], "split": f"off-topic/{split}"} for q in questions(load_articles(split=split))
        ]
        out[f"off-topic/{split}"] = collect(own_searcher, items[:: OFF_TOPIC_EVERY * (4 if smoke else 1)])
    out["train"] = out["train"] + out.pop("off-topic/train")
    for half in ("tune", "heldout"):
        out[f"hs-{half}"] = own.subset(np.array([g == half for g in own.groups]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, help="write the model here (default: the bundled folder; --smoke: nowhere)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few questions per article: proves the script runs"
    )
    parser.add_argument(
        "--compare", action="store_true", help="also fit a logistic regression and print both"
    )
    parser.add_argument(
        "--ablations", action="store_true", help="print what each check and feature group earns"
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the SQuAD indexes are built")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    data = gather(args.cache, args.smoke)
    train = data["train"]
    sets = {
        name: data[name]
        for name in ("validation", "human-security", "hs-tune", "hs-heldout", "off-topic/validation")
    }
    result = fit(train, sets, THRESHOLD_ON, fit_lightgbm)
    _progress(f"thresholds for false-abstain <= {MAX_FALSE_ABSTAIN}: {result.thresholds}", started)
    for name, f in result.report.items():
        print(f"{name}:", json.dumps({k: round(v, 3) for k, v in f.items()}))
    booster, calibration, threshold, report = (
        result.model,
        result.calibration,
        result.threshold,
        result.report,
    )

    if args.compare:
        logistic = fit(train, sets, THRESHOLD_ON, fit_logistic)
        for name, f in logistic.report.items():
            print(f"{name} (logistic):", json.dumps({k: round(v, 3) for k, v in f.items()}))
    if args.ablations:
        print(reordering_table(booster, sets))
        print(ablation_table(train, sets, report))
        for label, table in (
            ("without quoting the predecessor or the colon's line", {"quote_context": False}),
            ("with headings, bylines and questions as candidates", {"statements_only": False}),
            ("trained without the word-dropped copies", {"augment": False}),
        ):
            plain = gather(args.cache, args.smoke, **table)
            fitted = fit(plain["train"], {name: plain[name] for name in sets}, THRESHOLD_ON)
            print(ablation_row(label, fitted.report, sets))

    importance = dict(zip(FEATURES, booster.feature_importance("gain").round(1).tolist(), strict=True))
    meta = {
        "name": f"hsqa-answer-lgbm-{time.strftime('%Y%m%d')}",
        "features": list(FEATURES),
        "calibration_inputs": list(CALIBRATION_INPUTS),
        "calibration": list(calibration),
        "threshold": threshold,
        "max_false_abstain": MAX_FALSE_ABSTAIN,
        "params": {**LGB_PARAMS, "rounds": ROUNDS},
        "training": {
            "data": "SQuAD 2.0 subset, shared/qa-data/squad2-8-articles.json",
            "licence": LICENCE,
            "train_articles": list(SPLITS["train"]),
            "validation_articles": list(SPLITS["validation"]),
            "train_questions": len(train.items),
            "train_composition": f"the training articles' questions, {AUGMENT_COPIES} copy of each with half "
            f"its content words left out, and every {OFF_TOPIC_EVERY}th asked of the human-security texts "
            "(off-topic, no answer)",
            "validation_questions": len(sets["validation"].items),
            "threshold_chosen_on": result.thresholds,
            "smoke": args.smoke,
        },
        "figures": {name: {k: round(v, 4) for k, v in f.items()} for name, f in report.items()},
        "feature_gain": importance,
    }
    out = args.out if args.out else (None if args.smoke else ROOT / "service" / "models" / "answer-model")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        booster.save_model(str(out / MODEL_FILE))
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out / MODEL_FILE} and {out / META_FILE}", file=sys.stderr)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
