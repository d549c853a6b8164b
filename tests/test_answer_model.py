"""The learned answer stage: the bundled model and its reader load offline and refuse to load
when they do not fit the code or each other; the reader reorders only what it read; the score
is a probability and the threshold decides; both training scripts run end to end (the answer
model's the same way twice)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.config import ROOT, Settings
from service.errors import ModelUnavailable
from service.models.answer_model import (
    BUNDLED,
    FEATURES,
    META_FILE,
    MODEL_FILE,
    AnswerModel,
    candidate_scores,
    reread,
    unmet_amount,
    unmet_detail,
    unmet_name,
    unmet_negation,
    unmet_number,
    unmet_opposite,
    unmet_speaker,
    unmet_type,
)
from service.models.answer_reader import BUNDLED_READER, READER_META, AnswerReader
from service.models.name_tagger import NameTagger
from service.runtime import Runtime

OGATA = "What three priorities did Sadako Ogata name for human security?"


def test_the_bundled_model_loads_offline_and_says_what_it_was_trained_on() -> None:
    model = AnswerModel.load()
    assert model.meta["features"] == list(FEATURES)
    assert model.meta["training"]["licence"].startswith("CC BY-SA 4.0")
    assert set(model.meta["training"]["validation_articles"]).isdisjoint(
        model.meta["training"]["train_articles"]
    )
    assert 0.0 < model.threshold < 1.0
    assert (BUNDLED / "MODEL_CARD.md").is_file()


def test_a_missing_model_stops_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="train_answer_model.py"):
        AnswerModel.load(tmp_path)


@pytest.mark.parametrize("inputs", ["features", "calibration_inputs"])
def test_a_model_trained_on_other_inputs_is_refused(tmp_path: Path, inputs: str) -> None:
    shutil.copytree(BUNDLED, tmp_path / "model")
    meta = json.loads((tmp_path / "model" / META_FILE).read_text())
    meta[inputs] = meta[inputs][:-1]
    (tmp_path / "model" / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelUnavailable, match="retrain it"):
        AnswerModel.load(tmp_path / "model")


def test_probabilities_rise_with_the_evidence() -> None:
    model = AnswerModel.load()
    close = np.zeros((2, len(FEATURES)), dtype=np.float32)
    column = {name: i for i, name in enumerate(FEATURES)}
    close[0, column["sim"]], close[0, column["overlap"]], close[0, column["passage_cos"]] = 0.8, 1.0, 0.7
    close[1, column["sim"]], close[1, column["overlap"]], close[1, column["passage_cos"]] = 0.1, 0.0, 0.1
    close[1, column["missing_window"]] = 1.0
    p = model.candidate_probabilities(close)
    assert p[0] > p[1]
    assert 0.0 <= model.answer_probability(p, close) <= 1.0


@pytest.mark.parametrize("objective", ["binary", "lambdarank"])
def test_candidate_scores_keep_a_classifiers_probability_and_a_rankers_order(objective: str) -> None:
    import lightgbm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0.5).astype(float)
    params = {"objective": objective, "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    booster = lightgbm.train(
        params, lightgbm.Dataset(x, y, group=[20] * 20 if objective != "binary" else None), 20
    )
    scores = candidate_scores(booster, x[:10])
    assert np.all((scores > 0) & (scores < 1))
    assert list(np.argsort(scores)) == list(np.argsort(booster.predict(x[:10], raw_score=True)))
    if objective == "binary":
        assert np.allclose(scores, booster.predict(x[:10]))


@pytest.mark.parametrize(("threshold", "answered"), [(0.0, True), (1.0, False)])
def test_the_threshold_decides_whether_there_is_an_answer(
    settings: Settings, threshold: float, answered: bool
) -> None:
    searcher = Runtime.start(settings.model_copy(update={"abstain_threshold": threshold})).require_searcher()
    result = searcher.search(OGATA, 5)
    assert (result.answer is not None) is answered
    if not answered:
        assert result.outcome.reason == "unlikely" and 0.0 < result.outcome.score < 1.0  # type: ignore[union-attr]


def test_the_top_passages_are_reordered_by_their_best_answer(client: TestClient) -> None:
    # The answer's passage comes first: the answer model read the top five and ranked them.
    body = client.post("/ask", json={"question": OGATA, "top_k": 10}).json()
    assert body["answer"] is not None and body["answer"]["passage"] == 0


def test_training_runs_end_to_end_and_the_same_way_twice(tmp_path: Path) -> None:
    # A smoke run: a dozen questions per article, over its first four paragraphs (indexed once,
    # in the cache).
    cache = ROOT / ".cache" / "squad-smoke"
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "train_answer_model.py"),
                "--smoke",
                "--out",
                str(out),
                "--cache",
                str(cache),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outs.append(out)
    assert (outs[0] / MODEL_FILE).read_bytes() == (outs[1] / MODEL_FILE).read_bytes()
    model = AnswerModel.load(outs[0])
    assert model.meta["training"]["smoke"] is True
    # Reported beside the validation articles: the spent untouched batches, out of fold.
    assert {"validation", "own set", "hs: spent batches"} <= set(model.meta["figures"])
    assert 0.0 < model.topic_floor < 0.6 and model.topic_floor == model.meta["topic_floor"]
    assert model.candidate_probabilities(np.zeros((1, len(FEATURES)), dtype=np.float32)).shape == (1,)


def test_the_reader_moves_the_candidates_it_read_and_no_unread_one_overtakes_them() -> None:
    # Candidate 1 is the model's best; the reader, reading 0 and 1, prefers 0.
    p = np.array([0.6, 0.7, 0.5, 0.2])
    after = reread(p, np.array([1, 0]), np.array([-2.0, 3.0]), 1.0)
    assert int(np.argmax(after)) == 0
    assert after[0] > p[0] and after[1] < p[1]
    # The unread keep their order, below every candidate the reader read.
    assert after[2] > after[3] and after[2] < min(after[0], after[1])


def candidate_rows(n: int) -> np.ndarray:
    """Feature rows of ``n`` candidates that say something the question does not (half their
    words are not the question's) and nothing else."""
    rows = np.zeros((n, len(FEATURES)))
    rows[:, FEATURES.index("novel_share")] = 0.5
    return rows


@pytest.mark.parametrize(
    ("asks", "states", "unmet"),
    [
        ("asks_count", (), 1.0),
        ("asks_count", ("states_count", "states_number"), 0.0),
        ("asks_count", ("states_number",), 1.0),  # a year or a date counts nothing
        ("asks_when", ("states_count",), 1.0),
        ("asks_when", ("states_time",), 0.0),
        ("asks_who", (), 0.0),
    ],
)
def test_a_candidate_that_lacks_the_count_or_time_asked_for_leaves_the_type_unmet(
    asks: str, states: tuple[str, ...], unmet: float
) -> None:
    row = candidate_rows(1)[0]
    for name in (asks, *states):
        row[FEATURES.index(name)] = 1
    assert unmet_type(row) == unmet


def test_a_candidate_that_uses_no_word_the_question_does_not_leaves_the_type_unmet() -> None:
    # 'What did the 2008 … Debate conclude?' and the timeline's line naming the debate.
    row = np.zeros(len(FEATURES))
    row[FEATURES.index("asks_what")] = 1
    row[FEATURES.index("states_time")] = 1
    assert unmet_type(row) == 1.0
    row[FEATURES.index("novel_share")] = 0.1
    assert unmet_type(row) == 0.0


@pytest.mark.parametrize(
    ("refuses", "states", "refused"),
    [(True, (), True), (True, ("states_count",), False), (False, (), False)],
)
def test_a_model_that_refuses_an_unmet_type_judges_its_best_candidate_only(
    refuses: bool, states: tuple[str, ...], refused: bool
) -> None:
    # 'How many …?': the best candidate (probability 0.8) states no number; the runner-up does.
    rows = candidate_rows(2)
    rows[:, FEATURES.index("asks_count")] = 1
    rows[1, FEATURES.index("states_count")] = 1
    for name in states:
        rows[0, FEATURES.index(name)] = 1
    model = AnswerModel("m", None, (0.0,), 0.5, {}, refuse_unmet_type=refuses)
    assert model.leaves_type_unmet(np.array([0.8, 0.3]), rows, model.threshold) is refused
    assert model.leaves_type_unmet(np.zeros(0), rows[:0], model.threshold) is False
    # A threshold of 0 answers every question with a candidate: no refusal either.
    assert model.leaves_type_unmet(np.array([0.8, 0.3]), rows, model.threshold_for(0.0)) is False


SUCCEEDED = "Who succeeded Sadako Ogata as President of JICA?"
BECAME = (
    "In 2003, OGATA Sadako, who had served as UN High Commissioner for Refugees, became President of JICA, "
    "while the Ministry of Foreign Affairs intensified its efforts."
)


def test_the_name_tagger_loads_offline_and_finds_the_people_and_bodies_a_sentence_names() -> None:
    names = NameTagger.load().names(BECAME)
    assert ("OGATA Sadako", "PERSON") in names
    assert ("JICA", "ORG") in names


def test_a_missing_name_tagger_stops_with_the_fix() -> None:
    with pytest.raises(ModelUnavailable, match="make install"):
        NameTagger.load("no_such_pipeline")


@pytest.mark.parametrize(
    ("question", "unmet"),
    [
        # The texts never say who succeeded her; the sentence that names her alone is no answer.
        (SUCCEEDED, True),
        ("Who became President of JICA in 2003?", False),
        # Asks for no name: the rule is silent.
        ("When did Sadako Ogata become President of JICA?", False),
    ],
)
def test_a_candidate_that_names_no_one_the_question_does_not_leaves_the_name_unmet(
    question: str, unmet: bool
) -> None:
    row = candidate_rows(1)[0]
    row[FEATURES.index("asks_who")] = question.startswith("Who")
    assert unmet_name(question, row, BECAME, NameTagger.load()) is unmet


def test_the_bundled_model_refuses_an_answer_without_the_name_asked_for() -> None:
    model = AnswerModel.load()
    assert model.meta["refuse_unmet_name"] and model.names is not None
    rows = candidate_rows(1)
    rows[0, FEATURES.index("asks_who")] = 1
    assert model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, SUCCEEDED, lambda _: BECAME)
    # Without the question and the texts (or at a threshold of 0) only counts and times are judged.
    assert not model.leaves_type_unmet(np.array([0.9]), rows, model.threshold)
    assert not model.leaves_type_unmet(np.array([0.9]), rows, 0.0, SUCCEEDED, lambda _: BECAME)


