"""The evaluation sets are sound; quality does not regress below its floors on the project's own
set, meets its targets on Wikipedia articles the answer model never saw, and every stage that
claims to help earns its place there (the name and amount refusals on the human-security
batches, where the questions that ask for a name or an amount are)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import evaluate
import pytest
from train_answer_model import IN_DOMAIN_SETS, SPENT_SETS

from service.asked.amounts import asked_amount
from service.asked.details import asked_detail
from service.asked.given_numbers import has_digits
from service.asked.names import asked_labels, asked_speaker
from service.asked.negation import asks_negated
from service.asked.opposites import uses_paired_word
from service.config import ROOT, Settings
from service.ingest.corpus import load_corpus
from service.models.answer_model import AnswerModel
from service.models.embedding import Embedder
from service.retrieval.answering import question_type
from service.retrieval.search import Searcher
from service.runtime import Runtime
from tests.support import CORPUS, OWN_SET, RememberingEncoder
from tooling.evaluation import (
    AskFn,
    Outcome,
    format_table,
    grouped,
    in_process,
    load_questions,
    run,
    summarize,
)
from tooling.squad import Article, add_texts, load_articles, prepare_index, questions, write_corpus

ITEMS = load_questions(OWN_SET)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "eval").glob("*.jsonl")))
def test_every_answer_string_occurs_in_the_corpus(name: str) -> None:
    texts = [d.text for d in load_corpus(CORPUS).documents]
    items = load_questions(ROOT / "eval" / name)
    missing = [(q["id"], a) for q in items for a in q["answers"] if not any(a in t for t in texts)]
    assert missing == []
    assert all(q["document"] is None for q in items if not q["answers"])


def test_the_set_covers_every_document_and_both_kinds_of_question() -> None:
    answerable = [q for q in ITEMS if q["answers"]]
    assert len(answerable) >= 50
    assert len(ITEMS) - len(answerable) >= 15
    per_doc = Counter(q["document"] for q in answerable)
    assert set(per_doc) == {d.id for d in load_corpus(CORPUS).documents} and min(per_doc.values()) >= 8
    assert sum(q["style"] == "low_overlap" for q in answerable) >= len(answerable) / 3
    assert {q["split"] for q in ITEMS} == {"tune", "heldout"}
    assert len({q["id"] for q in ITEMS}) == len(ITEMS)


def _outcome(style: str | None, answers: list[str], answer: str | None, rank: int | None) -> Outcome:
    item = {"question": "q", "answers": answers} | ({"style": style} if style else {})
    return Outcome(item, rank, answer, 10.0)


def test_figures_by_style_group_the_questions_in_the_order_they_come() -> None:
    outcomes = [
        _outcome("plain", ["Sen"], "Professor Sen said", 0),
        _outcome("near_domain", [], None, None),
        _outcome("plain", ["Ogata"], None, 2),
        _outcome(None, ["JICA"], "JICA", 0),
    ]
    groups = grouped(outcomes, "style")
    assert list(groups) == ["plain", "near_domain", "(none)"]
    plain = summarize(groups["plain"])
    assert [plain[k] for k in ("hit@1", "hit@3", "answer_acc", "false_abstain")] == [0.5, 1.0, 0.5, 0.5]


def test_a_group_without_answerable_or_unanswerable_questions_shows_a_dash_not_a_zero() -> None:
    table = format_table(
        {
            "near-domain": summarize([_outcome("near_domain", [], None, None)]),
            "plain": summarize([_outcome("plain", ["Sen"], "Sen", 0)]),
        }
    )
    near_domain, plain = table.splitlines()[2:]
    assert near_domain.split(" | ")[2:10] == ["–"] * 7 + ["1.000"]
    assert plain.split(" | ")[2:10] == ["1.000"] * 6 + ["0.000", "–"]


def test_an_answer_string_in_another_document_is_neither_a_hit_nor_a_right_answer() -> None:
    item = {"question": "When was the Trust Fund set up?", "answers": ["1999"], "document": "jica"}

    def ask(question: str, top_k: int) -> dict[str, Any]:
        passages = [
            {"text": "Warsaw's bridge reopened in 1999.", "citation": {"document_id": "warsaw"}},
            {"text": "In 1999 Japan set up the Trust Fund.", "citation": {"document_id": "jica"}},
        ]
        return {"answer": {"text": passages[0]["text"], "passage": 0}, "passages": passages}

    (outcome,) = run([item], ask)
    assert outcome.rank == 1
    assert outcome.answer_document == "warsaw" and not outcome.answer_correct
    assert replace(outcome, answer_document="jica").answer_correct
    assert replace(outcome, item={**item, "document": None}).answer_correct  # no document named


def test_a_distractor_corpus_holds_the_articles_and_every_text_with_its_catalogue_entry(
    tmp_path: Path,
) -> None:
    article = Article("Warsaw", ("Warsaw is the capital of Poland.",), ())
    write_corpus([article], tmp_path)
    add_texts(CORPUS, tmp_path)
    documents = {d.id: d for d in load_corpus(tmp_path).documents}
    own = {d.id: d for d in load_corpus(CORPUS).documents}
    assert set(documents) == {"warsaw", *own}
    assert documents["warsaw"].author == "Wikipedia"
    assert all(documents[i].title == d.title and documents[i].text == d.text for i, d in own.items())


def test_distractors_build_their_own_index_so_an_index_given_too_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--questions", str(OWN_SET), "--distractors", "--index", "index"])
    assert exit_.value.code == 2
    assert "--distractors builds its own index: leave out --index and --url" in capsys.readouterr().err


def test_grouping_by_a_field_no_question_has_is_refused_with_the_fields_they_have(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--questions", str(OWN_SET), "--by", "styel"])
    assert exit_.value.code == 2
    assert "--by styel: no question has that field; they have: answers, " in capsys.readouterr().err


def test_hybrid_meets_the_quality_floors(own_set_figures: dict[str, float]) -> None:
    hybrid = own_set_figures
    print(format_table({"hybrid": hybrid}))
    assert hybrid["hit@5"] >= FLOORS["hit@5"]
    assert hybrid["mrr@10"] >= FLOORS["mrr@10"]
    assert hybrid["answer_acc"] >= FLOORS["answer_acc"]
    assert hybrid["abstain_unans"] >= FLOORS["abstain_unans"]
    assert hybrid["false_abstain"] <= FLOORS["false_abstain"]


# Floors sit a little under the figures measured on this set (see BENCHMARKS.md), so a real
# regression fails while run-to-run noise (there is none in-process: the model is
# deterministic on CPU) cannot.
FLOORS = {"hit@5": 0.90, "mrr@10": 0.78, "answer_acc": 0.58, "abstain_unans": 0.40, "false_abstain": 0.10}


# The second corpus: two Wikipedia articles of SQuAD 2.0 the answer model was validated on and
# never trained on, with their 944 questions. Ablations are measured here: 457 answerable and
# 487 unanswerable questions say more than the 78 of the project's own set.


@pytest.fixture(scope="module")
def squad(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Searcher, list[dict[str, Any]]]:
    articles = load_articles(split="validation")
    settings = prepare_index(articles, tmp_path_factory.mktemp("squad"), onnx=False)
    searcher = Runtime.start(settings, embedder=RememberingEncoder(embedder)).require_searcher()
    return searcher, questions(articles)


@pytest.fixture(scope="module")
def squad_figures(squad: tuple[Searcher, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    searcher, items = squad
    # Only the whole pipeline is run on every question; the rows it is compared with measure
    # ranking or answers, which only answerable questions tell, so they run on those (457 of
    # 944), and a row that can only change some questions' outcomes asks only those again
    # (this module is the slowest in the suite).
    asked = [i for i, q in enumerate(items) if q["answers"]]
    answerable = [items[i] for i in asked]
    hybrid = run(items, in_process(searcher, "hybrid"))
    figures = {"hybrid": summarize(hybrid)}
    figures |= {mode: summarize(run(answerable, in_process(searcher, mode))) for mode in ("dense", "bm25")}
    model, unread = searcher.answer_model, replace(searcher.answer_model, reader=None)

    def varied(update: dict[str, Any], answer_model: AnswerModel, again: list[int]) -> list[Outcome]:
        """The hybrid outcomes, with questions ``again`` (indices) asked of a searcher varied so."""
        other = Searcher(
            searcher.index, searcher.embedder, searcher.settings.model_copy(update=update), answer_model
        )
        outcomes = list(hybrid)
        for i, outcome in zip(
            again, run([items[i] for i in again], in_process(other, "hybrid")), strict=True
        ):
            outcomes[i] = outcome
        return outcomes

    # The rule refuses only a question naming what no passage mentions; answering all changes
    # only the questions the service refused; without the reader every choice may change.
    named = [i for i in asked if searcher.unknown_terms(items[i]["question"])]
    refused = [i for i in asked if hybrid[i].answer is None]
    for label, update, answer_model, again in (
        ("with the unknown-names check as a rule", {"abstain_on_unknown_terms": True}, model, named),
        # Choice alone, never abstaining: does the reader pick the right sentence more often?
        ("answering all, with the reader", {"abstain_threshold": 0.0}, model, refused),
        ("answering all, without the reader", {"abstain_threshold": 0.0}, unread, asked),
    ):
        outcomes = varied(update, answer_model, again)
        figures[label] = summarize([outcomes[i] for i in asked])
    # The unmet-type refusal refuses a question that asks for a count or a time the answer does
    # not state. (It also refuses an answer that says nothing the question does not, which no
    # best answer on these articles does: BENCHMARKS.md, twentieth session.) Turned off, it
    # turns every other refusal off too, so only those questions are asked again.
    typed = [i for i, q in enumerate(items) if question_type(q["question"]) in ("count", "when")]
    figures["without the unmet-type refusal"] = summarize(
        varied({}, replace(model, refuse_unmet_type=False), typed)
    )
    # The negation refusal only ever refuses a question that asks what is not so.
    negated = [i for i, q in enumerate(items) if asks_negated(q["question"])]
    figures["without the negation refusal"] = summarize(
        varied({}, replace(model, refuse_unmet_negation=False), negated)
    )
    # The number refusal only ever refuses a question that writes a number with digits.
    numbered = [i for i, q in enumerate(items) if has_digits(q["question"])]
    figures["without the number refusal"] = summarize(
        varied({}, replace(model, refuse_unmet_number=False), numbered)
    )
    # The opposite refusal only ever refuses a question that uses a word of its pairs.
    paired = [i for i, q in enumerate(items) if uses_paired_word(q["question"])]
    figures["without the opposite refusal"] = summarize(
        varied({}, replace(model, refuse_unmet_opposite=False), paired)
    )
    figures["as first ranked"] = summarize(run(answerable, first_ranking(searcher)))
    unsorted = Searcher(
        searcher.index,
        searcher.embedder,
        searcher.settings.model_copy(update={"sentence_weight": 0.0}),
        model,
    )
    figures["as first ranked, without the best-sentence ranking"] = summarize(
        run(answerable, first_ranking(unsorted))
    )
    print(format_table(figures))
    return figures


def first_ranking(searcher: Searcher) -> AskFn:
    """Passages as the first stage ranks them, before the answer model reorders the top ones."""

    def ask(question: str, top_k: int) -> dict[str, Any]:
        hits = searcher.rank(question, searcher.embedder.encode_query(question), top_k)
        return {"answer": None, "passages": [{"text": searcher.index.chunk_text(h.chunk)} for h in hits]}

    return ask


def test_on_articles_it_never_saw_the_service_meets_its_targets(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    hybrid = squad_figures["hybrid"]
    assert hybrid["mrr@10"] >= 0.95 and hybrid["hit@1"] >= 0.93
    assert hybrid["answer_acc"] >= 0.85
    assert hybrid["false_abstain"] <= 0.10


def test_hybrid_beats_both_single_modes(squad_figures: dict[str, dict[str, float]]) -> None:
    hybrid, dense, bm25 = (squad_figures[mode] for mode in ("hybrid", "dense", "bm25"))
    assert hybrid["mrr@10"] > max(dense["mrr@10"], bm25["mrr@10"])
    # First place: hybrid 0.952 against dense 0.902; BM25 ties it once the answer stage has
    # reordered its top five (0.952, twelfth session's answer model; BENCHMARKS.md).
    assert hybrid["hit@1"] > dense["hit@1"] and hybrid["hit@1"] >= bm25["hit@1"]


def test_ranking_passages_by_their_best_sentence_earns_its_place(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    # Its job is the first ranking, which decides the passages the answer stage reads (after
    # the answer stage reorders the top five, the two end level here: BENCHMARKS.md).
    without = squad_figures["as first ranked, without the best-sentence ranking"]
    assert squad_figures["as first ranked"]["mrr@10"] > without["mrr@10"] + 0.01


def test_reordering_the_top_passages_by_their_best_answer_earns_its_place(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    assert squad_figures["hybrid"]["mrr@10"] > squad_figures["as first ranked"]["mrr@10"] + 0.005
    assert squad_figures["hybrid"]["hit@1"] > squad_figures["as first ranked"]["hit@1"]


def test_the_answer_reader_costs_at_most_one_right_answer_where_it_was_never_trained(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    # Answering every question, the reader reading the answer model's two best picks about as
    # many right sentences here (never trained on these articles): 0.908 with and without in
    # the tenth session; 0.904 against 0.906 (one question of 457) since the answer model
    # learned from the spent batches (fourteenth); 0.912 against 0.910 (fifteenth, 1,320
    # human-security questions learnt from). What it earns shows on the human-security
    # questions, retrained without it (out of fold, 1,160 questions): answers 0.545 -> 0.576,
    # abstention 0.594 -> 0.605 (BENCHMARKS.md, fourteenth session).
    with_reader, without = (squad_figures[f"answering all, {run} the reader"] for run in ("with", "without"))
    lost = (without["answer_acc"] - with_reader["answer_acc"]) * with_reader["answerable"]
    assert lost <= 1.5  # right answers


def test_refusing_an_answer_that_lacks_the_count_or_time_asked_for_refuses_more_unanswerable_questions(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    # Out of fold on the human-security development questions the refusal took abstention from
    # 0.057 to 0.400 (BENCHMARKS.md, eighth session); on these articles, never trained on, it
    # must refuse more unanswerable questions and cost at most a point of right answers.
    without = squad_figures["without the unmet-type refusal"]
    assert squad_figures["hybrid"]["abstain_unans"] > without["abstain_unans"]
    assert squad_figures["hybrid"]["answer_acc"] >= without["answer_acc"] - 0.01


#: The refusals that check an answer against a question made unanswerable by changing one thing,
#: as SQuAD 2.0 makes many: each figure row without it, and how much more of the 487
#: unanswerable questions it must refuse. Measured (sixteenth session; BENCHMARKS.md): with all,
#: 0.203 refused at 0.899 right answers; without each, the right answers are the same.
SQUAD_REFUSALS = [
    # 'What cells do not carry receptor molecules?' and the sentence saying they carry them:
    # 0.105 without it (fifteenth session: 0.060 -> 0.158).
    ("without the negation refusal", 0.03),
    # 'What park covers an area of 74 ha.?' and the sentence giving 76 ha.: 0.189 without it.
    ("without the number refusal", 0.005),
    # 'What allows toxins to exit the cell?' and the sentence on what lets them enter: 0.172
    # without it. The pairs were kept or dropped by what they refuse on the six training
    # articles and the human-security questions.
    ("without the opposite refusal", 0.02),
]


@pytest.mark.parametrize(("row", "gain"), SQUAD_REFUSALS)
def test_a_refusal_of_an_answer_about_something_else_refuses_more_unanswerable_ones_at_no_right_answer(
    squad_figures: dict[str, dict[str, float]], row: str, gain: float
) -> None:
    # Never trained on these articles: each must refuse more unanswerable questions and cost
    # no right answer.
    without = squad_figures[row]
    assert squad_figures["hybrid"]["abstain_unans"] >= without["abstain_unans"] + gain
    assert squad_figures["hybrid"]["answer_acc"] >= without["answer_acc"]


def with_and_without(
    searcher: Searcher, items: list[dict[str, Any]], **without: Any
) -> tuple[dict[str, float], dict[str, float]]:
    """The served figures on ``items``, and with the answer model's fields set to ``without``."""
    variant = Searcher(
        searcher.index, searcher.embedder, searcher.settings, replace(searcher.answer_model, **without)
    )
    with_rule, without_rule = (summarize(run(items, in_process(s, "hybrid"))) for s in (searcher, variant))
    print(format_table({"with the refusal": with_rule, "without": without_rule}))
    return with_rule, without_rule


