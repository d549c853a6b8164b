"""Whether an answer states the opposite of what a question asks about.

SQuAD 2.0 writes many of its unanswerable questions by turning a word of an answerable one
into its opposite: 'What happens when tyrosinase is expressed at low levels?' against 'an
enzyme called tyrosinase that, when expressed at high levels, transforms …'; 'What allows ions,
water and toxins to exit the cell?' against '… allowing ions, water and toxins to enter'. The
sentence the answer stage finds is the one the question was made from, and it says the
opposite. When the question uses a word of a pair below, and the answer with the sentences
before it uses only the other, the answer is refused (``unmet_type``).

The pairs are few and chosen for words that rarely mean the same as their opposite once
paraphrased. The first list was drafted from SQuAD's validation questions that got answers.
Which pairs stay was decided on what they refuse on SQuAD's six training articles and the
human-security questions (BENCHMARKS.md, sixteenth session). Left out, because they refused
answerable questions there (most of them answered right): 'first'/'last' and
'before'/'after' (places and orders, not opposites), 'able'/'unable', 'most'/'least' ('the
least protected' are 'the most vulnerable'), 'major'/'minor', 'eastern'/'western',
'gain'/'loss'. No lexicon with antonyms installs offline from PyPI (WordNet's data is a
separate download), so the list is kept here.
"""

from __future__ import annotations

import re

#: Opposite words, each pair read both ways.
PAIRS = (
    ("largest", "smallest"),
    ("biggest", "smallest"),
    ("highest", "lowest"),
    ("best", "worst"),
    ("high", "low"),
    ("higher", "lower"),
    ("more", "less"),
    ("more", "fewer"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("rise", "fall"),
    ("success", "failure"),
    ("successful", "unsuccessful"),
    ("enter", "exit"),
    ("import", "export"),
    ("common", "rare"),
    ("earliest", "latest"),
    ("maximum", "minimum"),
    ("oldest", "newest"),
    ("oldest", "youngest"),
    ("longest", "shortest"),
    ("strong", "weak"),
    ("stronger", "weaker"),
    ("rich", "poor"),
    ("richest", "poorest"),
    ("developed", "developing"),
    ("internal", "external"),
    ("inside", "outside"),
    ("open", "closed"),
    ("public", "private"),
    ("north", "south"),
    ("east", "west"),
    ("northern", "southern"),
    ("accept", "reject"),
    ("accepted", "rejected"),
    ("legal", "illegal"),
    ("necessary", "unnecessary"),
    ("possible", "impossible"),
    ("likely", "unlikely"),
    ("similar", "different"),
)

_OPPOSITE: dict[str, frozenset[str]] = {}
for _a, _b in PAIRS:
    _OPPOSITE[_a] = _OPPOSITE.get(_a, frozenset()) | {_b}
    _OPPOSITE[_b] = _OPPOSITE.get(_b, frozenset()) | {_a}

_WORD = re.compile(r"[a-z]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def uses_paired_word(question: str) -> bool:
    """Whether ``question`` uses a word of ``PAIRS``: only such a question can be refused."""
    return not _words(question).isdisjoint(_OPPOSITE)


def states_opposite(question: str, context: str) -> bool:
    """True when ``question`` uses a word of ``PAIRS`` that ``context`` (the answer with the
    sentences before it) never uses, while it uses that word's opposite, which the question
    does not."""
    asked, stated = _words(question), _words(context)
    return any(
        word in _OPPOSITE and word not in stated and _OPPOSITE[word] & stated and not _OPPOSITE[word] & asked
        for word in asked
    )
