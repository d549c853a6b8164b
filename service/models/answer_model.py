"""The learned answer stage: a gradient-boosted ranker that scores candidate sentences, and a
calibration that turns the best candidate's score into the probability that it is a right
answer. Trained by ``scripts/train_answer_model.py`` on SQuAD 2.0 questions (CC BY-SA 4.0;
see the model card beside the artifact); loaded once per process, offline.

Two files make one model: ``model.txt`` (LightGBM's own text format) and ``model.json``
(the feature names it was trained on, the calibration's weights, the abstention threshold
chosen on validation articles, and the training figures). When ``model.json`` names an answer
reader (``service.models.answer_reader``), the reader reads the model's few best candidates and
its verdict is added to theirs (``reread``); the calibration and threshold were fitted with it,
so the model refuses to load without that same reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.asked.amounts import asked_amount, counts_only_amounts, states_amount
from service.asked.details import asked_detail, gives_detail
from service.asked.given_numbers import given_numbers, has_digits, states_other_number
from service.asked.names import (
    asked_labels,
    asked_speaker,
    asked_topic,
    gives_asked_name,
    names_speaker,
    speaks_of,
)
from service.asked.negation import asks_negated, states_negation
from service.asked.opposites import states_opposite
from service.errors import ModelUnavailable
from service.models.answer_reader import BUNDLED_READER, AnswerReader
from service.models.artifacts import read_meta
from service.models.name_tagger import NameTagger

#: The kinds of answer a question can ask for (``service.retrieval.answering.question_type``);
#: "other" has no feature of its own (all ``asks_*`` are 0).
QUESTION_TYPES = ("who", "when", "where", "why", "count", "how", "what", "define", "yesno", "other")

#: The model's inputs, in order: one row per answer candidate, computed by
#: ``service.retrieval.answering.candidate_features`` from what the index holds.
FEATURES: tuple[str, ...] = (
    # the sentence against the question
    "sim",  # cosine of sentence and question vectors
    "prev_sim",  # the sentence before it (same document), 0 if none
    "next_sim",  # the sentence after it
    "sim_gap",  # the best candidate's cosine minus this one's
    "sim_rank",  # its rank by cosine among the candidates (0 = closest)
    "offset_from_best",  # sentences after (+) or before (-) the passage's closest sentence
    "overlap",  # IDF-weighted share of the question's words it holds
    "prev_overlap",
    "next_overlap",
    "overlap_gap",  # the best candidate's overlap minus this one's
    "novel_share",  # share of its words the question does not use: an answer adds something
    "context_sim",  # the cosine of the sentence it refers back to, when it opens with a pronoun
    "context_overlap",  # its overlap with the words of the sentences it refers back to added
    "position",  # where it sits in its passage, 0 (first) to 1 (last)
    # its passage
    "passage_cos",
    "passage_rank",
    "passage_cos_gap",  # the top passage's cosine minus this one's
    # what kind of sentence it is
    "new_names",  # capitalised words past its start that the question does not use
    "gives_reason",
    "gives_definition",
    "states_count",  # a number that is no year, date or name
    "states_time",  # a year, a month, a century or a decade
    "states_number",
    "refers_back",
    # the question's names against the text
    "names",  # names and numbers in the question
    "names_unmatched_document",  # share of them its document never mentions
    "names_unmatched_passage",  # share of them its passage never mentions
    "names_unknown",  # share of them no passage of the index mentions
    "names_unmatched_window",  # share of them the sentence and its neighbours never mention
    # the question's words the text lacks: an unanswerable question often adds one
    "missing_window",  # IDF-weighted share of question words not in the sentence or its neighbours
    "missing_idf_window",  # the rarest such word's IDF
    "missing_idf_passage",  # the rarest question word its passage lacks
    # what the question asks for (one of QUESTION_TYPES), for the model to match against what
    # a sentence states: 'how much' and a sentence with no number, 'when' and no time
    *(f"asks_{kind}" for kind in QUESTION_TYPES if kind != "other"),
)


BUNDLED = Path(__file__).resolve().parent / "answer-model"
MODEL_FILE = "model.txt"
META_FILE = "model.json"

#: The question-level inputs of the calibration: the best candidate's logit, its margin over
#: the runner-up, its cosine and its passage's. The whole feature row calibrated no better on
#: validation and extrapolated wildly on question forms SQuAD rarely has ('Tell me a joke': 0.92).
#: ``unmet_type`` was an input too until the model refused such answers outright; then it
#: changed no figure (BENCHMARKS.md, eighth session).
CALIBRATION_INPUTS = ("best_logit", "margin", "sim", "passage_cos")
#: The refusals that read the tagger (``model.json``: ``refuse_unmet_<kind>``): the model loads
#: it when any is in force.
TAGGED_REFUSALS = ("name", "amount", "speaker", "detail", "number")


_SIM, _PASSAGE_COS = FEATURES.index("sim"), FEATURES.index("passage_cos")
_F = {name: i for i, name in enumerate(FEATURES)}


def unmet_type(row: np.ndarray) -> float:
    """1 when the question asks for a count or a time and the candidate states none: an
    on-topic question the texts cannot answer ('How much did Japan give …?') is most often
    answered with a sentence on the right topic that lacks what was asked for. A year, a date
    or an ordinal ('On 23rd February, 2010, …') is no answer to 'how many'. And 1 when the
    candidate uses no word the question does not: 'What did the 2008 UN General Assembly
    Thematic Debate on Human Security conclude?' and the timeline's line '2008 UN General
    Assembly Thematic Debate on Human Security.' say the same."""
    if row[_F["novel_share"]] == 0 or (row[_F["asks_count"]] and not row[_F["states_count"]]):
        return 1.0
    return float(bool(row[_F["asks_when"]] and not row[_F["states_time"]]))


