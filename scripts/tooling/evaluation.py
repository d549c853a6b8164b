"""Measuring retrieval quality on a question set, in-process or against a running service.

A question set is JSONL: ``{"question": str, "answers": [exact substrings], "document": id,
...}``; an empty ``answers`` list marks a question the corpus cannot answer. A passage *hits*
when it contains one of the answer strings; the answer sentence is *correct* when it contains
one (or lies inside one). Where the question names its document, both must also come from that
document: in a corpus of many texts an answer string such as '1999' or 'Japan' turns up in
others, and a passage that merely contains it answers nothing.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.retrieval.search import Mode, Searcher

TOP_K = 10
HIT_AT = (1, 3, 5, 10)

#: (question, top_k) -> the /ask response shape: {"answer": {"text", "passage"} | None,
#: "passages": [{"text", "citation": {"document_id"}}]}
AskFn = Callable[[str, int], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    item: dict[str, Any]
    rank: int | None  # 0-based rank of the first passage holding an answer; None if none does
    answer: str | None
    latency_ms: float
    answer_document: str | None = None  # the document the answer was quoted from, when known

    @property
    def answerable(self) -> bool:
        return bool(self.item["answers"])

    @property
    def answer_correct(self) -> bool:
        a = self.answer
        if a is None or not from_document(self.item, self.answer_document):
            return False
        return any(s in a or a in s for s in self.item["answers"])


def from_document(item: dict[str, Any], document_id: str | None) -> bool:
    """Whether text from ``document_id`` can answer ``item``: any can, unless both the question
    and the text say which document they belong to and the two differ."""
    wanted = item.get("document")
    return wanted is None or document_id is None or document_id == wanted


def cited_document(passage: dict[str, Any]) -> str | None:
    """The document a returned passage cites, if the response says."""
    document_id: str | None = passage.get("citation", {}).get("document_id")
    return document_id


def holds_answer(item: dict[str, Any], passage: dict[str, Any]) -> bool:
    """Whether a returned passage holds one of the question's answers, in its document."""
    return from_document(item, cited_document(passage)) and any(a in passage["text"] for a in item["answers"])


def load_questions(path: Path, split: str = "all") -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in items if split == "all" or q.get("split") == split]


def in_process(searcher: Searcher, mode: Mode) -> AskFn:
    index = searcher.index

    def ask(question: str, top_k: int) -> dict[str, Any]:
        result = searcher.search(question, top_k, mode)
        answer = None
        if result.answer is not None:
            doc = index.document_of(result.hits[result.answer.passage].chunk)
            answer = {
                "text": doc.text[result.answer.start : result.answer.end],
                "passage": result.answer.passage,
            }
        passages = [
            {"text": index.chunk_text(h.chunk), "citation": {"document_id": index.document_of(h.chunk).id}}
            for h in result.hits
        ]
        return {"answer": answer, "passages": passages}

    return ask


def over_http(url: str, timeout: float = 30.0) -> AskFn:
    import httpx

    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def ask(question: str, top_k: int) -> dict[str, Any]:
        response = client.post("/ask", json={"question": question, "top_k": top_k})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return ask


def run(items: Iterable[dict[str, Any]], ask: AskFn) -> list[Outcome]:
    outcomes = []
    for item in items:
        t0 = time.perf_counter()
        body = ask(item["question"], TOP_K)
        latency = (time.perf_counter() - t0) * 1000
        passages = body["passages"]
        rank = next((i for i, p in enumerate(passages) if holds_answer(item, p)), None)
        answer = answer_document = None
        if body["answer"]:
            answer = body["answer"]["text"]
            quoted = body["answer"].get("passage")
            if quoted is not None and quoted < len(passages):
                answer_document = cited_document(passages[quoted])
        outcomes.append(Outcome(item, rank, answer, latency, answer_document))
    return outcomes


def percentile(values: list[float], q: float = 50) -> float:
    """The ``q``-th percentile (1-99; 50 is the median) of ``values``, 0 for none."""
    if not values:
        return 0.0
    if len(values) == 1 or q == 50:
        return statistics.median(values)
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; floats get two decimals."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row) + " |" for row in rows
    ]
    return "\n".join(lines)


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    n = len(answerable) or 1
    figures: dict[str, float] = {"answerable": len(answerable), "unanswerable": len(unanswerable)}
    for k in HIT_AT:
        figures[f"hit@{k}"] = sum(o.rank is not None and o.rank < k for o in answerable) / n
    figures["mrr@10"] = sum(1 / (o.rank + 1) for o in answerable if o.rank is not None and o.rank < 10) / n
    figures["answer_acc"] = sum(o.answer_correct for o in answerable) / n
    figures["false_abstain"] = sum(o.answer is None for o in answerable) / n
    figures["abstain_unans"] = sum(o.answer is None for o in unanswerable) / (len(unanswerable) or 1)
    latencies = [o.latency_ms for o in outcomes]
    figures["p50_ms"] = percentile(latencies, 50)
    figures["p95_ms"] = percentile(latencies, 95)
    return figures


COLUMNS = [
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "answer_acc",
    "false_abstain",
    "abstain_unans",
    "p50_ms",
    "p95_ms",
]


# The columns that only answerable questions make, and the one only unanswerable ones make: a
# row with none of those questions shows '–' there, not a 0 that reads as a figure.
ANSWERABLE_COLUMNS = frozenset({"hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "answer_acc", "false_abstain"})
UNANSWERABLE_COLUMNS = frozenset({"abstain_unans"})


def _cell(figures: dict[str, float], column: str) -> str:
    if (column in ANSWERABLE_COLUMNS and not figures["answerable"]) or (
        column in UNANSWERABLE_COLUMNS and not figures["unanswerable"]
    ):
        return "–"
    return f"{figures[column]:.1f}" if column.endswith("_ms") else f"{figures[column]:.3f}"


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table, one row per label (e.g. per retrieval mode and split)."""
    return markdown_table(
        ["run", "n", *COLUMNS],
        [
            [label, f"{int(f['answerable'])}+{int(f['unanswerable'])}"] + [_cell(f, c) for c in COLUMNS]
            for label, f in rows.items()
        ],
    )


def grouped(outcomes: list[Outcome], field: str) -> dict[str, list[Outcome]]:
    """``outcomes`` grouped by their question's ``field`` ('style', 'kind', 'document'), in the
    order the groups first appear; a question without the field is in the group '(none)'. A
    fresh batch is written in styles (plain, describing, low-overlap, near-domain), and its
    figures per style say which kind of question a change helps."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        value = o.item.get(field)
        groups.setdefault("(none)" if value is None else str(value), []).append(o)
    return groups


def format_details(outcomes: list[Outcome]) -> str:
    lines = ["| id | rank | answer ok | abstained | question |", "|---|---|---|---|---|"]
    for o in outcomes:
        rank = "-" if not o.answerable else ("miss" if o.rank is None else str(o.rank + 1))
        ok = "-" if not o.answerable else ("yes" if o.answer_correct else "no")
        lines.append(
            f"| {o.item.get('id', '')} | {rank} | {ok} | {'yes' if o.answer is None else 'no'} "
            f"| {o.item['question']} |"
        )
    return "\n".join(lines)
