#!/usr/bin/env python3
"""Train the answer reader: ``python scripts/train_answer_reader.py [--out DIR] [--smoke]``.

The reader (``service.models.answer_reader``) is a cross-encoder: the bundled
all-MiniLM-L6-v2 with a one-logit classification head, reading "question [SEP] candidate".
Data: SQuAD 2.0's six training articles (``tooling.squad.SPLITS``, CC BY-SA 4.0), each
question run through the service's own ranking and candidates exactly as the answer stage sees
them. Per answerable question: up to two candidates that hold an answer (label 1) and four that
do not (the three closest to the question by cosine, the hardest to tell apart, and one more at
random); per unanswerable question its two closest candidates (label 0); and one off-topic
question in twelve (SQuAD's, asked of the human-security texts) with its closest candidate.

Only the top four of the six transformer layers and the head are trained (one epoch, AdamW,
lr 1e-4, linear warm-up and decay, batch 16, 128 tokens): fine-tuning all six from the
embedding model's weights collapsed (the reader alone picked the right sentence for 0.24 of
the human-security questions against 0.58 with four), and it takes half the time. Seeded, on
a fixed number of threads: two runs on one machine write the same weights. About 10 minutes on 2
cores (~18 pairs/s). The result is exported to ONNX with int8 weights (23 MB) and checked against torch.

``scripts/train_answer_model.py`` then fits the answer model's calibration and threshold with
this reader in the loop: retrain it after this script. The reader's name ends in its weights'
digest, so an answer model refuses any reader but its own.

The human-security development questions are not trained on: a reader that also learned from
them (two copies of their pairs; scored out of fold by document) chose the right sentence less
often on them than this one (BENCHMARKS.md, fifth session).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from train_answer_model import SEED, collect, searcher_for, training_parser

from service.config import Settings
from service.models.answer_reader import BUNDLED_READER, READER_FILE, READER_META, AnswerReader
from service.models.embedding import resolve_model_path
from service.runtime import load_encoder
from tooling.squad import LICENCE, SMOKE_PARAGRAPHS, SPLITS, load_articles, prepare_index, questions

MAX_LENGTH = 128
FROZEN_LAYERS = 2  # the embeddings and the first two layers keep the embedding model's weights
LEARNING_RATE = 1e-4
BATCH = 16
THREADS = 2
POSITIVES, HARD_NEGATIVES, RANDOM_NEGATIVES, UNANSWERABLE_NEGATIVES = 2, 3, 1, 2
OFF_TOPIC_EVERY = 12
SIM = 0  # the cosine column of a candidate row (FEATURES[0])


def pairs_of(data: Any, rng: random.Random, off_topic: bool = False) -> list[tuple[str, str, float]]:
    """Training pairs (question, candidate text, label) from collected questions."""
    out: list[tuple[str, str, float]] = []
    for item, matrix, labels, texts in zip(data.items, data.matrices, data.labels, data.texts, strict=True):
        if not len(texts):
            continue
        order = [int(i) for i in np.argsort(-matrix[:, SIM], kind="stable")]
        right = [i for i in order if labels[i] > 0][:POSITIVES]
        wrong = [i for i in order if labels[i] == 0]
        if off_topic:
            chosen = [(i, 0.0) for i in wrong[:1]]
        elif item["answers"] and right:
            rest = wrong[HARD_NEGATIVES:]
            extra = rng.sample(rest, min(RANDOM_NEGATIVES, len(rest)))
            chosen = [(i, 1.0) for i in right] + [(i, 0.0) for i in wrong[:HARD_NEGATIVES] + extra]
        else:
            chosen = [(i, 0.0) for i in wrong[:UNANSWERABLE_NEGATIVES]]
        out.extend((item["question"], texts[i], label) for i, label in chosen)
    return out


def gather_pairs(cache: Path, smoke: bool) -> list[tuple[str, str, float]]:
    articles = load_articles(split="train", paragraphs=SMOKE_PARAGRAPHS if smoke else None)
    settings = prepare_index(articles, cache / "train", onnx=False)
    encoder = load_encoder(settings)
    items = questions(articles)
    if smoke:
        items = [q for a in articles for q in [i for i in items if i["split"] == a.title][:6]]
    rng = random.Random(SEED)
    pairs = pairs_of(collect(searcher_for(settings, encoder), items), rng)
    own = Settings(index_dir=cache / "human-security" / "index", onnx=False)
    from service.ingest.corpus import load_corpus
    from service.ingest.indexer import build_index, stale_reason

    if stale_reason(own, load_corpus(own.corpus_dir).documents) is not None:
        build_index(own, progress=False)
    off = [{**q, "answers": []} for q in items[:: OFF_TOPIC_EVERY * (4 if smoke else 1)]]
    pairs += pairs_of(collect(searcher_for(own, encoder), off), rng, off_topic=True)
    rng.shuffle(pairs)
    return pairs


def train(pairs: list[tuple[str, str, float]], base: str) -> Any:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    path = resolve_model_path(base)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[:FROZEN_LAYERS]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    steps = max(1, (len(pairs) + BATCH - 1) // BATCH)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        batch = pairs[step * BATCH : (step + 1) * BATCH]
        encoded = tokenizer(
            [b[0] for b in batch],
            [b[1] for b in batch],
            truncation="only_second",
            max_length=MAX_LENGTH,
            padding=True,
            return_tensors="pt",
        )
        loss = loss_of(model(**encoded).logits.squeeze(-1), torch.tensor([b[2] for b in batch]))
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 100 == 0:
            rate = (step + 1) * BATCH / (time.perf_counter() - started)
            print(f"step {step}/{steps} loss {loss.item():.3f} ({rate:.0f} pairs/s)", file=sys.stderr)
    return model.eval(), tokenizer


#: Pairs the exported reader is checked on against torch.
PROBES = (
    (
        "What did Sadako Ogata name as priorities?",
        "She named three priorities: protection, empowerment, solidarity.",
    ),
    ("Who founded the institute?", "The Normans were the people who gave their name to Normandy."),
)


def export(model: Any, tokenizer: Any, out: Path, meta: dict[str, Any]) -> float:
    """Write the int8 ONNX reader and its meta to ``out``; returns the largest difference
    between its logits and torch's on ``PROBES`` (int8 weights move them a little)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    questions_, texts = [q for q, _ in PROBES], [t for _, t in PROBES]
    probe = tokenizer(questions_, texts, padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader.onnx"
        torch.onnx.export(
            model,
            tuple(probe[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        out.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(fp32), str(out / READER_FILE), weight_type=QuantType.QInt8)
    (out / READER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    with torch.no_grad():
        reference = model(**probe).logits.squeeze(-1).numpy()
    reader = AnswerReader.load(out)
    got = np.concatenate([reader.logits(q, [t]) for q, t in PROBES])
    return float(np.max(np.abs(got - reference)))


def main(argv: list[str] | None = None) -> int:
    parser = training_parser(__doc__, "reader")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    base = Settings().model
    pairs = gather_pairs(args.cache, args.smoke)
    print(f"{len(pairs)} pairs, {sum(p[2] for p in pairs):.0f} holding an answer", file=sys.stderr)
    model, tokenizer = train(pairs, base)
    meta = {
        "name": f"hsqa-answer-reader-{time.strftime('%Y%m%d')}{'-smoke' if args.smoke else ''}",
        "base_model": base,
        "max_length": MAX_LENGTH,
        "training": {
            "data": "SQuAD 2.0 subset, shared/qa-data/squad2-8-articles.json",
            "licence": LICENCE,
            "train_articles": list(SPLITS["train"]),
            "pairs": len(pairs),
            "frozen_layers": FROZEN_LAYERS,
            "learning_rate": LEARNING_RATE,
            "batch": BATCH,
            "epochs": 1,
            "seed": SEED,
            "smoke": args.smoke,
        },
    }
    out = args.out if args.out else (None if args.smoke else BUNDLED_READER)
    target = out or Path(tempfile.mkdtemp(prefix="reader-smoke-"))
    drift = export(model, tokenizer, target, meta)
    # The name carries the weights' digest: an answer model calibrated with another reader
    # trained the same day must not load with this one.
    digest = hashlib.sha256((target / READER_FILE).read_bytes()).hexdigest()[:10]
    meta["name"] = f"{meta['name']}-{digest}"
    (target / READER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"int8 ONNX against torch: largest logit difference {drift:.3f}", file=sys.stderr)
    if out is None:
        shutil.rmtree(target, ignore_errors=True)
    else:
        print(f"wrote {out / READER_FILE} and {out / READER_META}", file=sys.stderr)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