def unmet_name(question: str, row: np.ndarray, text: str, tagger: NameTagger) -> bool:
    """True when the question asks for a person, a country, a city or a body
    (``asked_labels``) and the candidate (its feature ``row`` and ``text``) names none the
    question does not: 'Who succeeded Ogata as President of JICA?' and the sentence saying that
    she became President. Only such questions' candidates are tagged."""
    labels = asked_labels(question, bool(row[_F["asks_who"]]))
    return bool(labels) and not gives_asked_name(question, tagger.names(text), labels)


def unmet_amount(question: str, text: str, tagger: NameTagger) -> bool:
    """True when the question asks for a sum of money or a share (``asked_amount``) and the
    candidate ``text`` states none: 'What was JICA's total budget in 2008?' and the sentence
    saying that JICA was relaunched in 2008. Only such questions' candidates are tagged. And
    True when the question asks how many and the candidate's only counts are sums or shares
    (``counts_only_amounts``; no tagger): 'How many states had ratified the Ottawa Treaty?' and
    the Trust Fund's '\\$170 million'."""
    if counts_only_amounts(question, text):
        return True
    asked = asked_amount(question)
    return asked is not None and not states_amount(text, tagger.names(text), asked)


def unmet_speaker(question: str, context: str, tagger: NameTagger, text: str | None = None) -> bool:
    """True when the question asks what a person it names said or thought (``asked_speaker``)
    and the candidate, with the sentences before it (``context``), never names them: 'What did
    Lloyd Axworthy say about Japan's Trust Fund?' and a sentence on the fund. Or, given the
    candidate's own ``text``, when it says nothing of what they are asked about
    (``asked_topic``): 'What did Mrs. Ogata say about Afghanistan?' and the sentence
    introducing her keynote. Only such questions are tagged."""
    words = asked_speaker(question, tagger.names(question))
    if not words:
        return False
    if not names_speaker(words, context):
        return True
    return text is not None and not speaks_of(asked_topic(question), text)


def unmet_detail(question: str, text: str, tagger: NameTagger) -> bool:
    """True when the question asks for a day, a title, a given name or an office's holder
    (``asked_detail``) and the candidate ``text`` gives none: 'On what exact date was the
    Lysøen Declaration signed?' and the sentence saying it was signed in 1998. Only such
    questions' candidates are tagged, and only for a title or a given name."""
    asked = asked_detail(question)
    if asked is None:
        return False
    return not gives_detail(asked, question, text, tagger.names(text) if asked.needs_names else ())


def unmet_number(question: str, context: str, tagger: NameTagger, text: str) -> bool:
    """True when the question gives an exact year or number (with digits, no decade) that
    neither the candidate nor the sentences before it (``context``) state, and the candidate
    ``text`` states another of the same kind (``states_other_number``): 'Which Japanese prime
    minister attended the 2003 Evian Summit?' and the sentence on Mori in 2000. Only questions
    with digits are tagged."""
    if not has_digits(question):
        return False
    given = given_numbers(tagger.names(question))
    return bool(given) and states_other_number(given, question, context, tagger.names(text))