@pytest.mark.parametrize(("floor", "off_topic"), [(0.35, True), (0.25, False), (0.0, False)])
def test_a_question_whose_closest_passage_is_under_the_topic_floor_is_off_topic(
    floor: float, off_topic: bool
) -> None:
    # Candidates from two passages, at cosines 0.2 and 0.3 to the question: the closer one
    # decides, whichever candidate would be answered ('Who is Lloyd Axworthy?' has its best
    # candidate in its second passage).
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("passage_cos")] = (0.2, 0.3, 0.2)
    model = AnswerModel("m", None, (0.0,), 0.05, {}, topic_floor=floor)
    assert model.is_off_topic(rows, model.threshold) is off_topic
    assert model.is_off_topic(rows, model.threshold_for(0.0)) is False, "a threshold of 0 answers all"
    assert model.is_off_topic(rows[:0], model.threshold) is False


def test_a_reader_that_reads_nothing_changes_nothing() -> None:
    p = np.array([0.3, 0.1])
    assert np.array_equal(reread(p, np.array([], dtype=np.int64), np.array([]), 1.0), p)


def test_the_bundled_model_reads_with_the_reader_it_was_calibrated_with(tmp_path: Path) -> None:
    model = AnswerModel.load()
    assert model.reader is not None and model.read_top >= 1
    assert model.reader.name == model.meta["reader"]["name"]
    assert model.reader.meta["training"]["licence"].startswith("CC BY-SA 4.0")
    assert (BUNDLED_READER / "MODEL_CARD.md").is_file()
    shutil.copytree(BUNDLED_READER, tmp_path / "reader")
    meta = json.loads((tmp_path / "reader" / READER_META).read_text())
    (tmp_path / "reader" / READER_META).write_text(json.dumps({**meta, "name": "another-reader"}))
    with pytest.raises(ModelUnavailable, match="calibrated with the reader"):
        AnswerModel.load(BUNDLED, tmp_path / "reader")


