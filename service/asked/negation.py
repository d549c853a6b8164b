"""Whether a question asks what is not so, and whether an answer says that something is not.

'What cells do not carry receptor molecules?' asks for what is not so; the article says
'Both B cells and T cells carry receptor molecules …', and that sentence, which answers the
question without its 'not', is what the answer stage finds. Questions written to look
answerable are often made so (SQuAD 2.0's unanswerable questions: 'Where are neutrophils
rarely found?' against 'Neutrophils are normally found in the bloodstream'). An answer to a
negated question that states no negation of its own ('not', 'never', 'no', 'without',
'lacks', 'cannot' …) is refused (``unmet_type``), as one that states no count is refused to
'how many'.

A *why* question is left alone: 'Why doesn't ASEAN want to shut Myanmar out?' is answered by
a reason, with or without a 'not'. So are 'not only …' and 'whether or not'.
"""

from __future__ import annotations

import re

# 'not' (but 'not only', 'or not'), 'never', 'rarely', 'cannot', and a contracted 'n't'.
_NEGATED = re.compile(
    r"\b(?<!or )not\b(?!\s+only)|\b(never|rarely|seldom|neither|nor|no longer|cannot)\b|\w+n't\b", re.I
)
_WHY = re.compile(r"^\W*why\b", re.I)
_NEGATES = re.compile(
    r"\b(not|never|no|none|nor|neither|without|rarely|seldom|cannot|unable|lacks?|lacked|lacking|absent)\b"
    r"|\w+n't\b",
    re.I,
)


def asks_negated(question: str) -> bool:
    """True when ``question`` asks what is not so ('What is not …', 'Which cells never …',
    'Where are they rarely found?'), a *why* question aside."""
    return bool(_NEGATED.search(question)) and not _WHY.search(question)


def states_negation(text: str) -> bool:
    """True when ``text`` says that something is not so, or lacks something."""
    return bool(_NEGATES.search(text))
