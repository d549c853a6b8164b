"""What kind of sentence can answer a question, by the question's form: a count for 'how
many', a time for 'when', a definition for 'define'; and which sentences cannot be read
alone ('She also identified…'). Plain rules over text, no model: the answer stage
(``service.search``) applies them to the sentences it scores."""

from __future__ import annotations

import re
from typing import Literal

_COUNT_QUESTION = re.compile(r"\bhow (many|much)\b", re.I)
_TIME_QUESTION = re.compile(r"^\W*(when\b|(in )?(what|which) (year|date|month|decade))", re.I)
_QUANTITY_QUESTION = re.compile(r"^\W*how (often|long|large|big|old)\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|once|annual|yearly|century|decade)s?\b",
    re.I,
)
_YEAR_OR_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)s?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b[a-z]+\d\w*|\b\d+(st|nd|rd|th)\b",  # and names or ordinals with digits: 'G8', '21st'
    re.I,
)

_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d)s?\b|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b|\b(century|decade)\b"
)
# A capitalised number word past a sentence's start is part of a name ('Delivering as One',
# 'Session One'), not a count.
_NAMED_NUMBER = re.compile(r"(?<=\S)(\W+)(One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b")
# A list item's number, '(2) The symposium…' or '3. Participants…', states nothing.
_LIST_MARKER = re.compile(r"^\W*\(?(\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s")

Quantity = Literal["count", "number", "time"]


def wants_quantity(question: str) -> Quantity | None:
    """What kind of number a question's answer must state: a count ('Roughly how many…',
    'How much…'), where a year or a date is not an answer; a time ('When…', 'In which
    year…'): a year, a month or a century; any number ('How often…', 'How long…'); or None."""
    if _COUNT_QUESTION.search(question):
        return "count"
    if _TIME_QUESTION.search(question):
        return "time"
    return "number" if _QUANTITY_QUESTION.search(question) else None


def states_quantity(sentence: str, kind: Quantity = "number") -> bool:
    """True if ``sentence`` states the kind of number ``wants_quantity`` asked for."""
    sentence = _LIST_MARKER.sub(" ", sentence)
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "count":
        sentence = _YEAR_OR_DATE.sub(" ", sentence)
        sentence = _NAMED_NUMBER.sub(" ", sentence)
    return bool(_NUMBER.search(sentence))


_DEFINE_QUESTION = re.compile(r"\bdefin(e|es|ed|ition|itions)\b", re.I)
_DEFINES = re.compile(r"\bdefin\w*|\bmeans\b(?! of)|\brefers? to\b|\b(understood|conceived( of)?) as\b", re.I)


def wants_definition(question: str) -> bool:
    """True for 'How does X define …?' or '… definition of …': the answer is a definition."""
    return bool(_DEFINE_QUESTION.search(question))


def gives_definition(sentence: str) -> bool:
    """True if ``sentence`` says what something means ('defines human security as …',
    'refers to …', 'is understood as …') rather than merely mentioning it."""
    return bool(_DEFINES.search(sentence))


_REFERS_BACK = re.compile(r"^\W*(he|she|they|his|her|their|it|its|this|these|such)\b", re.I)


def refers_back(sentence: str) -> bool:
    """True if ``sentence`` opens with a pronoun standing for something named before it ('She
    also identified…', 'This was an expression in…'): it needs its predecessor to be read."""
    return bool(_REFERS_BACK.match(sentence))