def test_the_reader_prefers_the_sentence_that_answers_to_the_one_that_restates_the_question() -> None:
    reader = AnswerModel.load().reader
    assert reader is not None
    logits = reader.logits(
        OGATA,
        [
            "Sadako Ogata spoke about human security at the symposium.",
            "She named three priorities: protection, empowerment and solidarity with people in crisis.",
        ],
    )
    assert logits[1] > logits[0]


def test_a_candidate_gets_the_same_reading_whatever_is_read_beside_it() -> None:
    # Each pair is read alone (int8 activations quantised over a padded batch made a pair's
    # logit depend on its batch-mate): the same question and sentence, the same logit.
    reader = AnswerModel.load().reader
    assert reader is not None and reader.pool is not None
    answer = "She named three priorities: protection, empowerment and solidarity with people in crisis."
    alone = reader.logits(OGATA, [answer])
    for beside in (
        "Ogata.",
        "A far longer sentence about refugees, camps and the many years she led the agency.",
    ):
        assert reader.logits(OGATA, [beside, answer])[1] == alone[0]


def test_reader_training_runs_end_to_end(tmp_path: Path) -> None:
    # A smoke run: a few questions per article, exported to int8 ONNX and loaded back.
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "train_answer_reader.py"),
            "--smoke",
            "--out",
            str(tmp_path / "reader"),
            "--cache",
            str(ROOT / ".cache" / "squad-smoke"),
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    reader = AnswerReader.load(tmp_path / "reader")
    assert reader.meta["training"]["smoke"] is True
    assert reader.logits(OGATA, ["a", "b c"]).shape == (2,)