def unmet_negation(question: str, text: str) -> bool:
    """True when the question asks what is not so (``asks_negated``) and the candidate
    ``text`` says nothing is not: 'What cells do not carry receptor molecules?' and the
    sentence saying that B cells and T cells carry them. No tagger."""
    return asks_negated(question) and not states_negation(text)


def unmet_opposite(question: str, context: str) -> bool:
    """True when the candidate, with the sentences before it (``context``), states the opposite
    of a word the question asks about and never the word itself (``states_opposite``): 'What
    allows toxins to exit the cell?' and the sentence on what allows them to enter. No tagger."""
    return states_opposite(question, context)


def closest_passage(matrix: np.ndarray) -> float:
    """The cosine of the passage closest to the question among those its candidates come from
    (0 with none): how near the texts come to the question at all."""
    return float(matrix[:, _PASSAGE_COS].max()) if len(matrix) else 0.0


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def candidate_scores(booster: Any, matrix: np.ndarray) -> np.ndarray:
    """Each candidate's score in (0, 1): the booster's raw score squashed by the logistic
    function. For a ranking objective (the bundled model's) the raw score only orders one
    question's candidates, and the calibration makes a probability of the best one's; for a
    binary one this is its probability. Either way ``reread`` adds the reader's logit to it."""
    raw = np.asarray(booster.predict(matrix, raw_score=True, num_threads=1), dtype=np.float64)
    return np.asarray(1 / (1 + np.exp(-raw)))


