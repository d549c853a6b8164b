"""What kind of information a sentence gives: counts, times, definitions, reasons, names.
Plain text cues, no model. The index stores them per sentence at build time
(``service.ingest.sentence_facts``); the answer stage (``service.retrieval.answering``) reads
them as features the answer model weighs, and reads the count and time cues again without the
question's own numbers. One rule stands on them: a best answer that states no count or time a
question asks for is refused (``AnswerModel.leaves_type_unmet``).
"""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|once|annual|yearly|century|decade)s?\b",
    re.I,
)
# A year or a decade from 1000 on: 1313, 1999, 2000s. Formal prose writes a count that large
# with a separator ('1,500 troops'), a year never. A CV's timeline, extracted from a PDF, glues
# its year to the line's first word ('2009Professor, Graduate School of Law'): still a year.
# An era's year: '430 BC', 'AD 70'.
_YEAR = r"\b(1\d{3}|20\d\d)(s\b|(?!\d))"
_ERA = r"\b\d{1,4} ?(BC|BCE|AD|CE)\b|\b(AD|CE) ?\d{1,4}\b"
# Numbers that count nothing: years, dates, names and ordinals with digits ('G8', '21st').
_YEAR_OR_DATE = re.compile(
    _YEAR + "|" + _ERA + r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b[a-z]+\d\w*|\b\d+(st|nd|rd|th)\b",
    re.I,
)
# A time: a year, a month, a century or a decade ('in the 10th and 11th centuries', 'for decades').
_TIME = re.compile(
    _YEAR + "|" + _ERA + r"|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b|\b(century|centuries|decades?)\b"
)
# A capitalised number word past a sentence's start is part of a name ('Delivering as One').
_NAMED_NUMBER = re.compile(r"(?<=\S)(\W+)(One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b")
# A list item's number, '(2) The symposium…' or '3. Participants…', states nothing, nor does one
# inside a line ('meetings held—(1) October 2006, (2) April 2007').
_LIST_MARKER = re.compile(r"^\W*\(?(\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s|\(\d{1,2}\)(?=\s)")
_DEFINES = re.compile(
    r"\bdefine[sd]?\b|\bdefinition\b|\bmeans\b(?! of)|\brefers? to\b|\b(understood|conceived( of)?) as\b",
    re.I,
)
_REASON = re.compile(r"\b(because|due to|since|as a result|in order to|so that|owing to|reason)\b", re.I)
_CAPITALISED = re.compile(r"(?<=\w[\s,;:(])([A-Z][\w'’-]+)")


def states_number(sentence: str) -> bool:
    """True if ``sentence`` holds a number of any kind (a list item's marker aside)."""
    return bool(_NUMBER.search(_LIST_MARKER.sub(" ", sentence)))


def states_count(sentence: str) -> bool:
    """True if ``sentence`` states a count: a number that is no year, date, name or ordinal."""
    text = _NAMED_NUMBER.sub(" ", _YEAR_OR_DATE.sub(" ", _LIST_MARKER.sub(" ", sentence)))
    return bool(_NUMBER.search(text))


def states_time(sentence: str) -> bool:
    """True if ``sentence`` states a time: a year (1000 on, or BC/AD), a month, a century or a decade."""
    return bool(_TIME.search(sentence))


def gives_definition(sentence: str) -> bool:
    """True if ``sentence`` says what something means ('defines human security as …',
    'refers to …', 'is understood as …'), not 'definitely' or 'by means of'."""
    return bool(_DEFINES.search(sentence))


def gives_reason(sentence: str) -> bool:
    """True if ``sentence`` gives a reason ('because', 'due to', 'as a result')."""
    return bool(_REASON.search(sentence))


def capitalised_words(sentence: str) -> frozenset[str]:
    """The lower-cased capitalised words past a sentence's start: the names it uses."""
    return frozenset(w.lower() for w in _CAPITALISED.findall(sentence))


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> frozenset[str]:
    """The numbers written in digits in ``text`` ('17', '1,000', '2010')."""
    return frozenset(_DIGITS.findall(text))


def without_numbers(sentence: str, numbers: frozenset[str]) -> str:
    """``sentence`` with these numbers blanked: a number the question already states ('How
    many of the 17 goals …') is not what it asks for, so it must not count as an answer."""
    if not numbers:
        return sentence
    return _DIGITS.sub(lambda m: " " if m.group() in numbers else m.group(), sentence)