RELAUNCHED = (
    "After its rebirth as a “new JICA” in 2008, the agency unveiled a new vision of “Inclusive and "
    "Dynamic Development”."
)
TOTAL_BUDGET = "What was JICA's total budget for human security projects in 2008?"


@pytest.mark.parametrize(
    ("question", "text", "unmet"),
    [
        # The texts never give JICA's budget; the sentence on its relaunch states a year, no sum.
        (TOTAL_BUDGET, RELAUNCHED, True),
        ("What was JICA's budget in 2008?", "In 2008 JICA's budget was 150 billion yen.", False),
        ("What share of Japan's aid goes to human security?", RELAUNCHED, True),
        # Asks for no sum or share: the rule is silent.
        ("When was JICA relaunched?", RELAUNCHED, False),
    ],
)
def test_a_candidate_that_states_no_sum_or_share_leaves_the_amount_unmet(
    question: str, text: str, unmet: bool
) -> None:
    assert unmet_amount(question, text, NameTagger.load()) is unmet


def test_the_bundled_model_refuses_an_answer_without_the_sum_asked_for() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_amount and model.names is not None
    rows = candidate_rows(1)
    rows[0, FEATURES.index("asks_count")] = rows[0, FEATURES.index("states_count")] = 1
    assert model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, TOTAL_BUDGET, lambda _: RELAUNCHED)
    budget = "In 2008 JICA's budget was 150 billion yen."
    assert not model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, TOTAL_BUDGET, lambda _: budget)