def test_refusing_an_answer_without_the_name_asked_for_refuses_more_near_domain_questions(
    settings: Settings,
) -> None:
    # The spent untouched batches (925 questions by other writers); only the 137 that ask for a
    # person, a country, a city or a body can change, so only those are asked, with and without
    # the refusal. The served model learns from these questions since the fourteenth session,
    # but the rule is no learned part and both runs use the same model. Measured (twenty-first
    # session, since a 'who' question naming no office asks for no name): 77 unanswerable, of
    # which 64 refused against 20 (by the other refusals); 60 answerable, of which 47 answered
    # right against 48. (Fifteenth, with those 'who' questions: 154 questions, 64 of 78 refused
    # against 20, 58 of 76 right against 62. Fourteenth, 765 questions: 48 of 66
    # refused against 1, 39 of 53 right against 41. Thirteenth, never trained on: 44 of 63
    # refused against 1, 27 of 49 right against 29.)
    searcher = Runtime.start(settings).require_searcher()
    items = [q for path in SPENT_SETS for q in load_questions(path)]
    asking = [q for q in items if asked_labels(q["question"], question_type(q["question"]) == "who")]
    assert len(asking) >= 100
    with_rule, without = with_and_without(searcher, asking, refuse_unmet_name=False)
    assert with_rule["abstain_unans"] >= without["abstain_unans"] + 0.50
    lost = (without["answer_acc"] - with_rule["answer_acc"]) * with_rule["answerable"]
    assert lost <= 4.5  # right answers


