"""Whether an answer speaks of the year or number a question gives, or of another one.

A question that gives a number ('in 1313', 'in 2012', '74 ha') asks about that year or that
amount. SQuAD 2.0 writes many of its unanswerable questions by changing one: 'What park covers
an area of 74 ha.?' against 'The Łazienki Park covers the area of 76 ha.'; 'What did Article
20 of the Allied Armistice terms require?' against 'required in Article 12'. Near-domain
questions on the human-security texts do the same: 'Which Japanese prime minister attended
the 2003 Evian Summit?' gets the sentence on Mori in 2000. When neither the answer nor the
sentences before it state the digits the question gives, and the answer states another number
of the same kind (a date for a date, a quantity for a quantity), it answers another question
and is refused (``unmet_type``).

Only an exact number written with digits counts: 'three categories' and a decade ('the late
1990s', 'the 1970s') have no exact twin to look for. 'Canada's foreign minister of the late
1990s' is Lloyd Axworthy, and the sentence that answers a question about him gives 1999, not
1990 (``eval/untouched-16.jsonl``, BENCHMARKS.md, sixteenth session). Numbers are what
the named-entity tagger labels DATE, CARDINAL, QUANTITY and so on
(``service.models.name_tagger``); this module is the pure logic around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The tagger's labels for numbers of some kind (OntoNotes 5).
NUMBER_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})

_DIGITS = re.compile(r"\d+")
# A run of digits that is not a decade's ('1990s', '1990's').
_EXACT = re.compile(r"\d+(?!\d)(?!'?s\b)")


def digits(text: str) -> frozenset[str]:
    """The runs of digits in ``text`` ('1712–1721' → {'1712', '1721'})."""
    return frozenset(_DIGITS.findall(text))


def has_digits(text: str) -> bool:
    """Whether ``text`` writes any number with digits (the cheap test before tagging)."""
    return _DIGITS.search(text) is not None


def exact_numbers(text: str) -> frozenset[str]:
    """The runs of digits in ``text`` that are no decade's ('in 1999 and the 1970s' → {'1999'})."""
    return frozenset(_EXACT.findall(text))


def given_numbers(names: Iterable[tuple[str, str]]) -> list[tuple[frozenset[str], str]]:
    """The exact numbers a question gives, from its tagged ``names`` ((text, label) pairs):
    each one's digits and label, for those written with digits."""
    given = ((exact_numbers(text), label) for text, label in names if label in NUMBER_LABELS)
    return [(numbers, label) for numbers, label in given if numbers]


def states_other_number(
    given: Iterable[tuple[frozenset[str], str]],
    question: str,
    context: str,
    answer_names: Iterable[tuple[str, str]],
) -> bool:
    """True when some number the question gives (``given``) is missing from the answer and the
    sentences before it (``context``), and the answer (tagged: ``answer_names``) states another
    number of the same label, one the ``question`` does not write."""
    stated, asked = digits(context), digits(question)
    missing = {label for numbers, label in given if not numbers & stated}
    return any(label in missing and digits(text) - asked for text, label in answer_names)