def calibration_inputs(probabilities: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """What the calibration reads of one question's candidates (``CALIBRATION_INPUTS``)."""
    best = int(np.argmax(probabilities))
    second = float(np.partition(probabilities, -2)[-2]) if len(probabilities) > 1 else 1e-6
    best_logit = float(_logit(probabilities[best]))
    row = matrix[best]
    return np.array([best_logit, best_logit - float(_logit(second)), row[_SIM], row[_PASSAGE_COS]])


def calibrated(calibration: Sequence[float], inputs: np.ndarray) -> np.ndarray:
    """The calibration (intercept, then one weight per ``CALIBRATION_INPUTS``) applied to one
    row of inputs or to many: the probability that the best candidate is a right answer."""
    z = calibration[0] + np.asarray(inputs, dtype=np.float64) @ np.asarray(calibration[1:], dtype=np.float64)
    return np.asarray(1 / (1 + np.exp(-z)))


def reread(probabilities: np.ndarray, read: np.ndarray, logits: np.ndarray, weight: float) -> np.ndarray:
    """Candidate probabilities once the reader has read candidates ``read`` (its ``logits``
    are added, times ``weight``, to their log-odds). The candidates it did not read rank below
    every one it read, keeping their order: the reader read the answer model's best, so an
    unread candidate must not win only because the reader doubted the read ones."""
    out = np.array(probabilities, dtype=np.float64)
    if not len(read):
        return out
    out[read] = 1 / (1 + np.exp(-(_logit(out[read]) + weight * np.asarray(logits, dtype=np.float64))))
    rest = np.ones(len(out), dtype=bool)
    rest[read] = False
    if rest.any():
        floor, ceiling = float(np.min(out[read])), float(np.max(probabilities[rest]))
        if ceiling >= floor:  # scaled to stay just under the least likely candidate it read
            out[rest] = probabilities[rest] * (0.99 * floor / max(ceiling, 1e-12))
    return out


def read_best(
    probabilities: np.ndarray, top: int, weight: float, logits_of: Callable[[list[int]], np.ndarray]
) -> np.ndarray:
    """``reread`` once the reader has read the ``top`` most probable candidates
    (``logits_of(indices)`` gives its logits): the one choice of what the reader reads, for the
    service and for the training script alike."""
    read = np.argsort(-probabilities, kind="stable")[:top]
    return reread(probabilities, read, logits_of([int(i) for i in read]), weight)


@dataclass(frozen=True)
class AnswerModel:
    """A loaded answer model. ``candidate_probabilities`` scores candidates;
    ``answer_probability`` calibrates the best one's score; ``threshold`` is the probability
    under which the service abstains (chosen on validation articles for false-abstain ≤ 0.10)."""

    name: str
    booster: Any  # lightgbm.Booster
    calibration: tuple[float, ...]  # intercept, then one weight per CALIBRATION_INPUTS
    threshold: float
    meta: dict[str, Any]
    reader: AnswerReader | None = None
    read_top: int = 0  # how many of its best candidates the reader reads
    read_weight: float = 0.0  # the reader's logit's weight beside the model's
    # Abstain when the best candidate states no count or time that the question asks for
    # (``unmet_type``), whatever its probability: set by training when that earned its place.
    refuse_unmet_type: bool = False
    # The tagger that the refusals below read (all but the negation one); None: none of them
    # is in force (``TAGGED_REFUSALS``).
    names: NameTagger | None = None
    # With it, abstain too when the best candidate names no person, country, city or body that
    # the question asks for (``unmet_name``) ...
    refuse_unmet_name: bool = False
    # ... or states no sum of money or share that it asks for (``unmet_amount``) ...
    refuse_unmet_amount: bool = False
    # ... or, asked what a person said, never names them (``unmet_speaker``) ...
    refuse_unmet_speaker: bool = False
    # ... or gives no day, title, given name or office holder that it asks for (``unmet_detail``) ...
    refuse_unmet_detail: bool = False
    # ... or states another year or number than the one the question gives (``unmet_number``).
    refuse_unmet_number: bool = False
    # Abstain too when the question asks what is not so and the best candidate negates nothing
    # (``unmet_negation``; no tagger), or states the opposite of what it asks about
    # (``unmet_opposite``; no tagger).
    refuse_unmet_negation: bool = False
    refuse_unmet_opposite: bool = False
    # Abstain as off the texts' topic when the best candidate's passage is further from the
    # question than this cosine (``off_topic``); 0 for none. Fitted by training.
    topic_floor: float = 0.0

    @classmethod
    def load(cls, folder: Path = BUNDLED, reader_folder: Path = BUNDLED_READER) -> AnswerModel:
        import lightgbm

        meta = read_meta(
            folder,
            META_FILE,
            MODEL_FILE,
            "answer model",
            "train one with `python scripts/train_answer_model.py` "
            "or unset HSQA_ANSWER_MODEL to use the bundled one",
        )
        if tuple(meta["features"]) != FEATURES or tuple(meta["calibration_inputs"]) != CALIBRATION_INPUTS:
            raise ModelUnavailable(
                f"the answer model in {folder} was trained on other features or calibration inputs than "
                "this code computes; retrain it with `python scripts/train_answer_model.py`"
            )
        booster = lightgbm.Booster(model_file=str(folder / MODEL_FILE))
        tagged = any(meta.get(f"refuse_unmet_{kind}") for kind in TAGGED_REFUSALS)
        tagger = NameTagger.load() if tagged else None
        reader, wanted = None, meta.get("reader")
        if wanted:
            reader = AnswerReader.load(reader_folder)
            if reader.name != wanted["name"]:
                raise ModelUnavailable(
                    f"the answer model in {folder} was calibrated with the reader {wanted['name']!r}, "
                    f"but {reader_folder} holds {reader.name!r}; retrain it with "
                    "`python scripts/train_answer_model.py`"
                )
        return cls(
            name=meta["name"],
            booster=booster,
            calibration=tuple(meta["calibration"]),
            threshold=float(meta["threshold"]),
            meta=meta,
            reader=reader,
            read_top=int(wanted["top"]) if wanted else 0,
            read_weight=float(wanted["weight"]) if wanted else 0.0,
            refuse_unmet_type=bool(meta.get("refuse_unmet_type", False)),
            names=tagger,
            refuse_unmet_name=bool(meta.get("refuse_unmet_name", False)),
            refuse_unmet_amount=bool(meta.get("refuse_unmet_amount", False)),
            refuse_unmet_speaker=bool(meta.get("refuse_unmet_speaker", False)),
            refuse_unmet_detail=bool(meta.get("refuse_unmet_detail", False)),
            refuse_unmet_number=bool(meta.get("refuse_unmet_number", False)),
            refuse_unmet_negation=bool(meta.get("refuse_unmet_negation", False)),
            refuse_unmet_opposite=bool(meta.get("refuse_unmet_opposite", False)),
            topic_floor=float(meta.get("topic_floor", 0.0)),
        )

    def candidate_probabilities(
        self, matrix: np.ndarray, question: str | None = None, text_of: Callable[[int], str] | None = None
    ) -> np.ndarray:
        """Each candidate's score (a row of ``FEATURES``; ``candidate_scores``): the higher, the
        likelier it holds the answer. With the question and each candidate's text
        (``text_of(i)``), after the reader read the best."""
        if not len(matrix):
            return np.zeros(0)
        p = candidate_scores(self.booster, matrix)
        if self.reader is None or question is None or text_of is None:
            return p
        reader = self.reader
        return read_best(
            p,
            self.read_top,
            self.read_weight,
            lambda read: reader.logits(question, [text_of(i) for i in read]),
        )

    def answer_probability(self, probabilities: np.ndarray, matrix: np.ndarray) -> float:
        """Calibrated probability that the best candidate is a right answer (0 with none)."""
        if not len(probabilities):
            return 0.0
        return float(calibrated(self.calibration, calibration_inputs(probabilities, matrix)))

    def threshold_for(self, override: float | None) -> float:
        """The abstention threshold in force: ``override`` (``HSQA_ABSTAIN_THRESHOLD``) if set,
        else the model's own."""
        return self.threshold if override is None else override

    def refuses_unmet_type_at(self, threshold: float) -> bool:
        """Whether the unmet-type refusal is in force at ``threshold``: a threshold of 0 means
        answer every question that has a candidate, so it is off there."""
        return self.refuse_unmet_type and threshold > 0.0

    def is_off_topic(self, matrix: np.ndarray, threshold: float) -> bool:
        """True when this model, at ``threshold``, refuses the question as off the texts' topic:
        the closest of its top passages is further from it than the closest passage of 99% of
        the answerable human-security questions it was fitted on (``topic_floor``). Off at a
        threshold of 0, which answers every question that has a candidate."""
        if not self.refuses_off_topic_at(threshold) or not len(matrix):
            return False
        return closest_passage(matrix) < self.topic_floor

    def refuses_off_topic_at(self, threshold: float) -> bool:
        """Whether the topic floor is in force at ``threshold`` (not at 0: see
        ``refuses_unmet_type_at``)."""
        return self.topic_floor > 0.0 and threshold > 0.0

    def leaves_type_unmet(
        self,
        probabilities: np.ndarray,
        matrix: np.ndarray,
        threshold: float,
        question: str | None = None,
        text_of: Callable[[int], str] | None = None,
        context_of: Callable[[int], str] | None = None,
    ) -> bool:
        """True when this model, at ``threshold``, refuses the best candidate because the
        question asks for a count or a time it does not state (``unmet_type``), or, given the
        question and the candidates' texts, for a person, a country, a city or a body it does not
        name (``unmet_name``), or for a sum or a share it does not state (``unmet_amount``), or,
        given their texts with the sentences before them (``context_of``), for the words of a
        person it never names (``unmet_speaker``), or for a day, a title, a given name or an
        office's holder it does not give (``unmet_detail``), or for what is not so and it
        negates nothing (``unmet_negation``), or, given a year or number, states another
        (``unmet_number``), or states the opposite of what it asks about (``unmet_opposite``).
        Such a best candidate is seldom right, and it is what most near-domain questions the
        texts cannot answer get: refusing counts and times raised abstention on the
        unanswerable development questions, out of fold, from 0.057 to 0.400 at a lower
        false-abstain (BENCHMARKS.md, eighth session); names, see the thirteenth; sums and
        shares and speakers, the fourteenth; details and negations, the fifteenth; numbers and
        opposites, the sixteenth."""
        if not self.refuses_unmet_type_at(threshold) or not len(probabilities):
            return False
        best = int(np.argmax(probabilities))
        if unmet_type(matrix[best]):
            return True
        if question is None or text_of is None:
            return False
        text = text_of(best)
        context = context_of(best) if context_of is not None else None
        if self.refuse_unmet_negation and unmet_negation(question, text):
            return True
        if self.refuse_unmet_opposite and context is not None and unmet_opposite(question, context):
            return True
        if self.names is None:
            return False
        if self.refuse_unmet_amount and unmet_amount(question, text, self.names):
            return True
        if self.refuse_unmet_detail and unmet_detail(question, text, self.names):
            return True
        if context is not None:
            if self.refuse_unmet_speaker and unmet_speaker(question, context, self.names, text):
                return True
            if self.refuse_unmet_number and unmet_number(question, context, self.names, text):
                return True
        return self.refuse_unmet_name and unmet_name(question, matrix[best], text, self.names)