#: The refusals that ask a question about the best answer's text, each with the human-security
#: questions (development and spent batches, 1,320) it can change: the served figures with and
#: without it on those alone (same model; the rule is no learned part). Each must refuse at least
#: 0.15 more of their unanswerable ones at no right answer. Measured (fifteenth session):
#: - a sum or share: 72 questions; 59 of 66 unanswerable refused against 44 (by the count
#:   refusal and the others); the 6 answerable answered right both times (fourteenth, of 1,160:
#:   56 of 61 against 43);
#: - a speaker's words (with the topic check): 26 questions; 19 of 25 unanswerable refused
#:   against none; the one answerable answered right both times, as are the own set's and the
#:   validation articles' one each (fourteenth: 11 of 18 against none);
#: - a day, title, given name or office holder: 74 questions; 45 of 50 unanswerable refused
#:   against 24; the 24 answerable answered right 12 times both times (3 more refused, each
#:   with a wrong sentence chosen).
TEXT_REFUSALS = {
    "refuse_unmet_amount": (lambda question, tagger: asked_amount(question), 50),
    "refuse_unmet_speaker": (lambda question, tagger: asked_speaker(question, tagger.names(question)), 15),
    "refuse_unmet_detail": (lambda question, tagger: asked_detail(question), 60),
}


