"""Whether a question asks for a sum of money or a share, and whether an answer states one.

'What was JICA's total budget for human security projects in 2008?' asks for a sum; 'What
share of Japan's ODA budget goes to human security projects?' for a share. The texts give
neither, and the sentence the answer stage finds for each is on the right topic and may even
state a number (a year, a count of projects), but no sum and no share. Such an answer is
refused (``unmet_type``), as one that states no count is refused to 'how many'. A sum or a
share is what a named-entity tagger labels MONEY or PERCENT (``service.models.name_tagger``),
or a currency or per-cent sign the tagger missed ('some \\$170 million', as the PDF-extracted
article writes it, is tagged CARDINAL). This module is the pure logic around the tagger.

The other way round, a sum or a share is no answer to 'how many': 'How many states had
ratified the Ottawa Treaty by the end of 1999?' gets the sentence on Japan's Trust Fund, whose
only number is its budget of 'some \\$170 million' (``counts_only_amounts``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from service.cues import numbers_in, states_count, without_numbers

MONEY = "MONEY"
PERCENT = "PERCENT"

# 'How much money …', 'how much did Japan contribute …', 'What was JICA's total budget …';
# not 'How much press coverage …' nor 'How much do civic groups shape …'.
_ASKS_MONEY = re.compile(
    r"\bhow much (money|funding|funds?|aid)\b"
    r"|\bhow much (did|does|do|has|have|had|will|would|is|was) [\w' -]+ "
    r"(give|contribute|pledge|donate|spend|invest|provide|put|allocate|cost|raise|fund|grant)"
    r"|\b(what|which) (was|is|were|are) (the |[\w-]+'s )?([\w-]+ ){0,3}(budget|cost|price)\b"
    r"|\b(what|which) (budget|amount of money|sum of money)\b"
    r"|\b(annual|total|operating) budget\b",
    re.I,
)
_ASKS_SHARE = re.compile(r"\b(what|which) (percentage|proportion|share|fraction)\b|\bpercentage of\b", re.I)
_STATES_MONEY = re.compile(r"[$¥€£]|\b(yen|dollars?|euros?|pounds sterling)\b", re.I)
_STATES_SHARE = re.compile(r"%|\bper ?cent\b|\b(half|third|quarter|fifth|tenth)s?\b", re.I)
# 'How many states …', not 'how many dollars' nor 'how many million yen'.
_ASKS_HOW_MANY = re.compile(
    r"\bhow many\b(?!( (million|billion|thousand))? (dollars|yen|euros|pounds|percent|per cent)\b)", re.I
)
# A sum or a share written with its number: '\\$170 million', 'US$ 5,000', '12 billion yen', '40%'.
_AMOUNT = re.compile(
    r"(US)?[$¥€£] ?\d[\d,.]*( ?(million|billion|trillion|thousand)\b)?"
    r"|\b\d[\d,.]*( (million|billion|trillion|thousand))? (dollars|yen|euros?|pounds)\b"
    r"|\b\d[\d,.]* ?(%|per ?cent\b)",
    re.I,
)


def asked_amount(question: str) -> str | None:
    """MONEY when ``question`` asks for a sum of money, PERCENT when it asks for a share, else
    None."""
    if _ASKS_SHARE.search(question):
        return PERCENT
    return MONEY if _ASKS_MONEY.search(question) else None


def states_amount(text: str, names: Iterable[tuple[str, str]], asked: str) -> bool:
    """True when ``text`` (tagged: ``names``, (text, label) pairs) states the kind of amount
    asked for: a name labelled ``asked``, or a currency (MONEY) or per-cent sign (PERCENT)."""
    if any(label == asked for _, label in names):
        return True
    return bool((_STATES_MONEY if asked == MONEY else _STATES_SHARE).search(text))


def counts_only_amounts(question: str, text: str) -> bool:
    """True when ``question`` asks how many of something and every count ``text`` states (a
    number the question gives aside) is a sum of money or a share: money and shares count
    nothing. A text that states no count at all is the count cue's to refuse (``unmet_type``)."""
    if not _ASKS_HOW_MANY.search(question):
        return False
    text = without_numbers(text, numbers_in(question))
    return states_count(text) and not states_count(_AMOUNT.sub(" ", text))