TRUST_FUND = (
    "Instead of focusing on policy processes to negotiate new treaties to protect civilians, like "
    "Canada, the Japanese government in 1999 established a Trust Fund for Human Security."
)
MISRAN = (
    "Mr. Misran, ASEAN Deputy Secretary-General, made a keynote speech under the theme of human "
    "security in ASEAN. He pointed out that the significance of human security was increasing in Asia."
)


@pytest.mark.parametrize(
    ("question", "context", "unmet"),
    [
        # The texts never quote Axworthy on Japan's fund; a sentence on the fund is no answer.
        ("What did Lloyd Axworthy say about Japan's Trust Fund for Human Security?", TRUST_FUND, True),
        # The speaker is named a sentence before what 'He pointed out'.
        ("What did Mr. Misran say about human security in Asia?", MISRAN, False),
        # Asks for no person's words: the rule is silent.
        ("What did Japan establish in 1999?", TRUST_FUND, False),
    ],
)
def test_a_candidate_whose_context_never_names_the_speaker_asked_about_leaves_the_speaker_unmet(
    question: str, context: str, unmet: bool
) -> None:
    assert unmet_speaker(question, context, NameTagger.load()) is unmet


def test_the_bundled_model_refuses_an_answer_that_never_names_the_speaker_asked_about() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_speaker and model.names is not None
    rows = candidate_rows(1)
    question = "What did Lloyd Axworthy say about Japan's Trust Fund for Human Security?"
    assert model.leaves_type_unmet(
        np.array([0.9]), rows, model.threshold, question, lambda _: TRUST_FUND, lambda _: TRUST_FUND
    )
    # Without the sentences before the answer, speakers are not judged.
    assert not model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, question, lambda _: TRUST_FUND)


LYSOEN = "The result of their encounter was the signing of the Lysøen Declaration in 1998."
SIGNED_ON = "On what exact date was the Lysøen Declaration signed?"


@pytest.mark.parametrize(
    ("question", "text", "unmet"),
    [
        # The texts give the year of the declaration, never its day.
        (SIGNED_ON, LYSOEN, True),
        (SIGNED_ON, "The Lysøen Declaration was signed on May 11, 1998.", False),
        # A ministry's officer is no minister.
        (
            "Who is the minister in charge of Thailand's Ministry of Social Development?",
            "Ms. Prampan, Senior International Affairs Officer, Ministry of Social Development, spoke.",
            True,
        ),
        # Asks for no such detail: the rule is silent.
        ("In what year was the Lysøen Declaration signed?", LYSOEN, False),
    ],
)
def test_a_candidate_that_gives_no_detail_asked_for_leaves_the_detail_unmet(
    question: str, text: str, unmet: bool
) -> None:
    assert unmet_detail(question, text, NameTagger.load()) is unmet


def test_the_bundled_model_refuses_an_answer_without_the_day_asked_for() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_detail and model.names is not None
    rows = candidate_rows(1)
    rows[0, FEATURES.index("asks_when")] = rows[0, FEATURES.index("states_time")] = 1
    assert model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, SIGNED_ON, lambda _: LYSOEN)
    day = "The Lysøen Declaration was signed on May 11, 1998."
    assert not model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, SIGNED_ON, lambda _: day)


RECEPTORS = "Both B cells and T cells carry receptor molecules that recognize specific targets."


@pytest.mark.parametrize(
    ("question", "text", "unmet"),
    [
        # SQuAD 2.0's negated copy of an answerable question; the sentence says the opposite.
        ("What cells do not carry receptor molecules?", RECEPTORS, True),
        ("What cells do not carry receptor molecules?", "Red blood cells carry no such receptors.", False),
        # Asks what does carry them, or why not: the rule is silent.
        ("What cells carry receptor molecules?", RECEPTORS, False),
        ("Why don't red blood cells carry receptor molecules?", RECEPTORS, False),
    ],
)
def test_a_candidate_that_negates_nothing_leaves_a_negated_question_unmet(
    question: str, text: str, unmet: bool
) -> None:
    assert unmet_negation(question, text) is unmet