@pytest.mark.parametrize("refusal", sorted(TEXT_REFUSALS))
def test_refusing_an_answer_without_what_was_asked_for_refuses_more_near_domain_questions(
    settings: Settings, refusal: str
) -> None:
    asks, least = TEXT_REFUSALS[refusal]
    searcher = Runtime.start(settings).require_searcher()
    tagger = searcher.answer_model.names
    assert tagger is not None
    items = [q for path in IN_DOMAIN_SETS for q in load_questions(path)]
    asking = [q for q in items if asks(q["question"], tagger)]
    assert len(asking) >= least
    with_rule, without = with_and_without(searcher, asking, **{refusal: False})
    assert with_rule["abstain_unans"] >= without["abstain_unans"] + 0.15
    assert with_rule["answer_acc"] >= without["answer_acc"]


def test_the_unknown_names_rule_stays_off_where_it_would_lose_answers(
    squad_figures: dict[str, dict[str, float]],
) -> None:
    # As a rule (refuse any question naming what no passage mentions) it refused answerable
    # questions here and, on the human-security development questions, more answerable ones
    # than unanswerable ones it caught (BENCHMARKS.md): the answer model weighs it instead.
    assert not Settings().abstain_on_unknown_terms
    rule = squad_figures["with the unknown-names check as a rule"]
    assert rule["false_abstain"] > squad_figures["hybrid"]["false_abstain"]