def test_the_bundled_model_refuses_an_answer_that_negates_nothing_to_a_negated_question() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_negation
    rows = candidate_rows(1)
    question = "What cells do not carry receptor molecules?"
    assert model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, question, lambda _: RECEPTORS)
    # At a threshold of 0 (answer every question) no refusal is in force.
    assert not model.leaves_type_unmet(np.array([0.9]), rows, 0.0, question, lambda _: RECEPTORS)


EVIAN = "Which Japanese prime minister attended the 2003 Evian Summit?"
MORI = (
    "2000 The then Prime Minister Mori Yoshinori of Japan called for the establishment of the "
    "Commission on Human Security at the UN Millennium Summit."
)


@pytest.mark.parametrize(
    ("question", "context", "unmet"),
    [
        # The year given is never stated; the sentence is about another one.
        (EVIAN, MORI, True),
        ("What park covers an area of 74 ha.?", "The Łazienki Park covers the area of 76 ha.", True),
        # The same year, or no year in the answer, or none in the question: the rule is silent.
        ("Which Japanese prime minister attended the 2000 Millennium Summit?", MORI, False),
        (EVIAN, "Prime Minister Koizumi Junichiro of Japan attended the summit.", False),
        ("Which Japanese prime minister called for the Commission?", MORI, False),
    ],
)
def test_a_candidate_that_states_another_year_or_number_than_the_one_given_leaves_it_unmet(
    question: str, context: str, unmet: bool
) -> None:
    assert unmet_number(question, context, NameTagger.load(), context) is unmet


def test_the_bundled_model_refuses_an_answer_about_another_year_than_the_one_given() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_number and model.names is not None
    rows = candidate_rows(1)
    assert model.leaves_type_unmet(
        np.array([0.9]), rows, model.threshold, EVIAN, lambda _: MORI, lambda _: MORI
    )
    # The sentences before the answer may state the year given: without them it is not judged.
    assert not model.leaves_type_unmet(np.array([0.9]), rows, model.threshold, EVIAN, lambda _: MORI)


PERFORIN = "It releases perforin, which forms pores, allowing ions, water and toxins to enter."


def test_a_candidate_that_states_the_opposite_of_what_is_asked_about_leaves_it_unmet() -> None:
    assert unmet_opposite("What allows ions, water and toxins to exit the target cell?", PERFORIN)
    assert not unmet_opposite("What allows ions, water and toxins to enter the target cell?", PERFORIN)


def test_the_bundled_model_refuses_an_answer_that_states_the_opposite_of_what_is_asked_about() -> None:
    model = AnswerModel.load()
    assert model.refuse_unmet_opposite
    rows = candidate_rows(1)
    question = "What allows ions, water and toxins to exit the target cell?"
    assert model.leaves_type_unmet(
        np.array([0.9]), rows, model.threshold, question, lambda _: PERFORIN, lambda _: PERFORIN
    )
    # At a threshold of 0 (answer every question) no refusal is in force.
    assert not model.leaves_type_unmet(
        np.array([0.9]), rows, 0.0, question, lambda _: PERFORIN, lambda _: PERFORIN
    )


KEYNOTES = (
    "Keynote speeches were presented by Mrs. Sadako Ogata, United Nations High Commissioner for Refugees."
)


def test_a_candidate_that_names_the_speaker_but_not_the_topic_asked_about_leaves_the_speaker_unmet() -> None:
    question = "What did Mrs. Ogata say about Afghanistan at the 2000 symposium?"
    tagger = NameTagger.load()
    assert unmet_speaker(question, KEYNOTES, tagger, KEYNOTES)
    said = "Mrs. Ogata said that Afghanistan's refugees needed protection."
    assert not unmet_speaker(question, said, tagger, said)
    # Without the candidate's own text only the speaker is judged.
    assert not unmet_speaker(question, KEYNOTES, tagger)
